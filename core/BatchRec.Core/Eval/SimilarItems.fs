namespace BatchRec.Core.Eval

open System
open System.Threading.Tasks
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Train

[<RequireQualifiedAccess>]
type SimilarityKind =
    | ItemWeights
    | EmbeddingCosine
    | CoOccurrence
    | Text
    | Attributes
    | Popularity

    member this.Name =
        match this with
        | SimilarityKind.ItemWeights -> "item-weights"
        | SimilarityKind.EmbeddingCosine -> "embedding-cosine"
        | SimilarityKind.CoOccurrence -> "co-occurrence"
        | SimilarityKind.Text -> "text"
        | SimilarityKind.Attributes -> "attributes"
        | SimilarityKind.Popularity -> "popularity"

    override this.ToString() = this.Name


type SimilarItems =
    {
        K: int
        Items: int[]
        Scores: float32[]
        Kinds: SimilarityKind[]
    }

    member this.NumItems = this.Kinds.Length

    member this.Count(item: int) =
        let mutable n = 0

        while n < this.K && this.Items.[item * this.K + n] >= 0 do
            n <- n + 1

        n

[<RequireQualifiedAccess>]
module SimilarItems =
    /// The k best (score descending, index ascending) of the values `score j` for j in `candidates` (j ≠ self) that
    /// pass `keep`, into row `row` of items/scores (the rest of the row is left as it is: -1 / NaN). Returns how many
    /// were written.
    let private bestInto
        (k: int)
        (items: int[])
        (scores: float32[])
        (row: int)
        (self: int)
        (count: int)
        (candidate: int -> int)
        (score: int -> float32)
        (keep: float32 -> bool)
        =
        let bestS = Array.create k Single.NegativeInfinity
        let bestJ = Array.create k Int32.MaxValue
        let mutable filled = 0

        for c in 0 .. count - 1 do
            let j = candidate c

            if j <> self then
                let s = score c

                if keep s then
                    let last = k - 1

                    if filled < k || s > bestS.[last] || (s = bestS.[last] && j < bestJ.[last]) then
                        let mutable p = if filled < k then filled else last

                        while p > 0 && (s > bestS.[p - 1] || (s = bestS.[p - 1] && j < bestJ.[p - 1])) do
                            bestS.[p] <- bestS.[p - 1]
                            bestJ.[p] <- bestJ.[p - 1]
                            p <- p - 1

                        bestS.[p] <- s
                        bestJ.[p] <- j

                        if filled < k then
                            filled <- filled + 1

        for q in 0 .. filled - 1 do
            items.[row * k + q] <- bestJ.[q]
            scores.[row * k + q] <- bestS.[q]

        filled

    /// Cosine of sparse binary sets: for each source item, the items sharing an element of its set (`sets`: item ×
    /// element, `members`: element × item), counted and divided by √(|A| · |B|).
    let private sparseCosine
        (options: ParallelOptions)
        (k: int)
        (items: int[])
        (scores: float32[])
        (sets: Csr)
        (members: Csr)
        (sources: int[])
        =

        let found = Array.zeroCreate sources.Length

        Parallel.For(
            0,
            sources.Length,
            options,
            (fun () -> Array.zeroCreate<float32> sets.Rows, Collections.Generic.List<int>()),
            (fun s _ (acc: float32[], touched: Collections.Generic.List<int>) ->
                let i = sources.[s]

                for p in sets.RowPtr.[i] .. sets.RowPtr.[i + 1] - 1 do
                    let e = sets.ColIdx.[p]

                    for q in members.RowPtr.[e] .. members.RowPtr.[e + 1] - 1 do
                        let j = members.ColIdx.[q]

                        if acc.[j] = 0.0f then
                            touched.Add j

                        acc.[j] <- acc.[j] + 1.0f

                let size (x: int) =
                    float32 (sets.RowPtr.[x + 1] - sets.RowPtr.[x])

                let si = size i

                found.[s] <-
                    bestInto
                        k
                        items
                        scores
                        i
                        i
                        touched.Count
                        (fun c -> touched.[c])
                        (fun c ->
                            let j = touched.[c]
                            acc.[j] / sqrt (si * size j))
                        (fun v -> v > 0.0f)

                for j in touched do
                    acc.[j] <- 0.0f

                touched.Clear()
                (acc, touched)),
            (fun _ -> ())
        )
        |> ignore

        found

    /// Copies a Neighbours result for `queries` into their rows, positive similarities only (a cosine at or below 0
    /// is no likeness); returns how many each got.
    let private copyNeighbours (k: int) (items: int[]) (scores: float32[]) (queries: int[]) (n: Neighbours) =
        queries
        |> Array.mapi (fun q i ->
            let mutable c = 0

            for r in 0 .. min k n.K - 1 do
                let j = n.Items.[q * n.K + r]

                if j >= 0 && n.Scores.[q * n.K + r] > 0.0f then
                    items.[i * k + c] <- j
                    scores.[i * k + c] <- n.Scores.[q * n.K + r]
                    c <- c + 1

            c)

    let compute
        (search: SearchConfig)
        (threads: int)
        (device: TorchSharp.torch.Device)
        (graphs: SplitGraphs)
        (m: TrainedModel)
        (features: NodeFeatures)
        (k: int)
        : SimilarItems =
        if k < 1 then
            invalidArg "k" (sprintf "must be >= 1, got %d" k)

        let n = m.NumItems
        let options = Workers.options threads

        if graphs.Train.Cols <> n then
            invalidArg "graphs" (sprintf "has %d items, the model %d" graphs.Train.Cols n)

        if int64 n * int64 k > int64 Array.MaxLength then
            invalidArg "k" (sprintf "%d items × %d similar items do not fit in one array" n k)

        let items = Array.create (n * k) -1
        let scores = Array.create (n * k) Single.NaN
        let kinds = Array.create n SimilarityKind.Popularity
        let counts = Array.zeroCreate<int> n

        for i in graphs.Train.ColIdx do
            counts.[i] <- counts.[i] + 1

        let warm = counts |> Array.map (fun c -> c > 0)

        let warmItems =
            [|
                for i in 0 .. n - 1 do
                    if warm.[i] then
                        yield i
            |]

        let found = Array.zeroCreate<int> n

        // items with training interactions: the model's own similarity
        if m.ItemWeights.Length > 0 && int64 m.ItemWeights.Length = int64 n * int64 n then
            let w = m.ItemWeights

            Parallel.For(
                0,
                warmItems.Length,
                options,
                fun s ->
                    let i = warmItems.[s]
                    let off = i * n

                    found.[i] <- bestInto k items scores i i n id (fun j -> w.[off + j]) (fun v -> v > 0.0f)

                    kinds.[i] <- SimilarityKind.ItemWeights
            )
            |> ignore
        elif m.Dim > 1 && m.ItemFactors.Length = n * m.Dim then
            // items without training interactions carry embeddings learnt from their content only in the GAT models,
            // and only when they have content (text or attributes): else their vector is the same for all of them
            let candidates =
                if ModelKind.isGat (Config.kindOf m.Kind) then
                    Array.init n (fun i ->
                        warm.[i]
                        || (features.ItemHasText.Length = n && features.ItemHasText.[i])
                        || (features.ItemAttributes.Rows = n
                            && features.ItemAttributes.RowPtr.[i + 1] > features.ItemAttributes.RowPtr.[i]))
                else
                    warm

            let nb =
                VectorSearch.nearest search device m.Dim m.ItemFactors candidates warmItems k

            let got = copyNeighbours k items scores warmItems nb

            warmItems
            |> Array.iteri (fun q i ->
                found.[i] <- got.[q]
                kinds.[i] <- SimilarityKind.EmbeddingCosine)
        else
            let itemUsers = Csr.transpose graphs.Train
            let got = sparseCosine options k items scores itemUsers graphs.Train warmItems

            warmItems
            |> Array.iteri (fun q i ->
                found.[i] <- got.[q]
                kinds.[i] <- SimilarityKind.CoOccurrence)

        // the others (no training interaction, or no collaborative neighbour): text, then attributes, then popularity
        let needsContent () =
            [|
                for i in 0 .. n - 1 do
                    if found.[i] = 0 then
                        yield i
            |]

        if features.TextDim > 0 && features.ItemHasText.Length = n then
            let queries = needsContent () |> Array.filter (fun i -> features.ItemHasText.[i])

            if queries.Length > 0 then
                let nb =
                    VectorSearch.nearest search device features.TextDim features.ItemText features.ItemHasText queries k

                let got = copyNeighbours k items scores queries nb

                queries
                |> Array.iteri (fun q i ->
                    if got.[q] > 0 then
                        found.[i] <- got.[q]
                        kinds.[i] <- SimilarityKind.Text)

        if features.ItemAttributes.Rows = n && features.ItemAttributes.Nnz > 0 then
            let queries =
                needsContent ()
                |> Array.filter (fun i -> features.ItemAttributes.RowPtr.[i + 1] > features.ItemAttributes.RowPtr.[i])

            if queries.Length > 0 then
                let members = Csr.transpose features.ItemAttributes

                let got =
                    sparseCosine options k items scores features.ItemAttributes members queries

                queries
                |> Array.iteri (fun q i ->
                    if got.[q] > 0 then
                        found.[i] <- got.[q]
                        kinds.[i] <- SimilarityKind.Attributes)

        let rest = needsContent ()

        if rest.Length > 0 && warmItems.Length > 0 then
            // the k + 1 most popular items once (one may be the item itself)
            let top = float32 (Array.max counts)
            let popularItems = Array.create (k + 1) -1
            let popularScores = Array.create (k + 1) Single.NaN

            let got =
                bestInto
                    (k + 1)
                    popularItems
                    popularScores
                    0
                    -1
                    warmItems.Length
                    (fun c -> warmItems.[c])
                    (fun c -> float32 counts.[warmItems.[c]] / top)
                    (fun _ -> true)

            for i in rest do
                let mutable c = 0

                for r in 0 .. got - 1 do
                    if c < k && popularItems.[r] <> i then
                        items.[i * k + c] <- popularItems.[r]
                        scores.[i * k + c] <- popularScores.[r]
                        c <- c + 1

                found.[i] <- c
                kinds.[i] <- SimilarityKind.Popularity

        {
            K = k
            Items = items
            Scores = scores
            Kinds = kinds
        }
