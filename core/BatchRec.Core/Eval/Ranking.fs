namespace BatchRec.Core.Eval

#nowarn "9" // native pointers: the top-K selection reads the score block in place

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
    let inline private worse (s1: float32) (i1: int) (s2: float32) (i2: int) = s1 < s2 || (s1 = s2 && i1 > i2)

    /// Offers (s, j) to a min-heap of the best kk kept so far (n of them; root = the worst kept), ordered by score,
    /// then lower item index first.
    let private offer (hs: Span<float32>) (hi: Span<int>) (n: byref<int>) (kk: int) (s: float32) (j: int) =
        if n < kk then
            let mutable c = n
            n <- n + 1
            let mutable moving = true
            while moving && c > 0 do
                let parent = (c - 1) / 2
                if worse s j hs.[parent] hi.[parent] then
                    hs.[c] <- hs.[parent]; hi.[c] <- hi.[parent]; c <- parent
                else moving <- false
            hs.[c] <- s; hi.[c] <- j
        elif worse hs.[0] hi.[0] s j then
            let mutable c = 0
            let mutable moving = true
            while moving do
                let l = 2 * c + 1
                if l >= kk then moving <- false
                else
                    let m = if l + 1 < kk && worse hs.[l + 1] hi.[l + 1] hs.[l] hi.[l] then l + 1 else l
                    if worse hs.[m] hi.[m] s j then
                        hs.[c] <- hs.[m]; hi.[c] <- hi.[m]; c <- m
                    else moving <- false
            hs.[c] <- s; hi.[c] <- j

    /// Top-k of each row of a row-major [count × numItems] score block in host memory, skipping the excluded items
    /// of users.[r] (their CSR row, columns ascending) and NaN: one pass per row with a size-k min-heap, rows in
    /// parallel. Between excluded items, once the heap is full, whole SIMD vectors whose lanes are all ≤ the heap's
    /// minimum are skipped with one comparison. Best first; equal scores keep the lower item index first.
    /// O(count · numItems) typical, O(count · numItems · log k) worst case.
    let internal selectTopK (scores: nativeint) (count: int) (numItems: int) (exclude: Csr) (users: int[]) (k: int) : int[] * int[] * float32[] =
        let kk = min k numItems
        let rowItems = Array.zeroCreate<int> (count * kk)
        let rowScores = Array.zeroCreate<float32> (count * kk)
        let rowLen = Array.zeroCreate<int> count
        let lanes = Numerics.Vector<float32>.Count
        Threading.Tasks.Parallel.For(0, count, fun r ->
            let row = ReadOnlySpan<float32>(NativeInterop.NativePtr.toVoidPtr (NativeInterop.NativePtr.add (NativeInterop.NativePtr.ofNativeInt<float32> scores) (r * numItems)), numItems)
            let hs = Span<float32>(rowScores, r * kk, kk)
            let hi = Span<int>(rowItems, r * kk, kk)
            let mutable n = 0
            let u = users.[r]
            let mutable ex = exclude.RowPtr.[u]
            let exEnd = exclude.RowPtr.[u + 1]
            let mutable j = 0
            while j < numItems do
                let stop = if ex < exEnd then exclude.ColIdx.[ex] else numItems // next excluded item
                while j < stop do
                    if n = kk && j + lanes <= stop
                       && not (Numerics.Vector.GreaterThanAny(Numerics.Vector<float32>(row.Slice(j, lanes)), Numerics.Vector<float32>(hs.[0]))) then
                        j <- j + lanes
                    else
                        let s = row.[j]
                        if not (Single.IsNaN s) then offer hs hi &n kk s j
                        j <- j + 1
                if ex < exEnd then
                    j <- stop + 1
                    ex <- ex + 1
            // heap → best first
            let pairs = Array.zeroCreate<struct (float32 * int)> n
            for q in 0 .. n - 1 do pairs.[q] <- struct (hs.[q], hi.[q])
            Array.sortInPlaceWith (fun (struct (s1: float32, i1: int)) (struct (s2, i2)) -> if s1 > s2 then -1 elif s1 < s2 then 1 else compare i1 i2) pairs
            for q in 0 .. n - 1 do
                let struct (sq, iq) = pairs.[q]
                hs.[q] <- sq
                hi.[q] <- iq
            rowLen.[r] <- n) |> ignore
        let offsets = Array.zeroCreate (count + 1)
        for r in 0 .. count - 1 do offsets.[r + 1] <- offsets.[r] + rowLen.[r]
        let items = Array.zeroCreate offsets.[count]
        let outScores = Array.zeroCreate offsets.[count]
        for r in 0 .. count - 1 do
            Array.blit rowItems (r * kk) items offsets.[r] rowLen.[r]
            Array.blit rowScores (r * kk) outScores offsets.[r] rowLen.[r]
        offsets, items, outScores

    /// topKUsers on any device: the excluded pairs set to -∞ in the score block, then libtorch's topk, dropping -∞
    /// entries. The reference the CPU selection is tested against, and the path for CUDA (scores stay on the GPU).
    let topKUsersTorch (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (users: int[]) : TopK =
        let device = userEmb.device
        let numItems = int (itemEmb.shape.[0])
        let count = users.Length
        let kk = min k numItems
        use scope = torch.NewDisposeScope()
        let scores = userEmb.index_select(0L, Tensors.indices device users).mm(itemEmb.t()) // [count, I]
        // mask: the exclusion rows of these users, as (local row, item) index pairs
        let total = users |> Array.sumBy (fun u -> exclude.RowPtr.[u + 1] - exclude.RowPtr.[u])
        if total > 0 then
            let rows = Array.zeroCreate total
            let cols = Array.zeroCreate total
            let mutable q = 0
            for r in 0 .. count - 1 do
                let u = users.[r]
                for p in exclude.RowPtr.[u] .. exclude.RowPtr.[u + 1] - 1 do
                    rows.[q] <- r
                    cols.[q] <- exclude.ColIdx.[p]
                    q <- q + 1
            scores.index_put_(torch.tensor(Single.NegativeInfinity), [| Tensors.indices device rows; Tensors.indices device cols |]) |> ignore
        let struct (vals, idx) = scores.topk(kk, 1) // [count, kk] each
        let v = Tensors.toArray vals
        let ix = (idx.cpu().contiguous()).data<int64>().ToArray()
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
        { Users = Array.copy users; Offsets = offsets; Items = items.ToArray(); Scores = outScores.ToArray() }

    /// Masked top-k of a CPU score block [users.Length, I] (row r = users.[r]) with selectTopK.
    let private selectBlock (scores: Tensor) (exclude: Csr) (k: int) (users: int[]) : TopK =
        let scores = scores.contiguous()
        let offsets, items, outScores = selectTopK (SpMM.address scores) users.Length (int scores.shape.[1]) exclude users k
        { Users = Array.copy users; Offsets = offsets; Items = items; Scores = outScores }

    /// For the given users (row r = users.[r]): scores = U[users] · Iᵀ ([n, I]) and the top k items of each row
    /// that the user's row of `exclude` does not hold. On the CPU the product goes to one buffer and selectTopK
    /// masks and selects in one pass over it (no index tensors, no -∞ writes); elsewhere topKUsersTorch.
    /// O(n · I · d). Memory O(n · I) for the block.
    let topKUsers (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (users: int[]) : TopK =
        if userEmb.device.``type`` <> DeviceType.CPU then topKUsersTorch userEmb itemEmb exclude k users
        else
            use scope = torch.NewDisposeScope()
            selectBlock (userEmb.index_select(0L, Tensors.indices userEmb.device users).mm(itemEmb.t())) exclude k users

    /// topKUsers for the users [start, start+count) (a view of the user rows, no copy).
    let topKBlock (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (start: int) (count: int) : TopK =
        let users = Array.init count (fun r -> start + r)
        if userEmb.device.``type`` <> DeviceType.CPU then topKUsersTorch userEmb itemEmb exclude k users
        else
            use scope = torch.NewDisposeScope()
            selectBlock (userEmb.narrow(0L, int64 start, int64 count).mm(itemEmb.t())) exclude k users

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
    /// The users evaluated against `truth`: every user with at least one truth item, or, when maxUsers > 0 and
    /// there are more, a uniform sample of maxUsers of them drawn with a fixed seed (so every model and training
    /// seed is evaluated on the same users). Ascending.
    let sampleUsers (truth: Csr) (maxUsers: int) : int[] =
        let users = [| for u in 0 .. truth.Rows - 1 do if truth.RowPtr.[u + 1] > truth.RowPtr.[u] then yield u |]
        if maxUsers <= 0 || users.Length <= maxUsers then users
        else
            let rng = Random(2020)
            for i in 0 .. maxUsers - 1 do // partial Fisher–Yates: the first maxUsers are a uniform sample
                let j = i + rng.Next(users.Length - i)
                let t = users.[i]
                users.[i] <- users.[j]
                users.[j] <- t
            let picked = Array.sub users 0 maxUsers
            Array.sortInPlace picked
            picked

    /// Full-ranking evaluation of the given users: each ranks all items except `exclude`; every metric in
    /// Metrics.names at every k in ks is averaged over the users with at least one truth item; in chunks of
    /// `chunk` users, so memory is O(chunk × items).
    let evaluateUsers (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (truth: Csr) (ks: int list) (chunk: int) (users: int[]) : MetricValue list =
        if chunk <= 0 then invalidArg "chunk" (sprintf "must be > 0, got %d" chunk)
        let maxK = List.max ks
        let sums = Collections.Generic.Dictionary<string * int, float>()
        let mutable evaluated = 0
        for start in 0 .. chunk .. users.Length - 1 do
            let block = Ranking.topKUsers userEmb itemEmb exclude maxK (Array.sub users start (min chunk (users.Length - start)))
            for b in 0 .. block.Users.Length - 1 do
                let u = block.Users.[b]
                let nRel = truth.RowPtr.[u + 1] - truth.RowPtr.[u]
                if nRel > 0 then
                    evaluated <- evaluated + 1
                    let hits = [| for p in block.Offsets.[b] .. block.Offsets.[b + 1] - 1 -> Csr.contains truth u block.Items.[p] |]
                    for m in Metrics.names do
                        for k in ks do
                            let v = Metrics.compute m k hits nRel
                            sums.[(m, k)] <- (match sums.TryGetValue((m, k)) with | true, s -> s | _ -> 0.0) + v
        [ for m in Metrics.names do
              for k in ks do
                  let s = match sums.TryGetValue((m, k)) with | true, s -> s | _ -> 0.0
                  yield { Metric = m; K = k; Value = if evaluated = 0 then 0.0 else s / float evaluated } ]

    /// evaluateUsers over `sampleUsers truth maxUsers`.
    let evaluateSample (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (truth: Csr) (ks: int list) (chunk: int) (maxUsers: int) : MetricValue list =
        evaluateUsers userEmb itemEmb exclude truth ks chunk (sampleUsers truth maxUsers)

    /// Full-ranking evaluation: each user with at least one `truth` item ranks all items except `exclude`;
    /// every metric in Metrics.names at every k in ks is averaged over those users.
    let evaluate (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (truth: Csr) (ks: int list) (chunk: int) : MetricValue list =
        evaluateSample userEmb itemEmb exclude truth ks chunk 0
