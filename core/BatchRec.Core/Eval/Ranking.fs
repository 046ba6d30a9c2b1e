namespace BatchRec.Core.Eval

open System
open TorchSharp
open BatchRec.Core.Graph
open BatchRec.Core.Nn

/// Top-K lists for a block of users, CSR-like: user Users.[b]'s items are Items/Scores[Offsets.[b] .. Offsets.[b+1]-1],
/// best first, scores non-increasing, excluded items never present (so a user may get fewer than K).
type TopK =
    { Users: int[]
      Offsets: int[]
      Items: int[]
      Scores: float32[] }

/// Full ranking over all items, chunked over users so memory is O(chunk × items), never users × items.
[<RequireQualifiedAccess>]
module Ranking =
    /// For users [start, start+count): scores = U[users] · Iᵀ ([count, I]); excluded (user, item) pairs
    /// (CSR `exclude`, rows = users) are set to -∞; then top-k per row, dropping -∞ entries.
    let topKBlock (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (start: int) (count: int) : TopK =
        let device = userEmb.device
        let numItems = int (itemEmb.shape.[0])
        let kk = min k numItems
        use scope = torch.NewDisposeScope()
        let scores = userEmb.narrow(0L, int64 start, int64 count).mm(itemEmb.t()) // [count, I]
        // mask: the exclusion rows of this block, as (local row, item) index pairs
        let lo, hi = exclude.RowPtr.[start], exclude.RowPtr.[start + count]
        if hi > lo then
            let rows = Array.zeroCreate (hi - lo)
            for r in 0 .. count - 1 do
                for p in exclude.RowPtr.[start + r] .. exclude.RowPtr.[start + r + 1] - 1 do rows.[p - lo] <- r
            let cols = Array.sub exclude.ColIdx lo (hi - lo)
            scores.index_put_(torch.tensor(Single.NegativeInfinity), [| Tensors.indices device rows; Tensors.indices device cols |]) |> ignore
        let struct (vals, idx) = scores.topk(kk, 1) // [count, kk] each
        let v = vals.cpu().data<float32>().ToArray()
        let ix = idx.cpu().data<int64>().ToArray()
        let offsets = Array.zeroCreate (count + 1)
        let items = ResizeArray<int>(count * kk)
        let outScores = ResizeArray<float32>(count * kk)
        for r in 0 .. count - 1 do
            for j in 0 .. kk - 1 do
                let s = v.[r * kk + j]
                if not (Single.IsNegativeInfinity s) then
                    items.Add(int ix.[r * kk + j])
                    outScores.Add s
            offsets.[r + 1] <- items.Count
        { Users = Array.init count (fun r -> start + r); Offsets = offsets; Items = items.ToArray(); Scores = outScores.ToArray() }

    /// topKBlock over all users in chunks of `chunk`, lazily.
    let topK (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (chunk: int) : seq<TopK> =
        if chunk <= 0 then invalidArg "chunk" (sprintf "must be > 0, got %d" chunk)
        let numUsers = int (userEmb.shape.[0])
        seq {
            for start in 0 .. chunk .. numUsers - 1 do
                yield topKBlock userEmb itemEmb exclude k start (min chunk (numUsers - start))
        }

/// One averaged metric value.
type MetricValue = { Metric: string; K: int; Value: float }

[<RequireQualifiedAccess>]
module Evaluation =
    /// Full-ranking evaluation: each user with at least one `truth` item ranks all items except `exclude`;
    /// every metric in Metrics.names at every k in ks is averaged over those users.
    let evaluate (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (truth: Csr) (ks: int list) (chunk: int) : MetricValue list =
        let maxK = List.max ks
        let sums = Collections.Generic.Dictionary<string * int, float>()
        let mutable users = 0
        for block in Ranking.topK userEmb itemEmb exclude maxK chunk do
            for b in 0 .. block.Users.Length - 1 do
                let u = block.Users.[b]
                let nRel = truth.RowPtr.[u + 1] - truth.RowPtr.[u]
                if nRel > 0 then
                    users <- users + 1
                    let hits = [| for p in block.Offsets.[b] .. block.Offsets.[b + 1] - 1 -> Csr.contains truth u block.Items.[p] |]
                    for m in Metrics.names do
                        for k in ks do
                            let v = Metrics.compute m k hits nRel
                            sums.[(m, k)] <- (match sums.TryGetValue((m, k)) with | true, s -> s | _ -> 0.0) + v
        [ for m in Metrics.names do
              for k in ks do
                  let s = match sums.TryGetValue((m, k)) with | true, s -> s | _ -> 0.0
                  yield { Metric = m; K = k; Value = if users = 0 then 0.0 else s / float users } ]
