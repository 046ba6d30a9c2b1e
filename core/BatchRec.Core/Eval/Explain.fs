namespace BatchRec.Core.Eval

open System
open System.Numerics
open System.Runtime.InteropServices
open System.Threading.Tasks
open BatchRec.Core.Graph
open BatchRec.Core.Nn

/// "Because you interacted with X": for each recommended item, the item of the user's history whose final
/// embedding is most similar to it (cosine similarity of the trained item embeddings, the same vectors the
/// score is a dot product of). Ties go to the lower item index.
[<RequireQualifiedAccess>]
module Explain =
    /// Row-normalised copy of item factors [I × d] (zero rows stay zero). Rows in parallel blocks, vectorised dots.
    let normalise (itemFactors: float32[]) (dim: int) : float32[] =
        let n = itemFactors.Length / dim
        let out = Array.zeroCreate itemFactors.Length
        let block = 1024
        Parallel.For(0, (n + block - 1) / block, fun c ->
            for i in c * block .. (min n ((c + 1) * block)) - 1 do
                let row = ReadOnlySpan<float32>(itemFactors, i * dim, dim)
                let s = SpMM.dot row row
                let inv = if s > 0.0f then 1.0f / sqrt s else 0.0f
                for j in 0 .. dim - 1 do out.[i * dim + j] <- itemFactors.[i * dim + j] * inv) |> ignore
        out

    /// The reason item for every row of a top-K block: history = the user's items in `history` (rows = users);
    /// -1 when the user has no history. `unit` = normalise's output. O(Σ_rows |history| · d).
    ///
    /// Per user, the recommended rows are transposed into a d × k' block (k' = k rounded up to whole SIMD vectors),
    /// so that one history row updates k' similarities at once: s[0..k') += h[j] · Rᵀ[j, 0..k') for j < d, with no
    /// horizontal sums; the best similarity and its item are then kept per lane with a vector compare. A history
    /// item replaces the best so far only when strictly more similar, so ties keep the earlier item in the user's
    /// (ascending) history.
    let reasons (unit: float32[]) (dim: int) (history: Csr) (block: TopK) : int[] =
        let result = Array.create block.Items.Length -1
        let lanes = Vector<float32>.Count
        Parallel.For(0, block.Users.Length, fun b ->
            let u = block.Users.[b]
            let h0, h1 = history.RowPtr.[u], history.RowPtr.[u + 1]
            let p0, p1 = block.Offsets.[b], block.Offsets.[b + 1]
            let k = p1 - p0
            if k > 0 && h1 > h0 then
                let nv = (k + lanes - 1) / lanes
                // Rᵀ [dim × stride], padded lanes zero; the register path reads 4 vectors per j whatever nv is
                let stride = (if nv <= 4 then 4 else nv) * lanes
                let rt = Array.zeroCreate<float32> (dim * stride)
                for p in p0 .. p1 - 1 do
                    let src = block.Items.[p] * dim
                    for j in 0 .. dim - 1 do rt.[j * stride + (p - p0)] <- unit.[src + j]
                let rtv = MemoryMarshal.Cast<float32, Vector<float32>>(ReadOnlySpan<float32>(rt))
                let best = Array.create nv (Vector<float32>(Single.NegativeInfinity))
                let bestItem = Array.create nv (Vector<int>(-1))
                let update (v: int) (acc: Vector<float32>) (hv: Vector<int>) =
                    let better = Vector.GreaterThan(acc, best.[v])
                    best.[v] <- Vector.ConditionalSelect(better, acc, best.[v])
                    bestItem.[v] <- Vector.ConditionalSelect(Vector.AsVectorInt32 better, hv, bestItem.[v])
                if nv <= 4 then
                    // up to 4 vectors of recommendations (k ≤ 32 with 8 lanes) and two history rows per pass, so 8
                    // independent accumulators stay in registers
                    let mutable q = h0
                    while q < h1 do
                        let two = q + 1 < h1
                        let hA = history.ColIdx.[q]
                        let hB = if two then history.ColIdx.[q + 1] else hA
                        let ra, rb = hA * dim, hB * dim
                        let mutable a0 = Vector<float32>.Zero
                        let mutable a1 = Vector<float32>.Zero
                        let mutable a2 = Vector<float32>.Zero
                        let mutable a3 = Vector<float32>.Zero
                        let mutable b0 = Vector<float32>.Zero
                        let mutable b1 = Vector<float32>.Zero
                        let mutable b2 = Vector<float32>.Zero
                        let mutable b3 = Vector<float32>.Zero
                        for j in 0 .. dim - 1 do
                            let o = 4 * j
                            let xa = Vector<float32>(unit.[ra + j])
                            let xb = Vector<float32>(unit.[rb + j])
                            let v0, v1, v2, v3 = rtv.[o], rtv.[o + 1], rtv.[o + 2], rtv.[o + 3]
                            a0 <- a0 + xa * v0
                            a1 <- a1 + xa * v1
                            a2 <- a2 + xa * v2
                            a3 <- a3 + xa * v3
                            b0 <- b0 + xb * v0
                            b1 <- b1 + xb * v1
                            b2 <- b2 + xb * v2
                            b3 <- b3 + xb * v3
                        // in history order: A before B, so ties keep the earlier item
                        let hv = Vector<int>(hA)
                        update 0 a0 hv
                        if nv > 1 then update 1 a1 hv
                        if nv > 2 then update 2 a2 hv
                        if nv > 3 then update 3 a3 hv
                        if two then
                            let hv = Vector<int>(hB)
                            update 0 b0 hv
                            if nv > 1 then update 1 b1 hv
                            if nv > 2 then update 2 b2 hv
                            if nv > 3 then update 3 b3 hv
                        q <- q + 2
                else
                    let acc = Array.zeroCreate<Vector<float32>> nv
                    for q in h0 .. h1 - 1 do
                        let h = history.ColIdx.[q]
                        let hrow = h * dim
                        for v in 0 .. nv - 1 do acc.[v] <- Vector<float32>.Zero
                        for j in 0 .. dim - 1 do
                            let x = Vector<float32>(unit.[hrow + j])
                            let o = j * nv
                            for v in 0 .. nv - 1 do acc.[v] <- acc.[v] + x * rtv.[o + v]
                        let hv = Vector<int>(h)
                        for v in 0 .. nv - 1 do update v acc.[v] hv
                for p in p0 .. p1 - 1 do
                    let l = p - p0
                    result.[p] <- bestItem.[l / lanes].[l % lanes]) |> ignore
        result
