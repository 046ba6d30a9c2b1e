namespace BatchRec.Core.Nn

open System
open System.Reflection
open System.Threading.Tasks
open TorchSharp
open Cloud.Unum.USearch
open BatchRec.Core

type Neighbours =
    {
        K: int
        Items: int[]
        Scores: float32[]
        Exact: bool
    }

/// Row helpers shared by the graph and the searches.
module internal Rows =
    let isZero (dim: int) (vectors: float32[]) (row: int) =
        let mutable zero = true
        let mutable c = 0

        while zero && c < dim do
            if vectors.[row * dim + c] <> 0f then
                zero <- false

            c <- c + 1

        zero

    let empty (queries: int) (k: int) (exact: bool) =
        {
            K = k
            Items = Array.create (queries * k) -1
            Scores = Array.create (queries * k) Single.NaN
            Exact = exact
        }

[<Sealed>]
type HnswIndex internal (index: USearchIndex, dim: int, vectors: float32[], count: int) =
    let mutable disposed = false

    member _.Count = count

    member _.Search(queries: int[], k: int) : Neighbours =
        if disposed then
            raise (ObjectDisposedException(nameof HnswIndex))

        if k < 0 then
            invalidArg "k" (sprintf "must be >= 0, got %d" k)

        let n = vectors.Length / dim

        match queries |> Array.tryFind (fun q -> q < 0 || q >= n) with
        | Some q -> invalidArg "queries" (sprintf "row %d outside 0..%d" q (n - 1))
        | None -> ()

        let result = Rows.empty queries.Length k false

        if k > 0 && count > 0 then
            let ask = if k >= count then count else k + 1

            Parallel.For(
                0,
                queries.Length,
                ParallelOptions(MaxDegreeOfParallelism = Environment.ProcessorCount),
                (fun () -> Array.zeroCreate<float32> dim),
                (fun slot _ (buffer: float32[]) ->
                    let query = queries.[slot]

                    if not (Rows.isZero dim vectors query) then
                        Array.blit vectors (query * dim) buffer 0 dim
                        let mutable keys: uint64[] = null
                        let mutable distances: float32[] = null
                        let found = index.Search(buffer, ask, &keys, &distances)

                        let best =
                            Array.init found (fun p -> int keys.[p], 1f - distances.[p])
                            |> Array.filter (fun (j, _) -> j <> query)
                            |> Array.sortWith (fun (j1, s1) (j2, s2) ->
                                if s1 > s2 then -1
                                elif s1 < s2 then 1
                                else compare j1 j2)
                            |> Array.truncate k

                        best
                        |> Array.iteri (fun p (j, s) ->
                            result.Items.[slot * k + p] <- j
                            result.Scores.[slot * k + p] <- s)

                    buffer),
                ignore
            )
            |> ignore

        result

    interface IDisposable with
        member _.Dispose() =
            disposed <- true
            index.Dispose()

