namespace BatchRec.Core.Eval

open System
open System.Threading.Tasks
open BatchRec.Core.Graph

/// "Because you interacted with X": for each recommended item, the item of the user's history whose final
/// embedding is most similar to it (cosine similarity of the trained item embeddings, the same vectors the
/// score is a dot product of). Ties go to the lower item index.
[<RequireQualifiedAccess>]
module Explain =
    /// Row-normalised copy of item factors [I × d] (zero rows stay zero).
    let normalise (itemFactors: float32[]) (dim: int) : float32[] =
        let n = itemFactors.Length / dim
        let out = Array.zeroCreate itemFactors.Length
        Parallel.For(0, n, fun i ->
            let mutable s = 0.0f
            for j in 0 .. dim - 1 do s <- s + itemFactors.[i * dim + j] * itemFactors.[i * dim + j]
            let inv = if s > 0.0f then 1.0f / sqrt s else 0.0f
            for j in 0 .. dim - 1 do out.[i * dim + j] <- itemFactors.[i * dim + j] * inv) |> ignore
        out

    /// The reason item for every row of a top-K block: history = the user's items in `history` (rows = users);
    /// -1 when the user has no history. `unit` = normalise's output. O(Σ_rows |history| · d).
    let reasons (unit: float32[]) (dim: int) (history: Csr) (block: TopK) : int[] =
        let result = Array.create block.Items.Length -1
        Parallel.For(0, block.Users.Length, fun b ->
            let u = block.Users.[b]
            let h0, h1 = history.RowPtr.[u], history.RowPtr.[u + 1]
            for p in block.Offsets.[b] .. block.Offsets.[b + 1] - 1 do
                let i = block.Items.[p]
                let mutable best = -1
                let mutable bestSim = Single.NegativeInfinity
                for q in h0 .. h1 - 1 do
                    let h = history.ColIdx.[q]
                    let mutable s = 0.0f
                    let ri, rh = i * dim, h * dim
                    for j in 0 .. dim - 1 do s <- s + unit.[ri + j] * unit.[rh + j]
                    if s > bestSim then
                        bestSim <- s
                        best <- h
                result.[p] <- best) |> ignore
        result
