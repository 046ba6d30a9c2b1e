namespace BatchRec.Core

open System

/// A closed set of config values: every case with the name the config file spells it with, in one table per type.
/// The reader parses through the table and the error lists its names; code matches on the cases, so the compiler
/// points at every place a new case must be handled.
module Choice =
    /// The case named `name` in `table`, or None (names are case-sensitive, as the config file's are).
    /// evaluates to: tryParse [ (1, "one"); (2, "two") ] "two" = Some 2
    let tryParse (table: ('T * string) list) (name: string) : 'T option =
        table |> List.tryFind (fun (_, n) -> n = name) |> Option.map fst

    /// The name of `value` in `table`.
    /// evaluates to: nameOf [ (1, "one"); (2, "two") ] 2 = "two"
    let nameOf (table: ('T * string) list) (value: 'T) : string =
        table |> List.find (fun (v, _) -> v = value) |> snd

    /// The table's names as a sentence: "a, b or c".
    /// evaluates to: sentence [ (1, "one"); (2, "two"); (3, "three") ] = "one, two or three"
    let sentence (table: ('T * string) list) : string =
        match table |> List.map snd |> List.rev with
        | [] -> ""
        | [ only ] -> only
        | last :: rest -> String.Join(", ", List.rev rest) + " or " + last

/// model.kind: what the train stage fits. To add a model kind: a case here with its name and its rows in the
/// ModelKind module's matches (the compiler lists them), its construction in FactorTraining.createModel (a factor
/// model) or its fit in Trainer.trainWith, and its section in docs/models.md (README, "Changing the code").
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

    static member Names =
        [
            ModelKind.Popularity, "popularity"
            ModelKind.BprMf, "bpr-mf"
            ModelKind.LightGcn, "lightgcn"
            ModelKind.Gat, "gat"
            ModelKind.GatText, "gat-text"
            ModelKind.Ease, "ease"
            ModelKind.Auto, "auto"
        ]

    /// The config file's name of the kind.
    member this.Name = Choice.nameOf ModelKind.Names this
    override this.ToString() = this.Name

/// What each model kind is: one match per property, so a new kind is a compile error until each is answered.
[<RequireQualifiedAccess>]
module ModelKind =
    /// The kinds that fit one model (every kind but auto), in the order the docs list them.
    let trainable =
        ModelKind.Names |> List.map fst |> List.filter (fun k -> k <> ModelKind.Auto)

    /// The kind named `name`, or None.
    let tryParse (name: string) = Choice.tryParse ModelKind.Names name

    /// Kinds whose graph has attribute nodes (when model.attributes is on) and that train by neighbour sampling when
    /// train.fanout is set: the GAT family.
    let isGat (k: ModelKind) =
        match k with
        | ModelKind.Gat
        | ModelKind.GatText -> true
        | ModelKind.Popularity
        | ModelKind.BprMf
        | ModelKind.LightGcn
        | ModelKind.Ease
        | ModelKind.Auto -> false

    /// Kinds that read the items' text features themselves.
    let readsText (k: ModelKind) =
        match k with
        | ModelKind.GatText -> true
        | ModelKind.Gat
        | ModelKind.Popularity
        | ModelKind.BprMf
        | ModelKind.LightGcn
        | ModelKind.Ease
        | ModelKind.Auto -> false

    /// Kinds trained by gradient descent on user and item embeddings (score ⟨h_u, h_i⟩): the ones blend.itemItem can
    /// join an EASE part to, and the ones model.score and the losses apply to.
    let isFactorModel (k: ModelKind) =
        match k with
        | ModelKind.BprMf
        | ModelKind.LightGcn
        | ModelKind.Gat
        | ModelKind.GatText -> true
        | ModelKind.Popularity
        | ModelKind.Ease
        | ModelKind.Auto -> false

    /// Kinds whose fit draws nothing at random (closed form or counts): `compare` fits them once for every seed.
    let isSeedFree (k: ModelKind) =
        match k with
        | ModelKind.Popularity
        | ModelKind.Ease -> true
        | ModelKind.BprMf
        | ModelKind.LightGcn
        | ModelKind.Gat
        | ModelKind.GatText
        | ModelKind.Auto -> false

/// train.device: where TorchSharp runs.
[<RequireQualifiedAccess>]
type DeviceChoice =
    /// CUDA when the process can load it, else the CPU.
    | Auto
    | Cpu
    | Cuda

    static member Names =
        [
            DeviceChoice.Auto, "auto"
            DeviceChoice.Cpu, "cpu"
            DeviceChoice.Cuda, "cuda"
        ]

    member this.Name = Choice.nameOf DeviceChoice.Names this
    override this.ToString() = this.Name

/// train.loss.
[<RequireQualifiedAccess>]
type LossKind =
    /// BPR with one uniform negative per pair.
    | Bpr
    /// Sampled softmax over train.negatives negatives shared by the batch, with train.temperature.
    | Softmax

    static member Names = [ LossKind.Bpr, "bpr"; LossKind.Softmax, "softmax" ]
    member this.Name = Choice.nameOf LossKind.Names this
    override this.ToString() = this.Name

/// model.fusion: how gat-text joins the projected text to the id embedding.
[<RequireQualifiedAccess>]
type Fusion =
    /// e + P t
    | Add
    /// e + P t + MLP([e ; P t])
    | Mlp

    static member Names = [ Fusion.Add, "add"; Fusion.Mlp, "mlp" ]
    member this.Name = Choice.nameOf Fusion.Names this
    override this.ToString() = this.Name

/// model.edgeWeight: the user–item edge weight fed to the attention.
[<RequireQualifiedAccess>]
type EdgeWeight =
    | One
    /// The interaction's weight.
    | Weight
    /// log(1 + weight).
    | Log1p

    static member Names =
        [
            EdgeWeight.One, "one"
            EdgeWeight.Weight, "weight"
            EdgeWeight.Log1p, "log1p"
        ]

    member this.Name = Choice.nameOf EdgeWeight.Names this
    override this.ToString() = this.Name

/// model.score: how a factor model scores a pair.
[<RequireQualifiedAccess>]
type ScoreFunction =
    /// ⟨h_u, h_i⟩
    | Dot
    /// The final embeddings unit-normalised: cos(h_u, h_i).
    | Cosine

    static member Names = [ ScoreFunction.Dot, "dot"; ScoreFunction.Cosine, "cosine" ]
    member this.Name = Choice.nameOf ScoreFunction.Names this
    override this.ToString() = this.Name

/// eval.mode.
[<RequireQualifiedAccess>]
type EvalMode =
    /// The split's valid and test interactions.
    | Standard
    /// Also hold out a seeded fraction of items with all their interactions (cold-start figures).
    | ColdItems

    static member Names = [ EvalMode.Standard, "standard"; EvalMode.ColdItems, "cold-items" ]
    member this.Name = Choice.nameOf EvalMode.Names this
    override this.ToString() = this.Name

/// ease.coldItems: the EASE columns of items without training interactions.
[<RequireQualifiedAccess>]
type NewItems =
    /// Zero: EASE cannot recommend them.
    | None
    /// From a content map fitted on the other items (Nn/Ease.contentMap).
    | Content

    static member Names = [ NewItems.None, "none"; NewItems.Content, "content" ]
    member this.Name = Choice.nameOf NewItems.Names this
    override this.ToString() = this.Name

/// blend.itemItem: the item–item part joined to a trained factor model.
[<RequireQualifiedAccess>]
type ItemItemPart =
    | None
    | Ease

    static member Names = [ ItemItemPart.None, "none"; ItemItemPart.Ease, "ease" ]
    member this.Name = Choice.nameOf ItemItemPart.Names this
    override this.ToString() = this.Name

/// What the ingest stage does with a row of a kind it may accept (ingest.unknownItems, negativeWeights, zeroWeights).
[<RequireQualifiedAccess>]
type RowPolicy =
    | Keep
    | Quarantine

    static member Names = [ RowPolicy.Keep, "keep"; RowPolicy.Quarantine, "quarantine" ]
    member this.Name = Choice.nameOf RowPolicy.Names this
    override this.ToString() = this.Name

/// ingest.timestampUnit: the unit of integer timestamp columns.
[<RequireQualifiedAccess>]
type TimestampUnit =
    | Seconds
    | Milliseconds

    static member Names =
        [ TimestampUnit.Seconds, "seconds"; TimestampUnit.Milliseconds, "milliseconds" ]

    member this.Name = Choice.nameOf TimestampUnit.Names this
    override this.ToString() = this.Name

/// ingest.duplicateItems: items-table rows repeating an earlier row's item_id.
[<RequireQualifiedAccess>]
type DuplicateItems =
    /// Keep the first row, ignore the others (counted).
    | First
    /// Fail the run naming both rows.
    | Fail

    static member Names = [ DuplicateItems.First, "first"; DuplicateItems.Fail, "fail" ]
    member this.Name = Choice.nameOf DuplicateItems.Names this
    override this.ToString() = this.Name

/// A ranking metric (eval.stopMetric); the metric records carry its name.
[<RequireQualifiedAccess>]
type RankingMetric =
    | Mrr
    | Ndcg
    | Recall
    | Hit
    | Precision

    static member Names =
        [
            RankingMetric.Mrr, "mrr"
            RankingMetric.Ndcg, "ndcg"
            RankingMetric.Recall, "recall"
            RankingMetric.Hit, "hit"
            RankingMetric.Precision, "precision"
        ]

    member this.Name = Choice.nameOf RankingMetric.Names this
    override this.ToString() = this.Name
