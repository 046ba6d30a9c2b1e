namespace BatchRec.Core

/// A closed set of config values: every case with the name the config file spells it with, in one table per type.
/// The reader parses through the table and the error lists its names; code matches on the cases, so the compiler
/// points at every place a new case must be handled.
module Choice =

    /// The case named `name` in `table`, or None (names are case-sensitive, as the config file's are).
    /// evaluates to: tryParse [ (1, "one"); (2, "two") ] "two" = Some 2
    val tryParse: table: ('T * string) list -> name: string -> 'T option

    /// The name of `value` in `table`.
    /// evaluates to: nameOf [ (1, "one"); (2, "two") ] 2 = "two"
    val nameOf: table: ('T * string) list -> value: 'T -> string when 'T: equality

    /// The table's names as a sentence: "a, b or c".
    /// evaluates to: sentence [ (1, "one"); (2, "two"); (3, "three") ] = "one, two or three"
    val sentence: table: ('T * string) list -> string

/// model.kind: what the train stage fits. To add a model kind: a case here with its name and its rows in the
/// ModelKind module's matches (the compiler lists them), its construction in Trainer.createModel, and its section in
/// docs/models.md (README, "Changing the code").
[<RequireQualifiedAccess>]
type ModelKind =

    /// Items ranked by their number of training interactions (the same list for every user).
    | Popularity

    /// Matrix factorisation trained with BPR.
    | BprMf

    /// LightGCN: parameter-free propagation over the normalised user–item graph.
    | LightGcn

    /// The seed's graph attention network over users, items and attribute nodes.
    | Gat

    /// Gat with the items' (and users') language-model text fused into the layer-0 embeddings.
    | GatText

    /// EASE, the closed-form item–item model (with side information and a content map for new items).
    | Ease

    /// Not a model: the candidates of `auto.candidates` trained on one split, the one-standard-error choice published.
    | Auto

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the kind.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (ModelKind * string) list

/// What each model kind is: one match per property, so a new kind is a compile error until each is answered.
[<RequireQualifiedAccess>]
module ModelKind =

    /// The kinds that fit one model (every kind but auto), in the order the docs list them.
    val trainable: ModelKind list

    /// The kind named `name`, or None.
    val tryParse: name: string -> ModelKind option

    /// Kinds whose graph has attribute nodes (when model.attributes is on) and that train by neighbour sampling when
    /// train.fanout is set: the GAT family.
    val isGat: k: ModelKind -> bool

    /// Kinds that read the items' text features themselves.
    val readsText: k: ModelKind -> bool

    /// Kinds trained by gradient descent on user and item embeddings (score ⟨h_u, h_i⟩): the ones blend.itemItem can
    /// join an EASE part to, and the ones model.score and the losses apply to. Trainer.trainWith routes them to
    /// FactorTraining (built by its createModel); the others have a fit of their own there.
    val isFactorModel: k: ModelKind -> bool

    /// Kinds whose fit draws nothing at random (closed form or counts): `compare` fits them once for every seed.
    val isSeedFree: k: ModelKind -> bool

/// train.device: where TorchSharp runs.
[<RequireQualifiedAccess>]
type DeviceChoice =

    /// CUDA when the process can load it, else the CPU.
    | Auto
    | Cpu
    | Cuda

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (DeviceChoice * string) list

/// train.loss.
[<RequireQualifiedAccess>]
type LossKind =

    /// BPR with one uniform negative per pair.
    | Bpr

    /// Sampled softmax over train.negatives negatives shared by the batch, with train.temperature.
    | Softmax

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (LossKind * string) list

/// model.fusion: how gat-text joins the projected text to the id embedding.
[<RequireQualifiedAccess>]
type Fusion =

    /// e + P t
    | Add

    /// e + P t + MLP([e ; P t])
    | Mlp

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (Fusion * string) list

/// model.edgeWeight: the user–item edge weight fed to the attention.
[<RequireQualifiedAccess>]
type EdgeWeight =
    | One

    /// The interaction's weight.
    | Weight

    /// log(1 + weight).
    | Log1p

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (EdgeWeight * string) list

/// model.score: how a factor model scores a pair.
[<RequireQualifiedAccess>]
type ScoreFunction =

    /// ⟨h_u, h_i⟩
    | Dot

    /// The final embeddings unit-normalised: cos(h_u, h_i).
    | Cosine

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (ScoreFunction * string) list

/// eval.mode.
[<RequireQualifiedAccess>]
type EvalMode =

    /// The split's valid and test interactions.
    | Standard

    /// Also hold out a seeded fraction of items with all their interactions (cold-start figures).
    | ColdItems

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (EvalMode * string) list

/// ease.coldItems: the EASE columns of items without training interactions.
[<RequireQualifiedAccess>]
type NewItems =

    /// Zero: EASE cannot recommend them.
    | None

    /// From a content map fitted on the other items (Nn/Ease.contentMap).
    | Content

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (NewItems * string) list

/// blend.itemItem: the item–item part joined to a trained factor model.
[<RequireQualifiedAccess>]
type ItemItemPart =
    | None
    | Ease

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (ItemItemPart * string) list

/// What the ingest stage does with a row of a kind it may accept (ingest.unknownItems, negativeWeights, zeroWeights).
[<RequireQualifiedAccess>]
type RowPolicy =
    | Keep
    | Quarantine

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (RowPolicy * string) list

/// ingest.timestampUnit: the unit of integer timestamp columns.
[<RequireQualifiedAccess>]
type TimestampUnit =
    | Seconds
    | Milliseconds

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (TimestampUnit * string) list

/// ingest.duplicateItems: items-table rows repeating an earlier row's item_id.
[<RequireQualifiedAccess>]
type DuplicateItems =

    /// Keep the first row, ignore the others (counted).
    | First

    /// Fail the run naming both rows.
    | Fail

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (DuplicateItems * string) list

/// A ranking metric (eval.stopMetric); the metric records carry its name.
[<RequireQualifiedAccess>]
type RankingMetric =
    | Mrr
    | Ndcg
    | Recall
    | Hit
    | Precision

    /// The name (as Name).
    override ToString: unit -> string

    /// The config file's name of the case.
    member Name: string

    /// Every case with its name in the config file, in the order the docs list them.
    static member Names: (RankingMetric * string) list
