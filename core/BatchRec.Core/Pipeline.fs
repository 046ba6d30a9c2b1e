namespace BatchRec.Core

open System
open System.Threading
open TorchSharp
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval
open BatchRec.Core.Train

/// One metric of one split, as the metrics table stores it.
type MetricRecord = { Split: string; Metric: string; K: int; Value: float }

/// The narrow facade the C# jobs call: pure transformations from arrays to arrays, the device passed in.
[<RequireQualifiedAccess>]
module Pipeline =
    /// See Tensors.chooseDevice.
    let chooseDevice (preference: string) = Tensors.chooseDevice preference

    /// Sets TorchSharp's intra-op threads when `threads` > 0.
    let setThreads (threads: int) = if threads > 0 then torch.set_num_threads threads

    /// Snapshot from interned interactions: reorders rows canonically (user, timestamp, item, weight, in
    /// canonical index order) so the split does not depend on file order, then assigns the split.
    /// users/items are canonical indices into the given maps. O(E log E).
    let buildSnapshot (cfg: Config) (userIds: IdMap) (itemIds: IdMap) (users: int[]) (items: int[]) (timestamps: int64[]) (weights: float32[]) : Snapshot =
        let n = users.Length
        if items.Length <> n || timestamps.Length <> n || weights.Length <> n then
            invalidArg "items" "users, items, timestamps and weights must have the same length"
        let order = Array.init n id
        Array.Sort(order, Comparison(fun a b ->
            let c = compare users.[a] users.[b]
            if c <> 0 then c else
            let c = compare timestamps.[a] timestamps.[b]
            if c <> 0 then c else
            let c = compare items.[a] items.[b]
            if c <> 0 then c else
            let c = compare weights.[a] weights.[b]
            if c <> 0 then c else compare a b))
        let inter =
            { Users = order |> Array.map (fun e -> users.[e])
              Items = order |> Array.map (fun e -> items.[e])
              Timestamps = order |> Array.map (fun e -> timestamps.[e])
              Weights = order |> Array.map (fun e -> weights.[e]) }
        { UserIds = userIds
          ItemIds = itemIds
          Interactions = inter
          Splits = Splitting.assign cfg.Split.Valid cfg.Split.Test cfg.Train.Seed userIds.Count inter.Users }

    /// Snapshot from stored columns (the split already assigned).
    let restoreSnapshot (userIds: IdMap) (itemIds: IdMap) (users: int[]) (items: int[]) (timestamps: int64[]) (weights: float32[]) (splits: byte[]) : Snapshot =
        { UserIds = userIds
          ItemIds = itemIds
          Interactions = { Users = users; Items = items; Timestamps = timestamps; Weights = weights }
          Splits = splits |> Array.map (fun b -> LanguagePrimitives.EnumOfValue<byte, Split> b) }

    let splitGraphs (s: Snapshot) = SplitGraphs.ofSnapshot s

    /// Trains the configured model; `onEpoch` receives each epoch's report.
    let train (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (onEpoch: Action<EpochReport>) (ct: CancellationToken) =
        Trainer.train cfg device graphs onEpoch.Invoke ct

    let private factorTensors (device: torch.Device) (m: TrainedModel) =
        let nU = m.UserFactors.Length / m.Dim
        let nI = m.ItemFactors.Length / m.Dim
        use u0 = torch.tensor(m.UserFactors, device = device)
        use i0 = torch.tensor(m.ItemFactors, device = device)
        u0.reshape(int64 nU, int64 m.Dim), i0.reshape(int64 nI, int64 m.Dim) // [U, d], [I, d]

    /// Full-ranking metrics on valid (train masked) and test (train and valid masked).
    let evaluate (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (m: TrainedModel) : MetricRecord list =
        let ue, ie = factorTensors device m
        use ue = ue
        use ie = ie
        [ for split, exclude, truth in [ "valid", graphs.Train, graphs.Valid; "test", graphs.TrainValid, graphs.Test ] do
              for v in Evaluation.evaluate ue ie exclude truth cfg.Eval.Ks cfg.Eval.UserChunk do
                  yield { Split = split; Metric = v.Metric; K = v.K; Value = v.Value } ]

    /// Top-K for every user over the items they have never interacted with, lazily in user chunks of
    /// `Score.UserChunk` (stream each to the writer). Holds the factor tensors until enumeration ends.
    let score (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (m: TrainedModel) : seq<TopK> =
        seq {
            let ue, ie = factorTensors device m
            use ue = ue
            use ie = ie
            yield! Ranking.topK ue ie graphs.All cfg.Score.K cfg.Score.UserChunk
        }

    /// `score` restricted to the users [start, start+count) (one scoring shard), in user chunks of
    /// `Score.UserChunk`, lazily. Concatenating the ranges of a partition of 0..users-1 gives `score`'s rows.
    /// Throws ArgumentException when the range is not inside 0..users.
    let scoreRange (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (m: TrainedModel) (start: int) (count: int) : seq<TopK> =
        let numUsers = m.UserFactors.Length / m.Dim
        if start < 0 || count < 0 || start + count > numUsers then
            invalidArg "start" (sprintf "users [%d, %d) are not inside 0..%d" start (start + count) numUsers)
        seq {
            let ue, ie = factorTensors device m
            use ue = ue
            use ie = ie
            let chunk = cfg.Score.UserChunk
            for s in start .. chunk .. start + count - 1 do
                yield Ranking.topKBlock ue ie graphs.All cfg.Score.K s (min chunk (start + count - s))
        }

    /// The model's factors re-indexed for another snapshot: row r of the result is row `userRows.[r]` (`itemRows.[r]`)
    /// of `m`, or zeros where that is -1 (an id the model never saw). Used to evaluate a previous model on a new
    /// run's data. O((U + I)·dim). Throws ArgumentException for a row index outside the model.
    let remapFactors (m: TrainedModel) (userRows: int[]) (itemRows: int[]) : TrainedModel =
        let take (src: float32[]) (rows: int[]) (name: string) =
            let n = src.Length / m.Dim
            let dst = Array.zeroCreate (rows.Length * m.Dim)
            rows |> Array.iteri (fun r s ->
                if s >= n || s < -1 then invalidArg name (sprintf "row %d is outside 0..%d" s (n - 1))
                if s >= 0 then Array.blit src (s * m.Dim) dst (r * m.Dim) m.Dim)
            dst
        { m with UserFactors = take m.UserFactors userRows "userRows"; ItemFactors = take m.ItemFactors itemRows "itemRows" }
