namespace BatchRec.Core.Graph

open System
open BatchRec.Core

type NodeFeatures =
    {
        TextDim: int
        ItemText: float32[]
        ItemHasText: bool[]
        UserText: float32[]
        UserHasText: bool[]
        ItemAttributes: Csr
        AttributeNames: string[]
    }

    member this.NumAttributes = this.AttributeNames.Length

[<RequireQualifiedAccess>]
module NodeFeatures =
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

type HeteroGraph =
    {
        NumUsers: int
        NumItems: int
        NumAttributes: int
        Norm: Csr
        EdgeWeight: float32[]
        Transpose: int[]
    }

    member this.Nodes = this.NumUsers + this.NumItems + this.NumAttributes

[<RequireQualifiedAccess>]
module HeteroGraph =
    let transform (kind: EdgeWeight) (w: float32) =
        match kind with
        | EdgeWeight.One -> 1.0f
        | EdgeWeight.Weight -> w
        | EdgeWeight.Log1p -> float32 (Math.Log(1.0 + float (max w 0.0f)))

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
