namespace BatchRec.Core.Nn

open System
open TorchSharp

/// Item–item edges from the language model: each item with text is joined to the k items whose text vectors are
/// most similar to its own (cosine similarity), a semantic item–item graph like LATTICE's and FREEDOM's
/// (Zhang et al. 2021; Zhou et al. 2023), here as the third kind of edge of the GAT's graph, beside user–item and
/// item–attribute (model.textNeighbours).
/// An item nobody has clicked yet is thereby joined to the items whose descriptions read like its own, and the
/// propagation carries their collaborative signal to it.
[<RequireQualifiedAccess>]
module TextKnn =
    /// `neighbours` (below) with blocks of at most min(1024, blockValues / n) rows (at least one); tests take small
    /// blocks to cross block boundaries.
    let neighboursInBlocks
        (blockValues: int)
        (device: torch.Device)
        (dim: int)
        (text: float32[])
        (hasText: bool[])
        (k: int)
        : int[] * int[] =
        if k < 0 then
            invalidArg "k" (sprintf "must be >= 0, got %d" k)

        let numItems = hasText.Length

        if text.Length <> numItems * dim then
            invalidArg "text" (sprintf "has %d values, expected %d items × %d" text.Length numItems dim)

        let idx =
            [|
                for i in 0 .. numItems - 1 do
                    if hasText.[i] then
                        yield i
            |]

        let n = idx.Length
        let kk = min k (n - 1)

        if kk <= 0 then
            [||], [||]
        else
            let src = Array.zeroCreate (n * kk)
            let dst = Array.zeroCreate (n * kk)
            use scope = torch.NewDisposeScope()
            let rows = Array.zeroCreate (n * dim)

            for r in 0 .. n - 1 do
                Array.blit text (idx.[r] * dim) rows (r * dim) dim

            let t = torch.tensor(rows, device = device).reshape(int64 n, int64 dim) // [n, dim]
            let t = torch.nn.functional.normalize (t, p = 2.0, dim = 1L)
            let tt = t.t ()
            // a block of similarities holds at most 1,024 rows and blockValues values (by default 16 M: 64 MiB, on the
            // device and once more here)
            let chunk = max 1 (min 1024 (blockValues / n))

            for start in 0..chunk .. n - 1 do
                use inner = torch.NewDisposeScope()
                let len = min chunk (n - start)
                let sims = Tensors.toArray (t.narrow(0L, int64 start, int64 len).mm(tt)) // [len, n]

                Threading.Tasks.Parallel.For(
                    0,
                    len,
                    fun r ->
                        let row = start + r
                        let off = r * n
                        // the k best (similarity desc, index asc) by insertion into a sorted buffer
                        let bestS = Array.create kk Single.NegativeInfinity
                        let bestJ = Array.create kk Int32.MaxValue

                        for j in 0 .. n - 1 do
                            if j <> row then
                                let s = sims.[off + j]
                                let last = kk - 1

                                if s > bestS.[last] || (s = bestS.[last] && j < bestJ.[last]) then
                                    let mutable p = last

                                    while p > 0 && (s > bestS.[p - 1] || (s = bestS.[p - 1] && j < bestJ.[p - 1])) do
                                        bestS.[p] <- bestS.[p - 1]
                                        bestJ.[p] <- bestJ.[p - 1]
                                        p <- p - 1

                                    bestS.[p] <- s
                                    bestJ.[p] <- j

                        for q in 0 .. kk - 1 do
                            src.[row * kk + q] <- idx.[row]
                            dst.[row * kk + q] <- idx.[bestJ.[q]]
                )
                |> ignore

            src, dst

    /// The k nearest other items (cosine similarity of the rows of `text`, [numItems × dim] row-major) of every
    /// item whose `hasText` is true; items without text have none and are nobody's neighbour. Equal similarities
    /// go to the lower item index (the float32 products themselves can differ in the last bit with the block size
    /// or the BLAS's threads, so which of two equally similar items is kept is fixed per machine and setting, like
    /// the rest of training's floating point). Returns the directed pairs
    /// (item, neighbour), item ascending, neighbours by decreasing similarity. O(n² · dim) for the similarities
    /// (one block of min(1024, 16M / n) rows × n at a time on `device`: at most 64 MiB) and O(n² · k) for the
    /// selection at worst (an insertion into the sorted k best only when a value beats the k-th).
    let neighbours (device: torch.Device) (dim: int) (text: float32[]) (hasText: bool[]) (k: int) : int[] * int[] =
        neighboursInBlocks (16 * 1024 * 1024) device dim text hasText k
