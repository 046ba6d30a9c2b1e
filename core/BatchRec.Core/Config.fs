namespace BatchRec.Core

open System
open System.Text.Json

/// Where a dataset comes from and where its outputs go. Relative paths are resolved by the shell
/// against the folder of the config file.
type DatasetConfig =
    {
        Name: string
        Input: string
        Output: string
        Work: string
    }

type ModelConfig =
    {
        /// What the train stage fits (Choices.fs: the kinds and what each is).
        Kind: ModelKind
        Dim: int
        /// Propagation layers (lightgcn, gat, gat-text); bpr-mf and popularity ignore it.
        Layers: int
        /// Attention heads per GAT layer (their coefficients are averaged).
        Heads: int
        /// Attention (edge) dropout during GAT training.
        Dropout: float
        /// gat/gat-text: add item–attribute edges from items.tags (attribute nodes get their own embeddings).
        Attributes: bool
        /// User–item edge weight fed to the attention: one | weight | log1p (of the interaction's weight).
        EdgeWeight: EdgeWeight
        /// gat/gat-text: the seed's h = MLP(concat(self, neighbourhood)) on the final embeddings (residual).
        FinalMlp: bool
        /// Ablation only: apply MLP(concat(self, neighbourhood)) with a non-linearity at every layer, as the
        /// seed's formula reads literally (trains worse; see the ablation in bench/README.md).
        LayerMlp: bool
        /// gat/gat-text: learned attention; false = fixed LightGCN weights on the same graph (ablation).
        Attention: bool
        /// gat-text: probability of hiding an item's id embedding in a batch, so text alone must carry it (cold start).
        IdDropout: float
        /// gat-text: how the projected text joins the id embedding: add (e + P t) | mlp (e + P t + MLP([e ; P t])).
        Fusion: Fusion
        /// gat-text: join each item with text to its k nearest items by text similarity (item–item edges); 0 = none.
        TextNeighbours: int
        /// Trainable models: dot (score = ⟨h_u, h_i⟩) | cosine (the final embeddings unit-normalised, so score = cos).
        Score: ScoreFunction
    }

type TrainConfig =
    {
        MaxEpochs: int
        BatchSize: int
        LearningRate: float
        /// Weight of RecBole's EmbLoss on the batch's layer-0 embeddings.
        L2: float
        /// Evaluate on validation every this many epochs.
        EvalEvery: int
        /// Stop after this many evaluations without improvement of the early-stopping metric.
        Patience: int
        Seed: int
        /// auto | cpu | cuda
        Device: DeviceChoice
        /// Intra-op threads for TorchSharp; 0 = library default.
        Threads: int
        /// gat/gat-text: neighbour-sampling fan-out per propagation layer [f_1..f_L] (f_1 = the layer next to the
        /// layer-0 features, f_L = the one next to the batch). Empty (the default) = full-graph propagation every
        /// batch. Non-empty: mini-batch training on sampled blocks (Graph/NeighbourSampling), so training memory is
        /// bounded by the batch (batch · Π f_l · dim) rather than the graph; must have model.layers entries, each ≥ 1.
        Fanout: int list
        /// bpr (one uniform negative per pair) | softmax (sampled softmax over train.negatives shared negatives).
        Loss: LossKind
        /// softmax: uniform negatives drawn per batch, shared by its pairs.
        Negatives: int
        /// Temperature τ dividing the scores of the softmax loss, and of BPR with model.score cosine.
        Temperature: float
    }

/// EASE (model.kind ease): the closed-form item–item model.
type EaseConfig =
    {
        /// L2 weights λ tried: each is fitted on the train split and scored on validation; the best is kept.
        Lambdas: float list
        /// Refuse to fit when the fit's two items × items float32 matrices would need more than this many GiB.
        MaxGiB: float
        /// Side information, weights w tried for the item attributes (items.tags) as rows appended to X
        /// (G += w FᵀF); [0] = none. Searched on validation after λ (Trainer.easeWeights).
        TagWeights: float list
        /// Side information, weights w tried for the item text vectors (G += w T Tᵀ); [0] = none. Searched after the
        /// tag weight.
        TextWeights: float list
        /// none | content: the columns of items without training interactions (new items) from a content map fitted
        /// on the other items (Nn/Ease.contentMap), so EASE can recommend them; its ridge is chosen on pseudo-new items.
        ColdItems: NewItems
        /// content: ridge weights μ tried for the content map.
        ContentRidges: float list
        /// content: factors s tried on the new items' columns (s · A f_j), chosen on validation with new and warm items in one
        /// ranking (the map's scale is not B's; the order of new items among themselves does not change); first of equals wins.
        ColdScales: float list
    }

/// An item–item component joined to a trained factor model (its score = c · ⟨h_u, h_i⟩ + EASE's X·B).
type BlendConfig =
    {
        /// none | ease
        ItemItem: ItemItemPart
        /// The factor model's weights w tried relative to the two parts' score scales (c = w · σ_B / σ_h); the best
        /// on validation is kept.
        Weights: float list
    }

/// model.kind auto: the candidates trained on one snapshot and split; the best on validation is published.
type AutoConfig =
    {
        /// Model names trained (a kind or a variant KIND:LABEL, each with its compare.NAME overrides), simplest first.
        Candidates: string list
        /// The one-standard-error rule: an earlier candidate is kept when its validation score is within this many
        /// standard errors of the best one's (the paired per-user difference); 0 = the best, the earlier of equals.
        StandardErrors: float
    }

/// Nearest-neighbour search over item vectors (Nn/VectorSearch: the text-neighbour graph, similar items): exact
/// cosine top-k for small sets, an HNSW graph (USearch) above.
type SearchConfig =
    {
        /// Exact search when the number of candidate vectors is at most this; HNSW above it.
        ExactBelow: int
        /// HNSW connectivity M: links per node and layer (layer 0 holds 2M); more = better recall, more memory.
        Connectivity: int
        /// HNSW candidate list while inserting (efConstruction); more = better graph, slower build.
        ExpansionAdd: int
        /// HNSW candidate list while searching (ef); more = better recall, slower queries.
        ExpansionSearch: int
        /// Threads adding to the HNSW graph: 1 = one thread in row order (the same graph, neighbours and scores on
        /// every run); 0 = one per core, N = N (capped at the cores). Above 1 the graph depends on the threads'
        /// interleaving, so a neighbour list can differ between runs. Searches run on every core either way (they do
        /// not change the graph, so their results do not depend on it).
        Threads: int
    }

type SplitConfig = { Valid: float; Test: float }

type EvalConfig =
    {
        /// standard (the split's valid/test) | cold-items (also hold out a seeded fraction of items entirely)
        Mode: EvalMode
        /// cold-items: fraction of items held out with all their interactions.
        ColdFraction: float
        /// cold-items: cut-offs of the cold ranking metrics.
        ColdKs: int list
        Ks: int list
        /// mrr | ndcg | recall | hit | precision, at StopK.
        StopMetric: RankingMetric
        StopK: int
        /// Users per chunk of the full-ranking score matrix.
        UserChunk: int
        /// Evaluate (validation during training, valid and test in the evaluate stage) on a fixed-seed uniform sample
        /// of at most this many users of each split; 0 = every user. For large datasets, where full ranking of every
        /// user costs as much as scoring them all.
        MaxUsers: int
    }

