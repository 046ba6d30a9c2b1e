namespace BatchRec.Core.Graph

open System
open BatchRec.Core

/// What the catalogue and the language model add to the nodes, aligned with the snapshot's canonical indices.
/// Text vectors are row-major float32 [n × TextDim]; a row whose Has flag is false is all zeros (no text).
type NodeFeatures =
    {
        TextDim: int
        ItemText: float32[]
        ItemHasText: bool[]
        UserText: float32[]
        UserHasText: bool[]
        /// item → attribute incidence, [numItems × NumAttributes], binary (from items.tags).
        ItemAttributes: Csr
        AttributeNames: string[]
    }

    member this.NumAttributes = this.AttributeNames.Length

[<RequireQualifiedAccess>]
module NodeFeatures =
    /// No text, no attributes.
    let none (numUsers: int) (numItems: int) =
        {
            TextDim = 0
            ItemText = [||]
            ItemHasText = Array.zeroCreate numItems
            UserText = [||]
            UserHasText = Array.zeroCreate numUsers
            ItemAttributes = Csr.ofEdges numItems 0 [||] [||] [||]
            AttributeNames = [||]
        }

    /// Attributes from each item's tag list: distinct tags (trimmed, case kept) sorted ordinally become attribute
    /// indices. O(T log T) for T tag occurrences.
    let attributesOfTags (tags: string[][]) : Csr * string[] =
        let names =
            tags
            |> Seq.collect id
            |> Seq.map (fun t -> t.Trim())
            |> Seq.filter (fun t -> t <> "")
            |> Seq.distinct
            |> Seq.toArray

        Array.sortInPlaceWith (fun (a: string) b -> String.CompareOrdinal(a, b)) names
        let index = Collections.Generic.Dictionary<string, int>(StringComparer.Ordinal)
        names |> Array.iteri (fun i n -> index.[n] <- i)
        let src = ResizeArray<int>()
        let dst = ResizeArray<int>()

        tags
        |> Array.iteri (fun i ts ->
            for t in (if isNull ts then [||] else ts) do
                let t = if isNull t then "" else t.Trim()

                if t <> "" then
                    src.Add i
                    dst.Add index.[t])

        let m =
            Csr.ofEdges tags.Length names.Length (src.ToArray()) (dst.ToArray()) (Array.create src.Count 1.0f)

        { m with
            Values = Array.create m.Nnz 1.0f
        },
        names

/// The user–item–attribute graph the GAT propagates over, with optional item–item edges (gat-text's text
/// neighbours). Node layout: users [0, U), items [U, U+I), attributes [U+I, U+I+A). Edges are undirected (stored
/// both ways), so the pattern is symmetric.
type HeteroGraph =
    {
        NumUsers: int
        NumItems: int
        NumAttributes: int
        /// LightGCN's Â = D^{-1/2} A D^{-1/2} of the binary adjacency (the attention's prior), [N, N].
        Norm: Csr
        /// The edge weight w of each stored entry (same positions as Norm): the transformed interaction weight
        /// (summed over repeats) for user–item edges, 1 for item–attribute and item–item edges.
        EdgeWeight: float32[]
        /// For the entry p = (r, c): the position of (c, r).
        Transpose: int[]
    }

    member this.Nodes = this.NumUsers + this.NumItems + this.NumAttributes

