namespace BatchRec.Core

/// Where a dataset comes from and where its outputs go. Relative paths are resolved by the shell
/// against the folder of the config file.
type DatasetConfig =
    {
        /// The dataset's name (run ids, the recurring job's id): non-empty letters, digits, '-' or '_'.
        Name: string
        /// The input dataset folder.
        Input: string
        /// The output root consumers read.
        Output: string
        /// The private working folder of runs.
        Work: string
    }

/// model.*: the model the train stage fits and its architecture.
type ModelConfig =
    {
        /// What the train stage fits (Choices.fs: the kinds and what each is).
        Kind: ModelKind
        /// Embedding size.
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

/// train.*: how the gradient-trained models are optimised and stopped.
type TrainConfig =
    {
        /// The epoch budget.
        MaxEpochs: int
        /// Training pairs per batch.
        BatchSize: int
        /// Adam's learning rate.
        LearningRate: float
        /// Weight of RecBole's EmbLoss on the batch's layer-0 embeddings.
        L2: float
        /// Evaluate on validation every this many epochs.
        EvalEvery: int
        /// Stop after this many evaluations without improvement of the early-stopping metric.
        Patience: int
        /// Seeds the split, the initialisation, the shuffling and the negative sampling.
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

/// split.*: the per-user ratio split (RecBole's counting rule).
type SplitConfig =
    {
        /// Fraction of each user's interactions held out for validation.
        Valid: float
        /// Fraction of each user's interactions held out for test.
        Test: float
    }

/// eval.*: the ranking metrics computed, and the one models are stopped and chosen on.
type EvalConfig =
    {
        /// standard (the split's valid/test) | cold-items (also hold out a seeded fraction of items entirely)
        Mode: EvalMode
        /// cold-items: fraction of items held out with all their interactions.
        ColdFraction: float
        /// cold-items: cut-offs of the cold ranking metrics.
        ColdKs: int list
        /// Cut-offs of every metric.
        Ks: int list
        /// mrr | ndcg | recall | hit | precision, at StopK.
        StopMetric: RankingMetric
        /// The cut-off of StopMetric; one of Ks.
        StopK: int
        /// Users per chunk of the full-ranking score matrix.
        UserChunk: int
        /// Evaluate (validation during training, valid and test in the evaluate stage) on a fixed-seed uniform sample
        /// of at most this many users of each split; 0 = every user. For large datasets, where full ranking of every
        /// user costs as much as scoring them all.
        MaxUsers: int
    }

/// score.*: the recommendations the score stage writes.
type ScoreConfig =
    {
        /// Recommendations per user.
        K: int
        /// Most users per score block (see BlockMiB).
        UserChunk: int
        /// Memory budget of one users × items score block, in MiB, for scoring and evaluation: a block holds at most
        /// min(userChunk, blockMiB / (4 bytes × items)) users (at least one), so wide catalogues get shorter blocks.
        BlockMiB: int
        /// Threads of the CPU scoring kernels (the fused top-K and the reasons) in each scoring shard; 0 = one per core.
        Threads: int
        /// Similar items per item in the similar_items table (Eval.SimilarItems); 0 = no table.
        SimilarItems: int
    }

/// text.*: how the users' and items' text is encoded into features.
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

/// publish.*: the gates a run must pass before its recommendations are published.
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
        /// The upper end of the sane range of event times (see MinTimestamp).
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

/// The core's config: one record per section of the config file (docs/configuration.md). The host's settings
/// (schedule, storage, jobs, dashboard) are not here: the host binds them.
type Config =
    {
        /// dataset.*
        Dataset: DatasetConfig
        /// model.*
        Model: ModelConfig
        /// train.*
        Train: TrainConfig
        /// ease.*
        Ease: EaseConfig
        /// blend.*
        Blend: BlendConfig
        /// auto.*
        Auto: AutoConfig
        /// search.*
        Search: SearchConfig
        /// split.*
        Split: SplitConfig
        /// eval.*
        Eval: EvalConfig
        /// score.*
        Score: ScoreConfig
        /// text.*
        Text: TextConfig
        /// ingest.*
        Ingest: IngestConfig
        /// publish.*
        Publish: PublishConfig
        /// `batchrec compare` only: per-model overrides of this config (raw JSON objects keyed by model kind), e.g.
        /// a model's own learning rate. The run chain ignores them.
        Compare: Map<string, string>
    }

/// The defaults, validation and JSON reader of Config, and what a config implies (model names, EASE's limits,
/// text features).
[<RequireQualifiedAccess>]
module Config =

    /// Users per score block for a catalogue of `numItems`: min(userChunk, blockMiB MiB / (4 · numItems)), at least 1.
    /// evaluates to: Config.blockUsers 2048 256 100000 = 671
    val blockUsers: userChunk: int -> blockMiB: int -> numItems: int -> int

    /// Defaults: LightGCN 64×3 with RecBole's protocol (80/10/10, MRR@10 early stopping every 10 epochs,
    /// patience 10 evaluations), top-20 output. The host's settings (schedule, storage, jobs, dashboard) are not here:
    /// the host binds them (jobs/BatchRec.Jobs/Configuration/HostSettings.cs).
    val Default: Config

    /// The names of the model kinds that train one model (every kind but auto), for messages.
    val modelKinds: string list

    /// The largest catalogue EASE can hold at all: B (4 · items² bytes) is copied to and from the model file through one
    /// .NET span, at most 2³¹ − 1 bytes, so 23,170 items whatever ease.maxGiB says (Ease.maxItems, which Ease.gram checks).
    val easeItemLimit: int

    /// The largest catalogue an EASE fit takes within `maxGiB` (Ease.fitBytes: 8 · items² bytes), at most easeItemLimit.
    /// evaluates to: Config.easeMaxItems 4.0 = 23170; Config.easeMaxItems 1.0 = 11585; Config.easeMaxItems 16.0 = 23170
    val easeMaxItems: maxGiB: float -> int

    /// The kind part of a model name: the name itself, or KIND of a variant named KIND:LABEL.
    /// evaluates to: Config.kindNameOf "gat-text:no-text" = "gat-text"
    val kindNameOf: name: string -> string

    /// A model name `compare.NAME` and `--models` accept: a trainable model kind, or KIND:LABEL (a variant of that
    /// kind with its own compare.KIND:LABEL overrides), LABEL of a-z, 0-9 and '-'.
    /// evaluates to: Config.isModelName "ease:side" = true; Config.isModelName "auto" = false
    val isModelName: name: string -> bool

    /// The model kind a model name (isModelName) stands for: that of its kind part (kindNameOf). Throws
    /// ArgumentException when the kind part names no model kind.
    /// evaluates to: Config.kindOf "gat-text:no-text" = ModelKind.GatText
    val kindOf: name: string -> ModelKind

    /// Whether the configured model fits an EASE part (model.kind ease, or blend.itemItem ease).
    val usesEase: c: Config -> bool

    /// Whether the configured model uses text features (the shell encodes text only then): the kinds that read text
    /// (gat-text, and the EASE part it blends with), and model.kind ease with a text weight > 0 in ease.textWeights
    /// or its content map. The other kinds are the models without text (gat is gat-text's ablation without it): the
    /// EASE part they blend with reads the item attributes only, in its side information and in its content map
    /// alike.
    val usesText: c: Config -> bool

    /// Whether the model's graph has attribute nodes: a GAT-family kind with model.attributes on.
    val usesAttributes: m: ModelConfig -> bool

    /// Checks ranges, enumerations and the keys' dependencies (eval.stopK among eval.ks, train.fanout's length,
    /// blend.itemItem's model kind, …): `c` itself, or every problem found, not just the first. The compare
    /// overrides are not checked here (parseOverIgnoring checks them).
    val validate: c: Config -> Result<Config, ConfigError list>

    /// Each section's keys as a config file spells them: the section records' fields in camelCase, in field order (the
    /// reference's, docs/configuration.md); `compare` is keyed by model name instead. The reader accepts exactly these
    /// (ignoring case); overrides and suggestions are named from them.
    val sectionKeys: (string * string list) list

    /// The top-level sections a config file may hold: those of sectionKeys, then "compare".
    val sectionNames: string list

    /// The keys of one section of `sectionKeys` ([] for an unknown section).
    /// evaluates to: Config.keysOf "split" = [ "valid"; "test" ]
    val keysOf: section: string -> string list

    /// Parses a JSON config (comments and trailing commas allowed) as overrides of `baseConfig`, then validates. The
    /// document is read by Microsoft.Extensions.Configuration's JSON provider and bound by ConfigBinding (keys ignore
    /// case; a number written as a string reads as the number). Unknown keys and wrongly typed values are errors
    /// naming the dotted key (unknown ones with the nearest known name); JSON that does not parse, or a key named
    /// twice in one object, is one error keyed "(file)". Every problem is reported at once: the values
    /// that parsed are validated even when others did not. Once the result is valid, each compare.NAME override must
    /// give a valid config with its kind, and with model.kind auto so must each candidate without overrides. The
    /// top-level sections in `others` belong to another reader (the host's settings): they are accepted and not
    /// read, and named when a misspelt section is refused. Returns errors, never throws.
    val parseOverIgnoring: others: string list -> baseConfig: Config -> json: string -> Result<Config, ConfigError list>

    /// Parses a JSON config holding only the core's sections as overrides of `baseConfig`, then validates
    /// (parseOverIgnoring with no other sections).
    val parseOver: baseConfig: Config -> json: string -> Result<Config, ConfigError list>

    /// `parseOver Default`.
    /// evaluates to: Config.parse """{"train":{"seed":7}}""" |> Result.map _.Train.Seed = Ok 7
    val parse: json: string -> Result<Config, ConfigError list>

    /// The config one model trains with: `c` with model.kind = kindOf name, then its compare.NAME overrides (as
    /// `batchrec compare` and model.kind auto train it; a variant KIND:LABEL takes only its own overrides); the
    /// compare map is kept. Throws ArgumentException naming the model when its kind part names no model kind or its
    /// overrides do not give a valid config.
    val forModel: c: Config -> kind: string -> Config

    /// `c` with the JSON overrides `json` applied (as a config file's keys), the compare map kept but not re-checked
    /// against the result (its entries are overrides of the file's config, not of this one). Throws ArgumentException
    /// listing every problem when the result is not valid.
    /// evaluates to: (Config.withOverrides Default """{"train":{"seed":7}}""").Train.Seed = 7
    val withOverrides: c: Config -> json: string -> Config