type ScoreConfig =
    {
        K: int
        UserChunk: int
        /// Memory budget of one users × items score block, in MiB, for scoring and evaluation: a block holds at most
        /// min(userChunk, blockMiB / (4 bytes × items)) users (at least one), so wide catalogues get shorter blocks.
        BlockMiB: int
        /// Threads of the CPU scoring kernels (the fused top-K and the reasons) in each scoring shard; 0 = one per core.
        Threads: int
        /// Similar items per item in the similar_items table (Eval.SimilarItems); 0 = no table.
        SimilarItems: int
    }

type TextConfig =
    {
        /// The sentence encoder (the only one shipped): all-MiniLM-L6-v2.
        Encoder: string
        /// Folder of the text-vector cache (Parquet keyed by hash of encoder name and text); "" = <work>/text-cache.
        Cache: string
        /// Sentences per encoder call.
        BatchSize: int
        /// Encode users.text into user features when a users table is given.
        UserText: bool
        /// items.text joins an item's encoded text (title, tags, text); false = catalogue attributes only (title and
        /// tags), e.g. when items.text holds what users wrote (the sample's user-applied tags).
        ItemText: bool
    }

type PublishConfig =
    {
        /// Compare the new model's validation NDCG@10 with the published (champion) model's on the same data.
        ChampionCheck: bool
        /// Publish only if the new NDCG@10 is at least the champion's minus this (absolute).
        Tolerance: float
        /// Publish gate: reject the run when the users it would recommend to are fewer than this fraction of the last
        /// published run's (a collapsed input); 0 = off.
        MinUsersFraction: float
        /// Publish gate: reject the run when its recommendation rows are fewer than this fraction of the last published
        /// run's; 0 = off.
        MinRowsFraction: float
    }

/// How the ingest stage validates, quarantines and windows the interaction log.
type IngestConfig =
    {
        /// Fail the run before training when a partition's quarantined rows exceed this fraction of its rows read.
        MaxBadFraction: float
        /// keep | quarantine: interactions whose item is not in the items table (when one is given).
        UnknownItems: RowPolicy
        /// Sane range of event times, epoch seconds, inclusive; rows outside are quarantined.
        MinTimestamp: int64
        MaxTimestamp: int64
        /// seconds | milliseconds: the unit of integer timestamp columns (Parquet timestamps carry their own).
        TimestampUnit: TimestampUnit
        /// Longest accepted user or item id, in UTF-16 code units; longer ids are quarantined.
        MaxIdLength: int
        /// Use only dt= partitions of the last N days up to the run date; 0 = every partition.
        WindowDays: int
        /// Row groups decoded ahead on another thread while the current one is validated and interned (uses a second
        /// core; memory grows by this many row groups); 0 = decode and validate in turn.
        ReadAhead: int
        /// keep | quarantine: interactions whose weight is negative (reason weight_negative); counted either way.
        NegativeWeights: RowPolicy
        /// keep | quarantine: interactions whose weight is zero (reason weight_zero); counted either way.
        ZeroWeights: RowPolicy
        /// first | fail: items-table rows repeating an earlier row's item_id (files in path order, rows in file order):
        /// keep the first row and ignore the others, or fail the run naming both rows; counted either way.
        DuplicateItems: DuplicateItems
    }

type Config =
    {
        Dataset: DatasetConfig
        Model: ModelConfig
        Train: TrainConfig
        Ease: EaseConfig
        Blend: BlendConfig
        Auto: AutoConfig
        Search: SearchConfig
        Split: SplitConfig
        Eval: EvalConfig
        Score: ScoreConfig
        Text: TextConfig
        Publish: PublishConfig
        Ingest: IngestConfig
        /// `batchrec compare` only: per-model overrides of this config (raw JSON objects keyed by model kind), e.g.
        /// a model's own learning rate. The run chain ignores them.
        Compare: Map<string, string>
    }

/// One problem in a config: the dotted key and what is wrong, quoting the bad value.
type ConfigError =
    {
        Key: string
        Message: string
    }

    override this.ToString() = sprintf "%s: %s" this.Key this.Message