[<RequireQualifiedAccess>]
module HeteroGraph =
    /// The weight transform of model.edgeWeight: one → 1, weight → w, log1p → log(1 + max(w, 0)).
    let transform (kind: EdgeWeight) (w: float32) =
        match kind with
        | EdgeWeight.One -> 1.0f
        | EdgeWeight.Weight -> w
        | EdgeWeight.Log1p -> float32 (Math.Log(1.0 + float (max w 0.0f)))

    /// Position of each entry's mirror in a CSR with a symmetric pattern. O(nnz log degree).
    let transposePositions (m: Csr) : int[] =
        Array.init m.Nnz (fun _ -> -1)
        |> fun t ->
            for r in 0 .. m.Rows - 1 do
                for p in m.RowPtr.[r] .. m.RowPtr.[r + 1] - 1 do
                    let c = m.ColIdx.[p]

                    let q =
                        Array.BinarySearch(m.ColIdx, m.RowPtr.[c], m.RowPtr.[c + 1] - m.RowPtr.[c], r)

                    if q < 0 then
                        invalidArg "m" (sprintf "pattern is not symmetric: (%d, %d) has no mirror" r c)

                    t.[p] <- q

            t

    /// The distinct undirected item–item pairs (a, b), a < b, of the given directed pairs (self-pairs dropped), in
    /// order of first appearance. Throws when an item is outside 0..numItems-1.
    let itemPairs (numItems: int) (src: int[]) (dst: int[]) : (int * int)[] =
        if src.Length <> dst.Length then
            invalidArg "dst" "item–item sources and targets must have the same length"

        let seen = Collections.Generic.HashSet<int64>()

        [|
            for k in 0 .. src.Length - 1 do
                let a, b = src.[k], dst.[k]

                if a < 0 || a >= numItems || b < 0 || b >= numItems then
                    invalidArg "src" (sprintf "item–item pair %d: (%d, %d) outside 0..%d" k a b (numItems - 1))

                if a <> b then
                    let lo, hi = min a b, max a b

                    if seen.Add(int64 lo * int64 numItems + int64 hi) then
                        yield lo, hi
        |]

    /// Builds the graph from training interactions (user, item, raw weight), item–attribute edges (when
    /// `itemAttributes` has columns) and item–item edges (`itemSrc`, `itemDst`: e.g. TextKnn's text neighbours;
    /// stored once per unordered pair, both ways, weight 1). O(E log E).
    let buildWithItemEdges
        (numUsers: int)
        (numItems: int)
        (users: int[])
        (items: int[])
        (weights: float32[])
        (edgeWeight: EdgeWeight)
        (itemAttributes: Csr)
        (itemSrc: int[])
        (itemDst: int[])
        : HeteroGraph =
        if items.Length <> users.Length || weights.Length <> users.Length then
            invalidArg "items" "users, items and weights must have the same length"

        if itemAttributes.Rows <> numItems then
            invalidArg "itemAttributes" (sprintf "must have %d rows, got %d" numItems itemAttributes.Rows)

        let numAttrs = itemAttributes.Cols
        let n = numUsers + numItems + numAttrs
        let aSrc, aDst, _ = Csr.toEdges itemAttributes
        let pairs = itemPairs numItems itemSrc itemDst
        let e = users.Length
        let m = aSrc.Length
        let q = pairs.Length
        let src = Array.zeroCreate (2 * (e + m + q))
        let dst = Array.zeroCreate (2 * (e + m + q))
        let w = Array.zeroCreate (2 * (e + m + q))

        for k in 0 .. e - 1 do
            if users.[k] < 0 || users.[k] >= numUsers then
                invalidArg "users" (sprintf "pair %d: user %d outside 0..%d" k users.[k] (numUsers - 1))

            if items.[k] < 0 || items.[k] >= numItems then
                invalidArg "items" (sprintf "pair %d: item %d outside 0..%d" k items.[k] (numItems - 1))

            let wk = transform edgeWeight weights.[k]
            src.[2 * k] <- users.[k]
            dst.[2 * k] <- numUsers + items.[k]
            w.[2 * k] <- wk
            src.[2 * k + 1] <- numUsers + items.[k]
            dst.[2 * k + 1] <- users.[k]
            w.[2 * k + 1] <- wk

        for k in 0 .. m - 1 do
            let i, a = numUsers + aSrc.[k], numUsers + numItems + aDst.[k]
            let o = 2 * (e + k)
            src.[o] <- i
            dst.[o] <- a
            w.[o] <- 1.0f
            src.[o + 1] <- a
            dst.[o + 1] <- i
            w.[o + 1] <- 1.0f

        for k in 0 .. q - 1 do
            let a, b = pairs.[k]
            let o = 2 * (e + m + k)
            src.[o] <- numUsers + a
            dst.[o] <- numUsers + b
            w.[o] <- 1.0f
            src.[o + 1] <- numUsers + b
            dst.[o + 1] <- numUsers + a
            w.[o + 1] <- 1.0f

        let weighted = Csr.ofEdges n n src dst w // repeats summed

        let binary =
            { weighted with
                Values = Array.create weighted.Nnz 1.0f
            }

        {
            NumUsers = numUsers
            NumItems = numItems
            NumAttributes = numAttrs
            Norm = Normalize.symmetric binary
            EdgeWeight = weighted.Values
            Transpose = transposePositions binary
        }

    /// The graph of training interactions and item–attribute edges only (no item–item edges).
    let build
        (numUsers: int)
        (numItems: int)
        (users: int[])
        (items: int[])
        (weights: float32[])
        (edgeWeight: EdgeWeight)
        (itemAttributes: Csr)
        : HeteroGraph =
        buildWithItemEdges numUsers numItems users items weights edgeWeight itemAttributes [||] [||]