[<RequireQualifiedAccess>]
module VectorSearch =
    /// Checks the shapes shared by both searches; returns the number of rows.
    let private check (dim: int) (vectors: float32[]) (candidates: bool[]) (queries: int[]) (k: int) =
        if dim < 1 then
            invalidArg "dim" (sprintf "must be >= 1, got %d" dim)

        if k < 0 then
            invalidArg "k" (sprintf "must be >= 0, got %d" k)

        let n = candidates.Length

        if int64 vectors.Length <> int64 n * int64 dim then
            invalidArg "vectors" (sprintf "has %d values, expected %d rows × %d" vectors.Length n dim)

        match queries |> Array.tryFind (fun q -> q < 0 || q >= n) with
        | Some q -> invalidArg "queries" (sprintf "row %d outside 0..%d" q (n - 1))
        | None -> ()

        n

    /// The candidate rows that have a direction (not all zeros), ascending.
    let private searchable (dim: int) (vectors: float32[]) (candidates: bool[]) =
        [|
            for j in 0 .. candidates.Length - 1 do
                if candidates.[j] && not (Rows.isZero dim vectors j) then
                    yield j
        |]

    /// The rows `rows` of `vectors` as one [rows × dim] array.
    let private gather (dim: int) (vectors: float32[]) (rows: int[]) =
        let out = Array.zeroCreate (rows.Length * dim)

        for r in 0 .. rows.Length - 1 do
            Array.blit vectors (rows.[r] * dim) out (r * dim) dim

        out

    let exactInBlocks
        (blockValues: int)
        (device: torch.Device)
        (dim: int)
        (vectors: float32[])
        (candidates: bool[])
        (queries: int[])
        (k: int)
        : Neighbours =
        let n = check dim vectors candidates queries k
        let cand = searchable dim vectors candidates
        let m = cand.Length
        let result = Rows.empty queries.Length k true
        // the queries that have a direction; the others keep their padding
        let live =
            queries
            |> Array.indexed
            |> Array.filter (fun (_, q) -> not (Rows.isZero dim vectors q))

        if k > 0 && m > 0 && live.Length > 0 then
            use scope = torch.NewDisposeScope()

            let normalised (rows: float32[]) (count: int) =
                let t = torch.tensor(rows, device = device).reshape(int64 count, int64 dim)
                torch.nn.functional.normalize (t, p = 2.0, dim = 1L)

            let c = normalised (if m = n then vectors else gather dim vectors cand) m // [m, dim]

            let ct = c.t () // [dim, m]
            let liveRows = live |> Array.map snd
            let qAll = normalised (gather dim vectors liveRows) liveRows.Length // [live, dim]
            // a block of similarities holds at most 1,024 query rows and blockValues values
            let chunk = max 1 (min 1024 (blockValues / m))

            for start in 0..chunk .. live.Length - 1 do
                use inner = torch.NewDisposeScope()
                let len = min chunk (live.Length - start)
                let sims = Tensors.toArray (qAll.narrow(0L, int64 start, int64 len).mm(ct)) // [len, m]

                Parallel.For(
                    0,
                    len,
                    fun r ->
                        let slot, query = live.[start + r]
                        let off = r * m
                        // the k best (similarity desc, candidate position asc = row index asc) by insertion into a
                        // sorted buffer; positions left at MaxValue stay padding
                        let bestS = Array.create k Single.NegativeInfinity
                        let bestJ = Array.create k Int32.MaxValue
                        let last = k - 1

                        for j in 0 .. m - 1 do
                            if cand.[j] <> query then
                                let s = sims.[off + j]

                                if s > bestS.[last] || (s = bestS.[last] && j < bestJ.[last]) then
                                    let mutable p = last

                                    while p > 0 && (s > bestS.[p - 1] || (s = bestS.[p - 1] && j < bestJ.[p - 1])) do
                                        bestS.[p] <- bestS.[p - 1]
                                        bestJ.[p] <- bestJ.[p - 1]
                                        p <- p - 1

                                    bestS.[p] <- s
                                    bestJ.[p] <- j

                        for p in 0 .. k - 1 do
                            if bestJ.[p] <> Int32.MaxValue then
                                result.Items.[slot * k + p] <- cand.[bestJ.[p]]
                                result.Scores.[slot * k + p] <- bestS.[p]
                )
                |> ignore

        result

    let exact device dim vectors candidates queries k =
        exactInBlocks (16 * 1024 * 1024) device dim vectors candidates queries k

    /// Capacity for `count` vectors reserved ahead, so that concurrent Adds never grow the index. The managed
    /// wrapper keeps its reserve private (its Add grows the index itself, which is not safe from several threads):
    /// reached by reflection on the version pinned in Directory.Packages.props.
    let private reserve (index: USearchIndex) (count: int) =
        match typeof<USearchIndex>.GetMethod("IncreaseCapacity", BindingFlags.NonPublic ||| BindingFlags.Instance) with
        | null ->
            failwith
                "Cloud.Unum.USearch has no USearchIndex.IncreaseCapacity: search.threads > 1 needs the pinned version (or set search.threads to 1)"
        | m -> m.Invoke(index, [| box (uint64 count) |]) |> ignore

    let build (settings: SearchConfig) (dim: int) (vectors: float32[]) (candidates: bool[]) : HnswIndex =
        check dim vectors candidates [||] 0 |> ignore
        let cand = searchable dim vectors candidates

        let index =
            new USearchIndex(
                MetricKind.Cos,
                ScalarKind.Float32,
                uint64 dim,
                uint64 settings.Connectivity,
                uint64 settings.ExpansionAdd,
                uint64 settings.ExpansionSearch,
                false
            )

        try
            let m = cand.Length
            let cores = Environment.ProcessorCount

            let threads =
                if settings.Threads = 0 then
                    cores
                else
                    min settings.Threads cores

            if threads <= 1 then
                // in row order, a block at a time: the wrapper's batch Add reserves room for the block once
                let block = 4096

                for start in 0..block .. m - 1 do
                    let len = min block (m - start)
                    let keys = Array.init len (fun r -> uint64 cand.[start + r])

                    let rows = Array.init len (fun r -> Array.sub vectors (cand.[start + r] * dim) dim)

                    index.Add(keys, rows)
            elif m > 0 then
                reserve index m

                Parallel.For(
                    0,
                    m,
                    ParallelOptions(MaxDegreeOfParallelism = threads),
                    (fun () -> Array.zeroCreate<float32> dim),
                    (fun j _ (buffer: float32[]) ->
                        Array.blit vectors (cand.[j] * dim) buffer 0 dim
                        index.Add(uint64 cand.[j], buffer)
                        buffer),
                    ignore
                )
                |> ignore

            new HnswIndex(index, dim, vectors, m)
        with _ ->
            index.Dispose()
            reraise ()

    let approximate
        (settings: SearchConfig)
        (dim: int)
        (vectors: float32[])
        (candidates: bool[])
        (queries: int[])
        (k: int)
        : Neighbours =
        check dim vectors candidates queries k |> ignore

        if k = 0 || queries.Length = 0 then
            Rows.empty queries.Length k false
        else
            use index = build settings dim vectors candidates
            index.Search(queries, k)

    let nearest settings device dim vectors (candidates: bool[]) queries k =
        let count = candidates |> Array.sumBy (fun c -> if c then 1 else 0)

        if count <= settings.ExactBelow then
            exact device dim vectors candidates queries k
        else
            approximate settings dim vectors candidates queries k