[<RequireQualifiedAccess>]
module Config =
    /// Users per score block for a catalogue of `numItems`: min(userChunk, blockMiB MiB / (4 · numItems)), at least 1.
    let blockUsers (userChunk: int) (blockMiB: int) (numItems: int) : int =
        let byBudget = int64 blockMiB * 1048576L / (4L * int64 (max 1 numItems))
        int (max 1L (min (int64 userChunk) byBudget))

    /// Defaults: LightGCN 64×3 with RecBole's protocol (80/10/10, MRR@10 early stopping every 10 epochs,
    /// patience 10 evaluations), top-20 output. The host's settings (schedule, storage, jobs, dashboard) are not here:
    /// the host binds them (jobs/BatchRec.Jobs/Configuration/HostSettings.cs).
    let Default =
        {
            Dataset =
                {
                    Name = "sample"
                    Input = "data/sample"
                    Output = "out"
                    Work = "work"
                }
            Model =
                {
                    Kind = ModelKind.LightGcn
                    Dim = 64
                    Layers = 3
                    Heads = 2
                    Dropout = 0.0
                    Attributes = true
                    EdgeWeight = EdgeWeight.One
                    FinalMlp = false
                    LayerMlp = false
                    Attention = false
                    IdDropout = 0.0
                    Fusion = Fusion.Add
                    TextNeighbours = 10
                    Score = ScoreFunction.Dot
                }
            Train =
                {
                    MaxEpochs = 1000
                    BatchSize = 4096
                    LearningRate = 0.002
                    L2 = 1e-4
                    EvalEvery = 10
                    Patience = 10
                    Seed = 2020
                    Device = DeviceChoice.Auto
                    Threads = 0
                    Fanout = []
                    Loss = LossKind.Bpr
                    Negatives = 256
                    Temperature = 0.1
                }
            Ease =
                {
                    Lambdas = [ 50.0; 100.0; 200.0; 300.0; 500.0; 1000.0; 2000.0 ]
                    MaxGiB = 4.0
                    TagWeights = [ 0.0 ]
                    TextWeights = [ 0.0 ]
                    ColdItems = NewItems.None
                    ContentRidges = [ 1.0; 10.0; 100.0 ]
                    ColdScales = [ 1.0; 0.1; 0.01; 0.001 ]
                }
            Blend =
                {
                    ItemItem = ItemItemPart.None
                    Weights = [ 0.125; 0.25; 0.5; 1.0; 2.0; 4.0 ]
                }
            Auto =
                {
                    Candidates = [ "ease"; "gat-text" ]
                    StandardErrors = 1.0
                }
            Search =
                {
                    ExactBelow = 50000
                    Connectivity = 16
                    ExpansionAdd = 128
                    ExpansionSearch = 128
                    Threads = 1
                }
            Split = { Valid = 0.1; Test = 0.1 }
            Eval =
                {
                    Mode = EvalMode.Standard
                    ColdFraction = 0.1
                    ColdKs = [ 20 ]
                    Ks = [ 10; 20 ]
                    StopMetric = RankingMetric.Mrr
                    StopK = 10
                    UserChunk = 2048
                    MaxUsers = 0
                }
            Score =
                {
                    K = 20
                    UserChunk = 2048
                    BlockMiB = 256
                    Threads = 0
                    SimilarItems = 20
                }
            Text =
                {
                    Encoder = "all-MiniLM-L6-v2"
                    Cache = ""
                    BatchSize = 64
                    UserText = true
                    ItemText = true
                }
            Publish =
                {
                    ChampionCheck = true
                    Tolerance = 0.01
                    MinUsersFraction = 0.5
                    MinRowsFraction = 0.5
                }
            Ingest =
                {
                    MaxBadFraction = 0.05
                    UnknownItems = RowPolicy.Keep
                    MinTimestamp = 0L
                    MaxTimestamp = 4102444800L // 2100-01-01
                    TimestampUnit = TimestampUnit.Seconds
                    MaxIdLength = 1024
                    WindowDays = 0
                    ReadAhead = 2
                    NegativeWeights = RowPolicy.Quarantine
                    ZeroWeights = RowPolicy.Keep
                    DuplicateItems = DuplicateItems.First
                }
            Compare = Map.empty
        }

    /// The names of the model kinds that train one model (every kind but auto), for messages.
    let modelKinds = ModelKind.trainable |> List.map (fun k -> k.Name)

    /// The largest catalogue EASE can hold at all: B (4 · items² bytes) is copied to and from the model file through one
    /// .NET span, at most 2³¹ − 1 bytes, so 23,170 items whatever ease.maxGiB says (Ease.maxItems, which Ease.gram checks).
    let easeItemLimit = 23170

    /// The largest catalogue an EASE fit takes within `maxGiB` (Ease.fitBytes: 8 · items² bytes), at most easeItemLimit.
    /// evaluates to: Config.easeMaxItems 4.0 = 23170; Config.easeMaxItems 1.0 = 11585; Config.easeMaxItems 16.0 = 23170
    let easeMaxItems (maxGiB: float) =
        min easeItemLimit (int (floor (sqrt (maxGiB * 1073741824.0 / 8.0))))

    /// The kind part of a model name: the name itself, or KIND of a variant named KIND:LABEL.
    /// evaluates to: Config.kindNameOf "gat-text:no-text" = "gat-text"
    let kindNameOf (name: string) =
        match name.IndexOf ':' with
        | -1 -> name
        | i -> name.Substring(0, i)

    /// A model name `compare.NAME` and `--models` accept: a trainable model kind, or KIND:LABEL (a variant of that
    /// kind with its own compare.KIND:LABEL overrides), LABEL of a-z, 0-9 and '-'.
    let isModelName (name: string) =
        let kind = kindNameOf name

        List.contains kind modelKinds
        && (kind = name
            || (let label = name.Substring(kind.Length + 1) in

                label <> ""
                && label
                   |> Seq.forall (fun ch -> (ch >= 'a' && ch <= 'z') || Char.IsAsciiDigit ch || ch = '-')))

    /// The model kind a model name (isModelName) stands for.
    /// evaluates to: Config.kindOf "gat-text:no-text" = ModelKind.GatText
    let kindOf (name: string) : ModelKind =
        match ModelKind.tryParse (kindNameOf name) with
        | Some k -> k
        | None ->
            invalidArg "name" (sprintf "'%s' is not a model name (known: %s)" name (String.Join(", ", modelKinds)))

    /// Whether the configured model fits an EASE part (model.kind ease, or blend.itemItem ease).
    let usesEase (c: Config) =
        c.Model.Kind = ModelKind.Ease || c.Blend.ItemItem = ItemItemPart.Ease

    /// Whether the configured model uses text features (the shell encodes text only then): the kinds that read text
    /// (gat-text, and the EASE part it blends with), and model.kind ease with a text weight > 0 in ease.textWeights
    /// or its content map. The other kinds are the models without text (gat is gat-text's ablation without it): the
    /// EASE part they blend with reads the item attributes only, in its side information and in its content map
    /// alike.
    let usesText (c: Config) =
        ModelKind.readsText c.Model.Kind
        || (c.Model.Kind = ModelKind.Ease
            && (c.Ease.TextWeights |> List.exists (fun w -> w > 0.0)
                || c.Ease.ColdItems = NewItems.Content))

    /// Model kinds whose graph has attribute nodes.
    let usesAttributes (m: ModelConfig) = ModelKind.isGat m.Kind && m.Attributes

    /// Checks ranges and enumerations; every problem is reported, not just the first.
    let validate (c: Config) : Result<Config, ConfigError list> =
        let errs = Collections.Generic.List<ConfigError>()

        let check ok key msg =
            if not ok then
                errs.Add { Key = key; Message = msg }

        check
            (c.Dataset.Name <> ""
             && c.Dataset.Name
                |> Seq.forall (fun ch -> Char.IsLetterOrDigit ch || ch = '-' || ch = '_'))
            "dataset.name"
            (sprintf "must be non-empty letters, digits, '-' or '_', got '%s'" c.Dataset.Name)

        check (c.Dataset.Input <> "") "dataset.input" "must not be empty"
        check (c.Dataset.Output <> "") "dataset.output" "must not be empty"
        check (c.Dataset.Work <> "") "dataset.work" "must not be empty"


        check (c.Model.Dim > 0) "model.dim" (sprintf "must be > 0, got %d" c.Model.Dim)
        check (c.Model.Layers >= 0) "model.layers" (sprintf "must be >= 0, got %d" c.Model.Layers)
        check (c.Model.Heads > 0) "model.heads" (sprintf "must be > 0, got %d" c.Model.Heads)

        check
            (c.Model.Dropout >= 0.0 && c.Model.Dropout < 1.0)
            "model.dropout"
            (sprintf "must be in [0, 1), got %g" c.Model.Dropout)

        check
            (c.Model.IdDropout >= 0.0 && c.Model.IdDropout < 1.0)
            "model.idDropout"
            (sprintf "must be in [0, 1), got %g" c.Model.IdDropout)

        check
            (c.Model.TextNeighbours >= 0)
            "model.textNeighbours"
            (sprintf "must be >= 0, got %d" c.Model.TextNeighbours)



        check
            (c.Text.Encoder = "all-MiniLM-L6-v2")
            "text.encoder"
            (sprintf "must be all-MiniLM-L6-v2 (the encoder shipped), got '%s'" c.Text.Encoder)

        check (c.Text.BatchSize > 0) "text.batchSize" (sprintf "must be > 0, got %d" c.Text.BatchSize)


        check
            (c.Eval.ColdFraction > 0.0 && c.Eval.ColdFraction < 1.0)
            "eval.coldFraction"
            (sprintf "must be in (0, 1), got %g" c.Eval.ColdFraction)

        check
            (not c.Eval.ColdKs.IsEmpty && c.Eval.ColdKs |> List.forall (fun k -> k > 0))
            "eval.coldKs"
            (sprintf "must be a non-empty list of positive ints, got %A" c.Eval.ColdKs)

        check (c.Train.MaxEpochs > 0) "train.maxEpochs" (sprintf "must be > 0, got %d" c.Train.MaxEpochs)
        check (c.Train.BatchSize > 0) "train.batchSize" (sprintf "must be > 0, got %d" c.Train.BatchSize)
        check (c.Train.LearningRate > 0.0) "train.learningRate" (sprintf "must be > 0, got %g" c.Train.LearningRate)
        check (c.Train.L2 >= 0.0) "train.l2" (sprintf "must be >= 0, got %g" c.Train.L2)
        check (c.Train.EvalEvery > 0) "train.evalEvery" (sprintf "must be > 0, got %d" c.Train.EvalEvery)
        check (c.Train.Patience > 0) "train.patience" (sprintf "must be > 0, got %d" c.Train.Patience)


        check (c.Train.Threads >= 0) "train.threads" (sprintf "must be >= 0, got %d" c.Train.Threads)


        check (c.Train.Negatives > 0) "train.negatives" (sprintf "must be > 0, got %d" c.Train.Negatives)
        check (c.Train.Temperature > 0.0) "train.temperature" (sprintf "must be > 0, got %g" c.Train.Temperature)


        check
            (not c.Ease.Lambdas.IsEmpty && c.Ease.Lambdas |> List.forall (fun l -> l > 0.0))
            "ease.lambdas"
            (sprintf "must be a non-empty list of numbers > 0, got %A" c.Ease.Lambdas)

        check (c.Ease.MaxGiB > 0.0) "ease.maxGiB" (sprintf "must be > 0, got %g" c.Ease.MaxGiB)

        check
            (not c.Ease.TagWeights.IsEmpty
             && c.Ease.TagWeights |> List.forall (fun w -> w >= 0.0))
            "ease.tagWeights"
            (sprintf "must be a non-empty list of numbers >= 0, got %A" c.Ease.TagWeights)


        check
            (not c.Ease.ColdScales.IsEmpty
             && c.Ease.ColdScales |> List.forall (fun w -> w > 0.0))
            "ease.coldScales"
            (sprintf "must be a non-empty list of numbers > 0, got %A" c.Ease.ColdScales)

        check
            (not c.Ease.ContentRidges.IsEmpty
             && c.Ease.ContentRidges |> List.forall (fun w -> w > 0.0))
            "ease.contentRidges"
            (sprintf "must be a non-empty list of numbers > 0, got %A" c.Ease.ContentRidges)

        check
            (not c.Ease.TextWeights.IsEmpty
             && c.Ease.TextWeights |> List.forall (fun w -> w >= 0.0))
            "ease.textWeights"
            (sprintf "must be a non-empty list of numbers >= 0, got %A" c.Ease.TextWeights)


        check
            (not c.Auto.Candidates.IsEmpty
             && c.Auto.Candidates |> List.forall isModelName
             && List.length (List.distinct c.Auto.Candidates) = c.Auto.Candidates.Length)
            "auto.candidates"
            (sprintf
                "must be distinct model names (a kind among %s, or KIND:LABEL), got [%s]"
                (String.Join(", ", modelKinds))
                (String.Join(", ", c.Auto.Candidates)))

        check
            (c.Auto.StandardErrors >= 0.0)
            "auto.standardErrors"
            (sprintf "must be >= 0, got %g" c.Auto.StandardErrors)

        check
            (c.Blend.ItemItem = ItemItemPart.None
             || ModelKind.isFactorModel c.Model.Kind
             || c.Model.Kind = ModelKind.Auto)
            "blend.itemItem"
            (sprintf "joins EASE to a trained factor model, not to model.kind '%s'" c.Model.Kind.Name)

        check
            (not c.Blend.Weights.IsEmpty && c.Blend.Weights |> List.forall (fun w -> w > 0.0))
            "blend.weights"
            (sprintf "must be a non-empty list of numbers > 0, got %A" c.Blend.Weights)

        if not c.Train.Fanout.IsEmpty then
            check
                (ModelKind.isGat c.Model.Kind)
                "train.fanout"
                (sprintf
                    "neighbour sampling applies to gat and gat-text only, got %A for model.kind '%s' (leave it empty)"
                    c.Train.Fanout
                    c.Model.Kind.Name)

            check
                (c.Train.Fanout.Length = c.Model.Layers)
                "train.fanout"
                (sprintf "must have one entry per layer (model.layers = %d), got %A" c.Model.Layers c.Train.Fanout)

            check
                (c.Train.Fanout |> List.forall (fun f -> f >= 1))
                "train.fanout"
                (sprintf "entries must be >= 1, got %A" c.Train.Fanout)

        check
            (c.Split.Valid >= 0.0
             && c.Split.Test >= 0.0
             && c.Split.Valid + c.Split.Test < 1.0)
            "split"
            (sprintf "valid and test must be >= 0 and sum below 1, got %g and %g" c.Split.Valid c.Split.Test)

        check
            (not c.Eval.Ks.IsEmpty && c.Eval.Ks |> List.forall (fun k -> k > 0))
            "eval.ks"
            (sprintf "must be a non-empty list of positive ints, got %A" c.Eval.Ks)


        check (c.Eval.StopK > 0) "eval.stopK" (sprintf "must be > 0, got %d" c.Eval.StopK)
        // the figure models are stopped and chosen on (early stopping, EASE's search, the blend, auto) is one of the metrics table's
        check
            (c.Eval.StopK <= 0 || List.contains c.Eval.StopK c.Eval.Ks)
            "eval.stopK"
            (sprintf
                "must be one of eval.ks %A, the cut-offs evaluated (models are chosen on validation %s@stopK), got %d"
                c.Eval.Ks
                c.Eval.StopMetric.Name
                c.Eval.StopK)

        check (c.Eval.UserChunk > 0) "eval.userChunk" (sprintf "must be > 0, got %d" c.Eval.UserChunk)
        check (c.Eval.MaxUsers >= 0) "eval.maxUsers" (sprintf "must be >= 0 (0 = every user), got %d" c.Eval.MaxUsers)
        check (c.Score.K > 0) "score.k" (sprintf "must be > 0, got %d" c.Score.K)
        check (c.Score.UserChunk > 0) "score.userChunk" (sprintf "must be > 0, got %d" c.Score.UserChunk)
        check (c.Score.BlockMiB > 0) "score.blockMiB" (sprintf "must be > 0, got %d" c.Score.BlockMiB)
        check (c.Score.Threads >= 0) "score.threads" (sprintf "must be >= 0, got %d" c.Score.Threads)

        check
            (c.Score.SimilarItems >= 0)
            "score.similarItems"
            (sprintf "must be >= 0 (0 = no similar_items table), got %d" c.Score.SimilarItems)

        check
            (c.Search.ExactBelow >= 0)
            "search.exactBelow"
            (sprintf "must be >= 0 (0 = always HNSW), got %d" c.Search.ExactBelow)

        check
            (c.Search.Connectivity >= 2 && c.Search.Connectivity <= 256)
            "search.connectivity"
            (sprintf "must be within [2, 256], got %d" c.Search.Connectivity)

        check (c.Search.ExpansionAdd >= 1) "search.expansionAdd" (sprintf "must be >= 1, got %d" c.Search.ExpansionAdd)

        check
            (c.Search.ExpansionSearch >= 1)
            "search.expansionSearch"
            (sprintf "must be >= 1, got %d" c.Search.ExpansionSearch)

        check
            (c.Search.Threads >= 0)
            "search.threads"
            (sprintf "must be >= 0 (0 = one per core), got %d" c.Search.Threads)

        check (c.Publish.Tolerance >= 0.0) "publish.tolerance" (sprintf "must be >= 0, got %g" c.Publish.Tolerance)

        check
            (c.Publish.MinUsersFraction >= 0.0 && c.Publish.MinUsersFraction <= 1.0)
            "publish.minUsersFraction"
            (sprintf "must be within [0, 1] (0 = off), got %g" c.Publish.MinUsersFraction)

        check
            (c.Publish.MinRowsFraction >= 0.0 && c.Publish.MinRowsFraction <= 1.0)
            "publish.minRowsFraction"
            (sprintf "must be within [0, 1] (0 = off), got %g" c.Publish.MinRowsFraction)

        check
            (not c.Publish.ChampionCheck || List.contains 10 c.Eval.Ks)
            "publish.championCheck"
            (sprintf "compares NDCG@10, so eval.ks must include 10, got %A" c.Eval.Ks)
        // ---- ingest ----
        let ig = c.Ingest

        check
            (ig.MaxBadFraction >= 0.0 && ig.MaxBadFraction <= 1.0)
            "ingest.maxBadFraction"
            (sprintf "must be within [0, 1], got %g" ig.MaxBadFraction)


        check
            (ig.MinTimestamp <= ig.MaxTimestamp)
            "ingest.minTimestamp"
            (sprintf "must be <= ingest.maxTimestamp (%d), got %d" ig.MaxTimestamp ig.MinTimestamp)


        check (ig.MaxIdLength > 0) "ingest.maxIdLength" (sprintf "must be > 0, got %d" ig.MaxIdLength)
        check (ig.WindowDays >= 0) "ingest.windowDays" (sprintf "must be >= 0, got %d" ig.WindowDays)
        check (ig.ReadAhead >= 0) "ingest.readAhead" (sprintf "must be >= 0, got %d" ig.ReadAhead)




        if errs.Count = 0 then Ok c else Error(List.ofSeq errs)

    // ---- JSON overrides: a config file names only what differs from Default ----

    /// Each section's keys as a config file spells them, in the reference's order (docs/configuration.md); `compare`
    /// is keyed by model name instead. The reader accepts exactly these; overrides and suggestions are named from them.
    let sectionKeys: (string * string list) list =
        [
            "dataset", [ "name"; "input"; "output"; "work" ]
            "model",
            [
                "kind"
                "dim"
                "layers"
                "heads"
                "dropout"
                "attributes"
                "edgeWeight"
                "finalMlp"
                "layerMlp"
                "attention"
                "idDropout"
                "fusion"
                "textNeighbours"
                "score"
            ]
            "train",
            [
                "maxEpochs"
                "batchSize"
                "learningRate"
                "l2"
                "evalEvery"
                "patience"
                "seed"
                "device"
                "threads"
                "fanout"
                "loss"
                "negatives"
                "temperature"
            ]
            "ease",
            [
                "lambdas"
                "maxGiB"
                "tagWeights"
                "textWeights"
                "coldItems"
                "contentRidges"
                "coldScales"
            ]
            "blend", [ "itemItem"; "weights" ]
            "auto", [ "candidates"; "standardErrors" ]
            "search", [ "exactBelow"; "connectivity"; "expansionAdd"; "expansionSearch"; "threads" ]
            "split", [ "valid"; "test" ]
            "eval",
            [
                "mode"
                "coldFraction"
                "coldKs"
                "ks"
                "stopMetric"
                "stopK"
                "userChunk"
                "maxUsers"
            ]
            "score", [ "k"; "userChunk"; "blockMiB"; "threads"; "similarItems" ]
            "text", [ "encoder"; "cache"; "batchSize"; "userText"; "itemText" ]
            "ingest",
            [
                "maxBadFraction"
                "unknownItems"
                "minTimestamp"
                "maxTimestamp"
                "timestampUnit"
                "maxIdLength"
                "windowDays"
                "readAhead"
                "negativeWeights"
                "zeroWeights"
                "duplicateItems"
            ]
            "publish", [ "championCheck"; "tolerance"; "minUsersFraction"; "minRowsFraction" ]
        ]

    /// The top-level sections a config file may hold.
    let sectionNames: string list = (sectionKeys |> List.map fst) @ [ "compare" ]

    /// The keys of one section of `sectionKeys` ([] for an unknown section).
    let keysOf (section: string) : string list =
        sectionKeys
        |> List.tryFind (fun (s, _) -> s = section)
        |> Option.map snd
        |> Option.defaultValue []

    /// The Levenshtein distance between two names, ignoring case.
    /// evaluates to: Config.editDistance "maxEpoch" "MAXEPOCHS" = 1
    let editDistance (a: string) (b: string) : int =
        let a, b = a.ToLowerInvariant(), b.ToLowerInvariant()
        let mutable prev = Array.init (b.Length + 1) id

        for i in 1 .. a.Length do
            let cur = Array.zeroCreate (b.Length + 1)
            cur.[0] <- i

            for j in 1 .. b.Length do
                let cost = if a.[i - 1] = b.[j - 1] then 0 else 1
                cur.[j] <- min (min (prev.[j] + 1) (cur.[j - 1] + 1)) (prev.[j - 1] + cost)

            prev <- cur

        prev.[b.Length]

    /// The known name nearest to `name` (fewest edits, ignoring case; the earlier of equals) when it is a likely typo:
    /// at most max(2, length / 3) edits away. None otherwise.
    /// evaluates to: Config.nearestName [ "maxEpochs"; "batchSize" ] "maxEpoch" = Some "maxEpochs"
    let nearestName (known: string seq) (name: string) : string option =
        known
        |> Seq.map (fun k -> k, editDistance k name)
        |> Seq.filter (fun (_, d) -> d <= max 2 (name.Length / 3))
        |> Seq.sortBy snd
        |> Seq.tryHead
        |> Option.map fst

    type private Reader(errors: Collections.Generic.List<ConfigError>) =
        member _.Obj (el: JsonElement) (key: string) (known: string list) (f: string -> JsonElement -> unit) =
            if el.ValueKind <> JsonValueKind.Object then
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be an object, got %s" (el.GetRawText())
                    }
            else
                for p in el.EnumerateObject() do
                    let full = if key = "" then p.Name else key + "." + p.Name

                    if List.contains p.Name known then
                        f full p.Value
                    else
                        errors.Add
                            {
                                Key = full
                                Message =
                                    match nearestName known p.Name with
                                    | Some n ->
                                        sprintf
                                            "unknown key (did you mean '%s'? known: %s)"
                                            n
                                            (String.Join(", ", known))
                                    | None -> sprintf "unknown key (known: %s)" (String.Join(", ", known))
                            }

        member _.Str (key: string) (el: JsonElement) (dflt: string) =
            if el.ValueKind = JsonValueKind.String then
                el.GetString()
            else
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be a string, got %s" (el.GetRawText())
                    }

                dflt

        /// A value of a closed set: one of the names in `table` (Choices.fs).
        member this.Choice (key: string) (el: JsonElement) (table: ('T * string) list) (dflt: 'T) : 'T =
            if el.ValueKind <> JsonValueKind.String then
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be %s, got %s" (Choice.sentence table) (el.GetRawText())
                    }

                dflt
            else
                let name = el.GetString()

                match Choice.tryParse table name with
                | Some v -> v
                | None ->
                    let hint =
                        match nearestName (List.map snd table) name with
                        | Some n -> sprintf " (did you mean '%s'?)" n
                        | None -> ""

                    errors.Add
                        {
                            Key = key
                            Message = sprintf "must be %s, got '%s'%s" (Choice.sentence table) name hint
                        }

                    dflt

        member _.Int (key: string) (el: JsonElement) (dflt: int) =
            match el.ValueKind with
            | JsonValueKind.Number ->
                match el.TryGetInt32() with
                | true, v -> v
                | _ ->
                    errors.Add
                        {
                            Key = key
                            Message = sprintf "must be an integer, got %s" (el.GetRawText())
                        }

                    dflt
            | _ ->
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be an integer, got %s" (el.GetRawText())
                    }

                dflt

        member _.Bool (key: string) (el: JsonElement) (dflt: bool) =
            match el.ValueKind with
            | JsonValueKind.True -> true
            | JsonValueKind.False -> false
            | _ ->
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be true or false, got %s" (el.GetRawText())
                    }

                dflt

        member _.IntList (key: string) (el: JsonElement) (dflt: int list) =
            if el.ValueKind = JsonValueKind.Array then
                [
                    for x in el.EnumerateArray() ->
                        (if x.ValueKind = JsonValueKind.Number then
                             (match x.TryGetInt32() with
                              | true, v -> v
                              | _ ->
                                  (errors.Add
                                      {
                                          Key = key
                                          Message = sprintf "must be an array of integers, got %s" (el.GetRawText())
                                      }

                                   0))
                         else
                             (errors.Add
                                 {
                                     Key = key
                                     Message = sprintf "must be an array of integers, got %s" (el.GetRawText())
                                 }

                              0))
                ]
            else
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be an array of integers, got %s" (el.GetRawText())
                    }

                dflt

        member _.Int64 (key: string) (el: JsonElement) (dflt: int64) =
            match
                el.ValueKind,
                (if el.ValueKind = JsonValueKind.Number then
                     el.TryGetInt64()
                 else
                     (false, 0L))
            with
            | JsonValueKind.Number, (true, v) -> v
            | _ ->
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be an integer, got %s" (el.GetRawText())
                    }

                dflt

        member this.FloatList (key: string) (el: JsonElement) (dflt: float list) =
            if el.ValueKind = JsonValueKind.Array then
                [ for x in el.EnumerateArray() -> this.Float key x 0.0 ]
            else
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be an array of numbers, got %s" (el.GetRawText())
                    }

                dflt

        member _.Float (key: string) (el: JsonElement) (dflt: float) =
            if el.ValueKind = JsonValueKind.Number then
                el.GetDouble()
            else
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be a number, got %s" (el.GetRawText())
                    }

                dflt

        member this.Strs (key: string) (el: JsonElement) (dflt: string list) =
            if el.ValueKind = JsonValueKind.Array then
                [ for x in el.EnumerateArray() -> this.Str key x "" ]
            else
                errors.Add
                    {
                        Key = key
                        Message = sprintf "must be an array of strings, got %s" (el.GetRawText())
                    }

                dflt

    /// Parses a JSON config (comments and trailing commas allowed) as overrides of `baseConfig`, then validates.
    /// Unknown keys and wrongly typed values are errors naming the dotted key. The top-level sections in `others`
    /// belong to another reader (the host's settings): they are accepted and not read, and named when a misspelt
    /// section is refused.
    let rec parseOverIgnoring
        (others: string list)
        (baseConfig: Config)
        (json: string)
        : Result<Config, ConfigError list> =
        let errors = Collections.Generic.List<ConfigError>()

        let doc =
            try
                Some(
                    JsonDocument.Parse(
                        json,
                        JsonDocumentOptions(CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)
                    )
                )
            with :? JsonException as e ->
                errors.Add
                    {
                        Key = "(file)"
                        Message = sprintf "not valid JSON: %s" e.Message
                    }

                None

        match doc with
        | None -> Error(List.ofSeq errors)
        | Some doc ->
            use doc = doc
            let r = Reader(errors)
            let mutable c = baseConfig

            r.Obj doc.RootElement "" (sectionNames @ others) (fun key v ->
                match key with
                | "ease" ->
                    r.Obj v key (keysOf "ease") (fun k e ->
                        let ea = c.Ease

                        c <-
                            { c with
                                Ease =
                                    match k with
                                    | "ease.coldItems" ->
                                        { ea with
                                            ColdItems = r.Choice k e NewItems.Names ea.ColdItems
                                        }
                                    | "ease.contentRidges" ->
                                        { ea with
                                            ContentRidges = r.FloatList k e ea.ContentRidges
                                        }
                                    | "ease.coldScales" ->
                                        { ea with
                                            ColdScales = r.FloatList k e ea.ColdScales
                                        }
                                    | "ease.lambdas" ->
                                        { ea with
                                            Lambdas = r.FloatList k e ea.Lambdas
                                        }
                                    | "ease.tagWeights" ->
                                        { ea with
                                            TagWeights = r.FloatList k e ea.TagWeights
                                        }
                                    | "ease.textWeights" ->
                                        { ea with
                                            TextWeights = r.FloatList k e ea.TextWeights
                                        }
                                    | _ ->
                                        { ea with
                                            MaxGiB = r.Float k e ea.MaxGiB
                                        }
                            })
                | "auto" ->
                    r.Obj v key (keysOf "auto") (fun k e ->
                        let a = c.Auto

                        c <-
                            { c with
                                Auto =
                                    if k = "auto.candidates" then
                                        { a with
                                            Candidates = r.Strs k e a.Candidates
                                        }
                                    else
                                        { a with
                                            StandardErrors = r.Float k e a.StandardErrors
                                        }
                            })
                | "search" ->
                    r.Obj v key (keysOf "search") (fun k e ->
                        let s = c.Search

                        c <-
                            { c with
                                Search =
                                    match k with
                                    | "search.exactBelow" ->
                                        { s with
                                            ExactBelow = r.Int k e s.ExactBelow
                                        }
                                    | "search.connectivity" ->
                                        { s with
                                            Connectivity = r.Int k e s.Connectivity
                                        }
                                    | "search.expansionAdd" ->
                                        { s with
                                            ExpansionAdd = r.Int k e s.ExpansionAdd
                                        }
                                    | "search.expansionSearch" ->
                                        { s with
                                            ExpansionSearch = r.Int k e s.ExpansionSearch
                                        }
                                    | _ -> { s with Threads = r.Int k e s.Threads }
                            })
                | "blend" ->
                    r.Obj v key (keysOf "blend") (fun k e ->
                        let b = c.Blend

                        c <-
                            { c with
                                Blend =
                                    if k = "blend.itemItem" then
                                        { b with
                                            ItemItem = r.Choice k e ItemItemPart.Names b.ItemItem
                                        }
                                    else
                                        { b with
                                            Weights = r.FloatList k e b.Weights
                                        }
                            })
                | "compare" ->
                    if v.ValueKind <> JsonValueKind.Object then
                        errors.Add
                            {
                                Key = key
                                Message = sprintf "must be an object, got %s" (v.GetRawText())
                            }
                    else
                        for p in v.EnumerateObject() do
                            let k = key + "." + p.Name

                            if not (isModelName p.Name) then
                                errors.Add
                                    {
                                        Key = k
                                        Message =
                                            sprintf
                                                "unknown model (known: %s, or KIND:LABEL for a variant of one, LABEL of a-z, 0-9 and '-')"
                                                (String.Join(", ", modelKinds))
                                    }
                            elif p.Value.ValueKind = JsonValueKind.Object then
                                c <-
                                    { c with
                                        Compare = c.Compare.Add(p.Name, p.Value.GetRawText())
                                    }
                            else
                                errors.Add
                                    {
                                        Key = k
                                        Message =
                                            sprintf
                                                "must be an object of config overrides, got %s"
                                                (p.Value.GetRawText())
                                    }
                | "dataset" ->
                    r.Obj v key (keysOf "dataset") (fun k e ->
                        let d = c.Dataset

                        c <-
                            { c with
                                Dataset =
                                    match k with
                                    | "dataset.name" -> { d with Name = r.Str k e d.Name }
                                    | "dataset.input" -> { d with Input = r.Str k e d.Input }
                                    | "dataset.output" -> { d with Output = r.Str k e d.Output }
                                    | _ -> { d with Work = r.Str k e d.Work }
                            })
                | "model" ->
                    r.Obj v key (keysOf "model") (fun k e ->
                        let m = c.Model

                        c <-
                            { c with
                                Model =
                                    match k with
                                    | "model.kind" ->
                                        { m with
                                            Kind = r.Choice k e ModelKind.Names m.Kind
                                        }
                                    | "model.dim" -> { m with Dim = r.Int k e m.Dim }
                                    | "model.heads" -> { m with Heads = r.Int k e m.Heads }
                                    | "model.dropout" ->
                                        { m with
                                            Dropout = r.Float k e m.Dropout
                                        }
                                    | "model.attributes" ->
                                        { m with
                                            Attributes = r.Bool k e m.Attributes
                                        }
                                    | "model.edgeWeight" ->
                                        { m with
                                            EdgeWeight = r.Choice k e EdgeWeight.Names m.EdgeWeight
                                        }
                                    | "model.finalMlp" ->
                                        { m with
                                            FinalMlp = r.Bool k e m.FinalMlp
                                        }
                                    | "model.layerMlp" ->
                                        { m with
                                            LayerMlp = r.Bool k e m.LayerMlp
                                        }
                                    | "model.attention" ->
                                        { m with
                                            Attention = r.Bool k e m.Attention
                                        }
                                    | "model.idDropout" ->
                                        { m with
                                            IdDropout = r.Float k e m.IdDropout
                                        }
                                    | "model.fusion" ->
                                        { m with
                                            Fusion = r.Choice k e Fusion.Names m.Fusion
                                        }
                                    | "model.textNeighbours" ->
                                        { m with
                                            TextNeighbours = r.Int k e m.TextNeighbours
                                        }
                                    | "model.score" ->
                                        { m with
                                            Score = r.Choice k e ScoreFunction.Names m.Score
                                        }
                                    | _ -> { m with Layers = r.Int k e m.Layers }
                            })
                | "train" ->
                    r.Obj v key (keysOf "train") (fun k e ->
                        let t = c.Train

                        c <-
                            { c with
                                Train =
                                    match k with
                                    | "train.maxEpochs" ->
                                        { t with
                                            MaxEpochs = r.Int k e t.MaxEpochs
                                        }
                                    | "train.batchSize" ->
                                        { t with
                                            BatchSize = r.Int k e t.BatchSize
                                        }
                                    | "train.learningRate" ->
                                        { t with
                                            LearningRate = r.Float k e t.LearningRate
                                        }
                                    | "train.l2" -> { t with L2 = r.Float k e t.L2 }
                                    | "train.evalEvery" ->
                                        { t with
                                            EvalEvery = r.Int k e t.EvalEvery
                                        }
                                    | "train.patience" ->
                                        { t with
                                            Patience = r.Int k e t.Patience
                                        }
                                    | "train.seed" -> { t with Seed = r.Int k e t.Seed }
                                    | "train.device" ->
                                        { t with
                                            Device = r.Choice k e DeviceChoice.Names t.Device
                                        }
                                    | "train.fanout" ->
                                        { t with
                                            Fanout = r.IntList k e t.Fanout
                                        }
                                    | "train.loss" ->
                                        { t with
                                            Loss = r.Choice k e LossKind.Names t.Loss
                                        }
                                    | "train.negatives" ->
                                        { t with
                                            Negatives = r.Int k e t.Negatives
                                        }
                                    | "train.temperature" ->
                                        { t with
                                            Temperature = r.Float k e t.Temperature
                                        }
                                    | _ -> { t with Threads = r.Int k e t.Threads }
                            })
                | "split" ->
                    r.Obj v key (keysOf "split") (fun k e ->
                        let s = c.Split

                        c <-
                            { c with
                                Split =
                                    if k = "split.valid" then
                                        { s with Valid = r.Float k e s.Valid }
                                    else
                                        { s with Test = r.Float k e s.Test }
                            })
                | "eval" ->
                    r.Obj v key (keysOf "eval") (fun k e ->
                        let ev = c.Eval

                        c <-
                            { c with
                                Eval =
                                    match k with
                                    | "eval.mode" ->
                                        { ev with
                                            Mode = r.Choice k e EvalMode.Names ev.Mode
                                        }
                                    | "eval.coldFraction" ->
                                        { ev with
                                            ColdFraction = r.Float k e ev.ColdFraction
                                        }
                                    | "eval.coldKs" ->
                                        { ev with
                                            ColdKs = r.IntList k e ev.ColdKs
                                        }
                                    | "eval.ks" ->
                                        if e.ValueKind = JsonValueKind.Array then
                                            { ev with
                                                Ks = [ for x in e.EnumerateArray() -> r.Int k x 0 ]
                                            }
                                        else
                                            errors.Add
                                                {
                                                    Key = k
                                                    Message =
                                                        sprintf
                                                            "must be an array of integers, got %s"
                                                            (e.GetRawText())
                                                }

                                            ev
                                    | "eval.stopMetric" ->
                                        { ev with
                                            StopMetric = r.Choice k e RankingMetric.Names ev.StopMetric
                                        }
                                    | "eval.stopK" -> { ev with StopK = r.Int k e ev.StopK }
                                    | "eval.maxUsers" ->
                                        { ev with
                                            MaxUsers = r.Int k e ev.MaxUsers
                                        }
                                    | _ ->
                                        { ev with
                                            UserChunk = r.Int k e ev.UserChunk
                                        }
                            })
                | "score" ->
                    r.Obj v key (keysOf "score") (fun k e ->
                        let s = c.Score

                        c <-
                            { c with
                                Score =
                                    match k with
                                    | "score.k" -> { s with K = r.Int k e s.K }
                                    | "score.blockMiB" ->
                                        { s with
                                            BlockMiB = r.Int k e s.BlockMiB
                                        }
                                    | "score.threads" -> { s with Threads = r.Int k e s.Threads }
                                    | "score.similarItems" ->
                                        { s with
                                            SimilarItems = r.Int k e s.SimilarItems
                                        }
                                    | _ ->
                                        { s with
                                            UserChunk = r.Int k e s.UserChunk
                                        }
                            })
                | "text" ->
                    r.Obj v key (keysOf "text") (fun k e ->
                        let t = c.Text

                        c <-
                            { c with
                                Text =
                                    match k with
                                    | "text.encoder" -> { t with Encoder = r.Str k e t.Encoder }
                                    | "text.cache" -> { t with Cache = r.Str k e t.Cache }
                                    | "text.batchSize" ->
                                        { t with
                                            BatchSize = r.Int k e t.BatchSize
                                        }
                                    | "text.itemText" ->
                                        { t with
                                            ItemText = r.Bool k e t.ItemText
                                        }
                                    | _ ->
                                        { t with
                                            UserText = r.Bool k e t.UserText
                                        }
                            })
                | "publish" ->
                    r.Obj v key (keysOf "publish") (fun k e ->
                        let p = c.Publish

                        c <-
                            { c with
                                Publish =
                                    match k with
                                    | "publish.championCheck" ->
                                        { p with
                                            ChampionCheck = r.Bool k e p.ChampionCheck
                                        }
                                    | "publish.minUsersFraction" ->
                                        { p with
                                            MinUsersFraction = r.Float k e p.MinUsersFraction
                                        }
                                    | "publish.minRowsFraction" ->
                                        { p with
                                            MinRowsFraction = r.Float k e p.MinRowsFraction
                                        }
                                    | _ ->
                                        { p with
                                            Tolerance = r.Float k e p.Tolerance
                                        }
                            })
                | "ingest" ->
                    r.Obj v key (keysOf "ingest") (fun k e ->
                        let g = c.Ingest

                        c <-
                            { c with
                                Ingest =
                                    match k with
                                    | "ingest.maxBadFraction" ->
                                        { g with
                                            MaxBadFraction = r.Float k e g.MaxBadFraction
                                        }
                                    | "ingest.unknownItems" ->
                                        { g with
                                            UnknownItems = r.Choice k e RowPolicy.Names g.UnknownItems
                                        }
                                    | "ingest.minTimestamp" ->
                                        { g with
                                            MinTimestamp = r.Int64 k e g.MinTimestamp
                                        }
                                    | "ingest.maxTimestamp" ->
                                        { g with
                                            MaxTimestamp = r.Int64 k e g.MaxTimestamp
                                        }
                                    | "ingest.timestampUnit" ->
                                        { g with
                                            TimestampUnit = r.Choice k e TimestampUnit.Names g.TimestampUnit
                                        }
                                    | "ingest.maxIdLength" ->
                                        { g with
                                            MaxIdLength = r.Int k e g.MaxIdLength
                                        }
                                    | "ingest.readAhead" ->
                                        { g with
                                            ReadAhead = r.Int k e g.ReadAhead
                                        }
                                    | "ingest.negativeWeights" ->
                                        { g with
                                            NegativeWeights = r.Choice k e RowPolicy.Names g.NegativeWeights
                                        }
                                    | "ingest.zeroWeights" ->
                                        { g with
                                            ZeroWeights = r.Choice k e RowPolicy.Names g.ZeroWeights
                                        }
                                    | "ingest.duplicateItems" ->
                                        { g with
                                            DuplicateItems = r.Choice k e DuplicateItems.Names g.DuplicateItems
                                        }
                                    | _ ->
                                        { g with
                                            WindowDays = r.Int k e g.WindowDays
                                        }
                            })
                | _ -> ()) // another reader's section (parseOverIgnoring's others)
            // Every problem at once: the values that parsed are validated even when others did not (those keep their
            // defaults meanwhile), and a key already reported as unknown or wrongly typed is not reported again.
            let parseErrors = List.ofSeq errors
            let reported = parseErrors |> List.map _.Key |> Set.ofList

            match validate c with
            | Error es -> Error(parseErrors @ (es |> List.filter (fun e -> not (reported.Contains e.Key))))
            | Ok _ when not parseErrors.IsEmpty -> Error parseErrors
            | Ok valid ->
                // every per-model override must itself give a valid config (checked once the base is valid)
                let overrideErrors =
                    [
                        for KeyValue(m, raw) in valid.Compare do
                            match
                                parseOverIgnoring
                                    []
                                    { valid with
                                        Compare = Map.empty
                                        Model = { valid.Model with Kind = kindOf m }
                                    }
                                    raw
                            with
                            | Ok _ -> ()
                            | Error es ->
                                for e in es ->
                                    {
                                        Key = sprintf "compare.%s.%s" m e.Key
                                        Message = e.Message
                                    }
                    ]
                // model.kind auto: each candidate without overrides must be valid as the base with its kind
                let candidateErrors =
                    [
                        if valid.Model.Kind = ModelKind.Auto then
                            for k in valid.Auto.Candidates do
                                if not (valid.Compare.ContainsKey k) then
                                    match
                                        validate
                                            { valid with
                                                Model = { valid.Model with Kind = kindOf k }
                                                Compare = Map.empty
                                            }
                                    with
                                    | Ok _ -> ()
                                    | Error es ->
                                        for e in es ->
                                            {
                                                Key = e.Key
                                                Message = sprintf "%s (for the auto candidate %s)" e.Message k
                                            }
                    ]

                match overrideErrors @ candidateErrors with
                | [] -> Ok valid
                | es -> Error es

    /// Parses a JSON config holding only the core's sections as overrides of `baseConfig`, then validates.
    let parseOver (baseConfig: Config) (json: string) = parseOverIgnoring [] baseConfig json

    /// `parseOver Default`.
    let parse (json: string) = parseOver Default json

    /// The config one model trains with: `c` with model.kind = kindOf name, then its compare.NAME overrides (as
    /// `batchrec compare` and model.kind auto train it; a variant KIND:LABEL takes only its own overrides). Throws
    /// ArgumentException naming the model when the overrides do not give a valid config.
    let forModel (c: Config) (kind: string) : Config =
        let withKind =
            { c with
                Model = { c.Model with Kind = kindOf kind }
            }

        match c.Compare.TryFind kind with
        | None -> withKind
        | Some raw ->
            // the other models' overrides are not this model's: parsed without them, kept on the result
            match parseOver { withKind with Compare = Map.empty } raw with
            | Ok x -> { x with Compare = c.Compare }
            | Error es -> invalidArg "kind" (sprintf "compare.%s: %s" kind (String.Join("; ", es |> List.map string)))

    /// model.kind auto's choice: the candidate with the highest validation score, the earlier one of equals.
    /// Throws ArgumentException for no candidates.
    /// evaluates to: Config.bestCandidate [ "ease", 0.36; "gat-text", 0.37; "lightgcn", 0.37 ] = "gat-text"
    let bestCandidate (scores: (string * float) list) : string =
        if scores.IsEmpty then
            invalidArg "scores" "no candidate was trained"

        scores
        |> List.mapi (fun i (k, v) -> i, k, v)
        |> List.maxBy (fun (i, _, v) -> v, -i)
        |> fun (_, k, _) -> k

    /// The mean and standard error (sample standard deviation / √n) of the per-user differences a − b; the standard
    /// error is 0 for fewer than two users. Throws ArgumentException when the lengths differ.
    /// evaluates to: Config.pairedDifference [| 1.0; 0.0 |] [| 0.0; 0.0 |] = (0.5, 0.5)
    let pairedDifference (a: float[]) (b: float[]) : float * float =
        if a.Length <> b.Length then
            invalidArg "b" (sprintf "has %d users, a has %d: both must score the same users" b.Length a.Length)

        let n = a.Length

        if n = 0 then
            0.0, 0.0
        else
            let d = Array.map2 (-) a b
            let mean = Array.average d

            let se =
                if n < 2 then
                    0.0
                else
                    sqrt ((d |> Array.sumBy (fun x -> (x - mean) * (x - mean))) / float (n - 1) / float n)

            mean, se

    /// model.kind auto's choice among candidates listed simplest first, each with its per-user validation scores (the
    /// same users in the same order): the earliest candidate whose mean is within `standardErrors` standard errors of
    /// the best mean's (pairedDifference best c ≤ standardErrors · se), so a later, costlier model must beat an
    /// earlier one by more than the validation users' noise (the one-standard-error rule). With 0 it is
    /// bestCandidate: the best mean, the earlier of equals. Throws ArgumentException for no candidates.
    /// evaluates to: Config.chooseCandidate 2.0 [ "ease", [| 1.0; 0.0; 0.0 |]; "gat", [| 1.0; 0.5; 0.1 |] ] = "ease"
    /// (gat − ease has mean 0.2 and standard error 0.153: within two standard errors, not within one)
    let chooseCandidate (standardErrors: float) (scores: (string * float[]) list) : string =
        let best =
            bestCandidate [ for k, v in scores -> k, (if v.Length = 0 then 0.0 else Array.average v) ]

        let bestScores = scores |> List.find (fun (k, _) -> k = best) |> snd

        scores
        |> List.find (fun (_, v) -> let mean, se = pairedDifference bestScores v in mean <= standardErrors * se)
        |> fst

    /// `c` with the JSON overrides `json` applied (as a config file's keys), the compare map kept but not re-checked
    /// against the result (its entries are overrides of the file's config, not of this one). Throws ArgumentException
    /// listing every problem when the result is not valid.
    /// evaluates to: (Config.withOverrides Default """{"train":{"seed":7}}""").Train.Seed = 7
    let withOverrides (c: Config) (json: string) : Config =
        match parseOver { c with Compare = Map.empty } json with
        | Ok x -> { x with Compare = c.Compare }
        | Error es -> invalidArg "json" (String.Join("; ", es |> List.map string))
