namespace BatchRec.Core

open BatchRec.Core.Graph
open BatchRec.Core.Train

/// One metric of one split, as the metrics table stores it.
type MetricRecord =
    {
        Split: string
        Metric: string
        K: int
        Value: float
    }

/// A block of top-K lists with each row's reason item (index into the item map, -1 = none).
type ScoredBlock = { TopK: Eval.TopK; Reasons: int array }

/// The narrow facade the C# jobs call: pure transformations from arrays to arrays, the device passed in.
[<RequireQualifiedAccess>]
module Pipeline =

    /// See Tensors.chooseDevice.
    val chooseDevice: preference: DeviceChoice -> TorchSharp.torch.Device

    /// Sets TorchSharp's intra-op threads when `threads` > 0.
    val setThreads: threads: int -> unit

    /// Snapshot from interned interactions: reorders rows canonically (user, timestamp, item, weight, in
    /// canonical index order) so the split does not depend on file order, then assigns the split.
    /// users/items are canonical indices into the given maps. O(E log E).
    val buildSnapshot:
        cfg: Config ->
        userIds: IdMap ->
        itemIds: IdMap ->
        users: int array ->
        items: int array ->
        timestamps: int64 array ->
        weights: float32 array ->
            Snapshot

    /// Snapshot from stored columns (the split already assigned).
    val restoreSnapshot:
        userIds: IdMap ->
        itemIds: IdMap ->
        users: int array ->
        items: int array ->
        timestamps: int64 array ->
        weights: float32 array ->
        splits: byte array ->
            Snapshot

    /// The per-user item sets of a snapshot's split (SplitGraphs.ofSnapshot): user × item CSRs of train, valid, test,
    /// train ∪ valid and everything, and the held-out cold items. O(E log E).
    val splitGraphs: s: Snapshot -> Train.SplitGraphs

    /// Trains the configured model; `onEpoch` receives each epoch's report. `features` (text, attributes) are
    /// used by gat and gat-text; NodeFeatures.none otherwise.
    val train:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        features: Graph.NodeFeatures ->
        onEpoch: System.Action<Train.EpochReport> ->
        ct: System.Threading.CancellationToken ->
            Train.TrainedModel

    /// `train`, with each setting a model tries (EASE's λ values) reported to `onTuning` as it is scored.
    val trainTuned:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        features: Graph.NodeFeatures ->
        onEpoch: System.Action<Train.EpochReport> ->
        onTuning: System.Action<Train.TuningPoint> ->
        ct: System.Threading.CancellationToken ->
            Train.TrainedModel

    /// EASE's B for `cfg` (Trainer.easeWeights: λ and side information chosen on validation): the weights and every
    /// setting scored. It depends on the split and the features, not on train.seed.
    val easeWeights:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        features: Graph.NodeFeatures ->
        onTuning: System.Action<Train.TuningPoint> ->
        ct: System.Threading.CancellationToken ->
            struct (float32 array * Train.TuningPoint list)

    /// A trained factor model joined with EASE weights (Trainer.blendWith: the blend weight chosen on validation).
    val blendWith:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        m: Train.TrainedModel ->
        weights: float32 array ->
        easePoints: Train.TuningPoint list ->
        onTuning: System.Action<Train.TuningPoint> ->
        ct: System.Threading.CancellationToken ->
            Train.TrainedModel

    /// Items with no training interaction: their embeddings come from text and attributes only (cold start).
    val coldItems: graphs: Train.SplitGraphs -> bool array


    /// The model's factors as [U, d] and [I, d] tensors on `device` ([U, 0] and [I, 0] for a model without any).
    val internal factorTensors:
        device: TorchSharp.torch.Device -> m: Train.TrainedModel -> TorchSharp.torch.Tensor * TorchSharp.torch.Tensor


    /// Every item's score.similarItems most similar items (Eval.SimilarItems.compute with search): the
    /// similar_items table. `features` are the model's config's (text when it encodes text, attributes).
    val similarItems:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        m: Train.TrainedModel ->
        features: Graph.NodeFeatures ->
            Eval.SimilarItems

    /// How the reason item of a recommendation is chosen for this model (the output's reason_kind):
    /// "item-contribution" with an item–item part (Explain.contributions), "none" for popularity, else
    /// "embedding-cosine" (Explain.reasons).
    val reasonKind: m: Train.TrainedModel -> string

    /// The held-out items (ascending) and the cold interactions as a user × held-out-index CSR.
    val internal coldTruth: graphs: Train.SplitGraphs -> int array * Graph.Csr


    /// Full-ranking metrics on valid (train masked) and test (train and valid masked), over every user of each split
    /// or eval.maxUsers of them (Evaluation.sampleUsers); in cold-items mode also
    /// the "cold" split (evaluateCold).
    val evaluate:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        m: Train.TrainedModel ->
            MetricRecord list

    /// The validation eval.stopMetric@stopK of each validation user (Evaluation.sampleUsers of the valid split with
    /// eval.maxUsers, ascending), ranked as `evaluate` ranks them: what model.kind auto's paired comparison reads.
    val validScores:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        m: Train.TrainedModel ->
            float array

    /// Top-K for the users [start, start+count) (one scoring shard) over the items each has never interacted with,
    /// lazily in user blocks of Config.blockUsers (score.userChunk, score.blockMiB), each with a function that
    /// computes its rows' reason items (Explain.reasons over the user's whole history; -1 for popularity, whose 1-dim
    /// factors carry no similarity), so a caller can write a block's other columns while its reasons are computed.
    /// The reason functions need no tensor and stay valid after enumeration ends. On the CPU's sgemm path the top-K
    /// reads the model's factor arrays in place (TopK.topKBlockArrays); elsewhere factor tensors are made once and
    /// held until enumeration ends. Throws ArgumentException when the range is not inside 0..users.
    val scoreRangeDeferred:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        m: Train.TrainedModel ->
        start: int ->
        count: int ->
            (Eval.TopK * (unit -> int array)) seq

    /// scoreRangeDeferred with each block's reasons computed: the top-K blocks of users [start, start+count), each
    /// row with its reason item. Concatenating the ranges of a partition of 0..users-1 gives `score`'s rows.
    val scoreRange:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        m: Train.TrainedModel ->
        start: int ->
        count: int ->
            ScoredBlock seq

    /// scoreRange over every user.
    val score:
        cfg: Config ->
        device: TorchSharp.torch.Device ->
        graphs: Train.SplitGraphs ->
        m: Train.TrainedModel ->
            ScoredBlock seq

    /// The model's factors re-indexed for another snapshot: row r of the result is row `userRows.[r]` (`itemRows.[r]`)
    /// of `m`, or zeros where that is -1 (an id the model never saw). Used to evaluate a previous model on a new
    /// run's data. O((U + I)·dim). Throws ArgumentException for a row index outside the model.
    val remapFactors: m: Train.TrainedModel -> userRows: int array -> itemRows: int array -> Train.TrainedModel
