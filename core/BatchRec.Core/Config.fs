namespace BatchRec.Core

open System
open System.Text.Json

/// Where a dataset comes from and where its outputs go. Relative paths are resolved by the shell
/// against the folder of the config file.
type DatasetConfig =
    { Name: string
      Input: string
      Output: string
      Work: string }

type ModelConfig =
    { /// popularity | bpr-mf | lightgcn | gat | gat-text
      Kind: string
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
      EdgeWeight: string
      /// gat/gat-text: the seed's h = MLP(concat(self, neighbourhood)) on the final embeddings (residual).
      FinalMlp: bool
      /// Ablation only: apply MLP(concat(self, neighbourhood)) with a non-linearity at every layer, as the
      /// seed's formula reads literally (trains worse; see the README's ablation).
      LayerMlp: bool
      /// gat/gat-text: learned attention; false = fixed LightGCN weights on the same graph (ablation).
      Attention: bool
      /// gat-text: probability of hiding an item's id embedding in a batch, so text alone must carry it (cold start).
      IdDropout: float
      /// gat-text: how the projected text joins the id embedding: add (e + P t) | mlp (e + P t + MLP([e ; P t])).
      Fusion: string }

type TrainConfig =
    { MaxEpochs: int
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
      Device: string
      /// Intra-op threads for TorchSharp; 0 = library default.
      Threads: int }

type SplitConfig = { Valid: float; Test: float }

type EvalConfig =
    { /// standard (the split's valid/test) | cold-items (also hold out a seeded fraction of items entirely)
      Mode: string
      /// cold-items: fraction of items held out with all their interactions.
      ColdFraction: float
      /// cold-items: cut-offs of the cold ranking metrics.
      ColdKs: int list
      Ks: int list
      /// mrr | ndcg | recall | hit | precision, at StopK.
      StopMetric: string
      StopK: int
      /// Users per chunk of the full-ranking score matrix.
      UserChunk: int }

type ScoreConfig = { K: int; UserChunk: int }

type TextConfig =
    { /// The sentence encoder (the only one shipped): all-MiniLM-L6-v2.
      Encoder: string
      /// Folder of the text-vector cache (Parquet keyed by hash of encoder name and text); "" = <work>/text-cache.
      Cache: string
      /// Sentences per encoder call.
      BatchSize: int
      /// Encode users.text into user features when a users table is given.
      UserText: bool }

type ScheduleConfig = { Cron: string; TimeZone: string }

type StorageConfig =
    { /// memory (embedded default) | postgresql
      Kind: string
      /// Name of the environment variable holding the PostgreSQL connection string.
      ConnectionStringEnv: string
      Schema: string }

type JobsConfig =
    { Workers: int
      /// Automatic retries per stage (Hangfire AutomaticRetry).
      Retries: int }

/// How the ingest stage validates, quarantines and windows the interaction log.
type IngestConfig =
    { /// Fail the run before training when a partition's quarantined rows exceed this fraction of its rows read.
      MaxBadFraction: float
      /// keep | quarantine: interactions whose item is not in the items table (when one is given).
      UnknownItems: string
      /// Sane range of event times, epoch seconds, inclusive; rows outside are quarantined.
      MinTimestamp: int64
      MaxTimestamp: int64
      /// seconds | milliseconds: the unit of integer timestamp columns (Parquet timestamps carry their own).
      TimestampUnit: string
      /// Longest accepted user or item id, in UTF-16 code units; longer ids are quarantined.
      MaxIdLength: int
      /// Use only dt= partitions of the last N days up to the run date; 0 = every partition.
      WindowDays: int }

type Config =
    { Dataset: DatasetConfig
      Model: ModelConfig
      Train: TrainConfig
      Split: SplitConfig
      Eval: EvalConfig
      Score: ScoreConfig
      Text: TextConfig
      Schedule: ScheduleConfig
      Storage: StorageConfig
      Jobs: JobsConfig
      Ingest: IngestConfig }

/// One problem in a config: the dotted key and what is wrong, quoting the bad value.
type ConfigError =
    { Key: string
      Message: string }
    override this.ToString() = sprintf "%s: %s" this.Key this.Message

[<RequireQualifiedAccess>]
module Config =
    /// Defaults: LightGCN 64×3 with RecBole's protocol (80/10/10, MRR@10 early stopping every 10 epochs,
    /// patience 10 evaluations), top-20 output, nightly at 02:00 UTC, in-memory job storage.
    let Default =
        { Dataset = { Name = "sample"; Input = "data/sample"; Output = "out"; Work = "work" }
          Model =
            { Kind = "lightgcn"; Dim = 64; Layers = 3; Heads = 2; Dropout = 0.0; Attributes = true; EdgeWeight = "one"
              FinalMlp = false; LayerMlp = false; Attention = false; IdDropout = 0.0; Fusion = "add" }
          Train =
            { MaxEpochs = 1000; BatchSize = 4096; LearningRate = 0.002; L2 = 1e-4
              EvalEvery = 10; Patience = 10; Seed = 2020; Device = "auto"; Threads = 0 }
          Split = { Valid = 0.1; Test = 0.1 }
          Eval = { Mode = "standard"; ColdFraction = 0.1; ColdKs = [ 20 ]; Ks = [ 10; 20 ]; StopMetric = "mrr"; StopK = 10; UserChunk = 2048 }
          Score = { K = 20; UserChunk = 2048 }
          Text = { Encoder = "all-MiniLM-L6-v2"; Cache = ""; BatchSize = 64; UserText = true }
          Schedule = { Cron = "0 2 * * *"; TimeZone = "UTC" }
          Storage = { Kind = "memory"; ConnectionStringEnv = "BATCHREC_PG"; Schema = "batchrec" }
          Jobs = { Workers = 2; Retries = 0 }
          Ingest =
            { MaxBadFraction = 0.05; UnknownItems = "keep"; MinTimestamp = 0L; MaxTimestamp = 4102444800L // 2100-01-01
              TimestampUnit = "seconds"; MaxIdLength = 1024; WindowDays = 0 } }

    let private knownModels = set [ "popularity"; "bpr-mf"; "lightgcn"; "gat"; "gat-text" ]
    /// Model kinds that use text features (the shell encodes text only for these).
    let usesText (kind: string) = kind = "gat-text"
    /// Model kinds whose graph has attribute nodes.
    let usesAttributes (m: ModelConfig) = (m.Kind = "gat" || m.Kind = "gat-text") && m.Attributes
    let private knownMetrics = set [ "mrr"; "ndcg"; "recall"; "hit"; "precision" ]

    /// Checks ranges and enumerations; every problem is reported, not just the first.
    let validate (c: Config) : Result<Config, ConfigError list> =
        let errs = Collections.Generic.List<ConfigError>()
        let check ok key msg = if not ok then errs.Add { Key = key; Message = msg }
        check (c.Dataset.Name <> "" && c.Dataset.Name |> Seq.forall (fun ch -> Char.IsLetterOrDigit ch || ch = '-' || ch = '_'))
            "dataset.name" (sprintf "must be non-empty letters, digits, '-' or '_', got '%s'" c.Dataset.Name)
        check (c.Dataset.Input <> "") "dataset.input" "must not be empty"
        check (c.Dataset.Output <> "") "dataset.output" "must not be empty"
        check (c.Dataset.Work <> "") "dataset.work" "must not be empty"
        check (knownModels.Contains c.Model.Kind) "model.kind" (sprintf "must be one of %s, got '%s'" (String.Join(", ", knownModels)) c.Model.Kind)
        check (c.Model.Dim > 0) "model.dim" (sprintf "must be > 0, got %d" c.Model.Dim)
        check (c.Model.Layers >= 0) "model.layers" (sprintf "must be >= 0, got %d" c.Model.Layers)
        check (c.Model.Heads > 0) "model.heads" (sprintf "must be > 0, got %d" c.Model.Heads)
        check (c.Model.Dropout >= 0.0 && c.Model.Dropout < 1.0) "model.dropout" (sprintf "must be in [0, 1), got %g" c.Model.Dropout)
        check (c.Model.IdDropout >= 0.0 && c.Model.IdDropout < 1.0) "model.idDropout" (sprintf "must be in [0, 1), got %g" c.Model.IdDropout)
        check (List.contains c.Model.Fusion [ "add"; "mlp" ]) "model.fusion" (sprintf "must be add or mlp, got '%s'" c.Model.Fusion)
        check (List.contains c.Model.EdgeWeight [ "one"; "weight"; "log1p" ]) "model.edgeWeight" (sprintf "must be one, weight or log1p, got '%s'" c.Model.EdgeWeight)
        check (c.Text.Encoder = "all-MiniLM-L6-v2") "text.encoder" (sprintf "must be all-MiniLM-L6-v2 (the encoder shipped), got '%s'" c.Text.Encoder)
        check (c.Text.BatchSize > 0) "text.batchSize" (sprintf "must be > 0, got %d" c.Text.BatchSize)
        check (List.contains c.Eval.Mode [ "standard"; "cold-items" ]) "eval.mode" (sprintf "must be standard or cold-items, got '%s'" c.Eval.Mode)
        check (c.Eval.ColdFraction > 0.0 && c.Eval.ColdFraction < 1.0) "eval.coldFraction" (sprintf "must be in (0, 1), got %g" c.Eval.ColdFraction)
        check (not c.Eval.ColdKs.IsEmpty && c.Eval.ColdKs |> List.forall (fun k -> k > 0)) "eval.coldKs" (sprintf "must be a non-empty list of positive ints, got %A" c.Eval.ColdKs)
        check (c.Train.MaxEpochs > 0) "train.maxEpochs" (sprintf "must be > 0, got %d" c.Train.MaxEpochs)
        check (c.Train.BatchSize > 0) "train.batchSize" (sprintf "must be > 0, got %d" c.Train.BatchSize)
        check (c.Train.LearningRate > 0.0) "train.learningRate" (sprintf "must be > 0, got %g" c.Train.LearningRate)
        check (c.Train.L2 >= 0.0) "train.l2" (sprintf "must be >= 0, got %g" c.Train.L2)
        check (c.Train.EvalEvery > 0) "train.evalEvery" (sprintf "must be > 0, got %d" c.Train.EvalEvery)
        check (c.Train.Patience > 0) "train.patience" (sprintf "must be > 0, got %d" c.Train.Patience)
        check (List.contains c.Train.Device [ "auto"; "cpu"; "cuda" ]) "train.device" (sprintf "must be auto, cpu or cuda, got '%s'" c.Train.Device)
        check (c.Train.Threads >= 0) "train.threads" (sprintf "must be >= 0, got %d" c.Train.Threads)
        check (c.Split.Valid >= 0.0 && c.Split.Test >= 0.0 && c.Split.Valid + c.Split.Test < 1.0)
            "split" (sprintf "valid and test must be >= 0 and sum below 1, got %g and %g" c.Split.Valid c.Split.Test)
        check (not c.Eval.Ks.IsEmpty && c.Eval.Ks |> List.forall (fun k -> k > 0)) "eval.ks" (sprintf "must be a non-empty list of positive ints, got %A" c.Eval.Ks)
        check (knownMetrics.Contains c.Eval.StopMetric) "eval.stopMetric" (sprintf "must be one of %s, got '%s'" (String.Join(", ", knownMetrics)) c.Eval.StopMetric)
        check (c.Eval.StopK > 0) "eval.stopK" (sprintf "must be > 0, got %d" c.Eval.StopK)
        check (c.Eval.UserChunk > 0) "eval.userChunk" (sprintf "must be > 0, got %d" c.Eval.UserChunk)
        check (c.Score.K > 0) "score.k" (sprintf "must be > 0, got %d" c.Score.K)
        check (c.Score.UserChunk > 0) "score.userChunk" (sprintf "must be > 0, got %d" c.Score.UserChunk)
        check (c.Schedule.Cron.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length |> fun n -> n = 5 || n = 6)
            "schedule.cron" (sprintf "must have 5 or 6 fields, got '%s'" c.Schedule.Cron)
        check (List.contains c.Storage.Kind [ "memory"; "postgresql" ]) "storage.kind" (sprintf "must be memory or postgresql, got '%s'" c.Storage.Kind)
        check (c.Jobs.Workers > 0) "jobs.workers" (sprintf "must be > 0, got %d" c.Jobs.Workers)
        check (c.Jobs.Retries >= 0) "jobs.retries" (sprintf "must be >= 0, got %d" c.Jobs.Retries)
        // ---- ingest ----
        let ig = c.Ingest
        check (ig.MaxBadFraction >= 0.0 && ig.MaxBadFraction <= 1.0) "ingest.maxBadFraction" (sprintf "must be within [0, 1], got %g" ig.MaxBadFraction)
        check (List.contains ig.UnknownItems [ "keep"; "quarantine" ]) "ingest.unknownItems" (sprintf "must be keep or quarantine, got '%s'" ig.UnknownItems)
        check (ig.MinTimestamp <= ig.MaxTimestamp) "ingest.minTimestamp" (sprintf "must be <= ingest.maxTimestamp (%d), got %d" ig.MaxTimestamp ig.MinTimestamp)
        check (List.contains ig.TimestampUnit [ "seconds"; "milliseconds" ]) "ingest.timestampUnit" (sprintf "must be seconds or milliseconds, got '%s'" ig.TimestampUnit)
        check (ig.MaxIdLength > 0) "ingest.maxIdLength" (sprintf "must be > 0, got %d" ig.MaxIdLength)
        check (ig.WindowDays >= 0) "ingest.windowDays" (sprintf "must be >= 0, got %d" ig.WindowDays)
        if errs.Count = 0 then Ok c else Error(List.ofSeq errs)

    // ---- JSON overrides: a config file names only what differs from Default ----

    type private Reader(errors: Collections.Generic.List<ConfigError>) =
        member _.Obj (el: JsonElement) (key: string) (known: string list) (f: string -> JsonElement -> unit) =
            if el.ValueKind <> JsonValueKind.Object then
                errors.Add { Key = key; Message = sprintf "must be an object, got %s" (el.GetRawText()) }
            else
                for p in el.EnumerateObject() do
                    let full = if key = "" then p.Name else key + "." + p.Name
                    if List.contains p.Name known then f full p.Value
                    else errors.Add { Key = full; Message = sprintf "unknown key (known: %s)" (String.Join(", ", known)) }
        member _.Str (key: string) (el: JsonElement) (dflt: string) =
            if el.ValueKind = JsonValueKind.String then el.GetString()
            else errors.Add { Key = key; Message = sprintf "must be a string, got %s" (el.GetRawText()) }; dflt
        member _.Int (key: string) (el: JsonElement) (dflt: int) =
            match el.ValueKind with
            | JsonValueKind.Number ->
                match el.TryGetInt32() with
                | true, v -> v
                | _ -> errors.Add { Key = key; Message = sprintf "must be an integer, got %s" (el.GetRawText()) }; dflt
            | _ -> errors.Add { Key = key; Message = sprintf "must be an integer, got %s" (el.GetRawText()) }; dflt
        member _.Bool (key: string) (el: JsonElement) (dflt: bool) =
            match el.ValueKind with
            | JsonValueKind.True -> true
            | JsonValueKind.False -> false
            | _ -> errors.Add { Key = key; Message = sprintf "must be true or false, got %s" (el.GetRawText()) }; dflt
        member _.IntList (key: string) (el: JsonElement) (dflt: int list) =
            if el.ValueKind = JsonValueKind.Array then [ for x in el.EnumerateArray() -> (if x.ValueKind = JsonValueKind.Number then (match x.TryGetInt32() with | true, v -> v | _ -> (errors.Add { Key = key; Message = sprintf "must be an array of integers, got %s" (el.GetRawText()) }; 0)) else (errors.Add { Key = key; Message = sprintf "must be an array of integers, got %s" (el.GetRawText()) }; 0)) ]
            else errors.Add { Key = key; Message = sprintf "must be an array of integers, got %s" (el.GetRawText()) }; dflt
        member _.Int64 (key: string) (el: JsonElement) (dflt: int64) =
            match el.ValueKind, (if el.ValueKind = JsonValueKind.Number then el.TryGetInt64() else (false, 0L)) with
            | JsonValueKind.Number, (true, v) -> v
            | _ -> errors.Add { Key = key; Message = sprintf "must be an integer, got %s" (el.GetRawText()) }; dflt
        member _.Float (key: string) (el: JsonElement) (dflt: float) =
            if el.ValueKind = JsonValueKind.Number then el.GetDouble()
            else errors.Add { Key = key; Message = sprintf "must be a number, got %s" (el.GetRawText()) }; dflt

    /// Parses a JSON config (comments and trailing commas allowed) as overrides of `baseConfig`,
    /// then validates. Unknown keys and wrongly typed values are errors naming the dotted key.
    let parseOver (baseConfig: Config) (json: string) : Result<Config, ConfigError list> =
        let errors = Collections.Generic.List<ConfigError>()
        let doc =
            try
                Some(JsonDocument.Parse(json, JsonDocumentOptions(CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)))
            with :? JsonException as e ->
                errors.Add { Key = "(file)"; Message = sprintf "not valid JSON: %s" e.Message }
                None
        match doc with
        | None -> Error(List.ofSeq errors)
        | Some doc ->
            use doc = doc
            let r = Reader(errors)
            let mutable c = baseConfig
            r.Obj doc.RootElement "" [ "dataset"; "model"; "train"; "split"; "eval"; "score"; "text"; "schedule"; "storage"; "jobs"; "ingest" ] (fun key v ->
                match key with
                | "dataset" ->
                    r.Obj v key [ "name"; "input"; "output"; "work" ] (fun k e ->
                        let d = c.Dataset
                        c <- { c with Dataset =
                                        match k with
                                        | "dataset.name" -> { d with Name = r.Str k e d.Name }
                                        | "dataset.input" -> { d with Input = r.Str k e d.Input }
                                        | "dataset.output" -> { d with Output = r.Str k e d.Output }
                                        | _ -> { d with Work = r.Str k e d.Work } })
                | "model" ->
                    r.Obj v key [ "kind"; "dim"; "layers"; "heads"; "dropout"; "attributes"; "edgeWeight"; "finalMlp"; "layerMlp"; "attention"; "idDropout"; "fusion" ] (fun k e ->
                        let m = c.Model
                        c <- { c with Model =
                                        match k with
                                        | "model.kind" -> { m with Kind = r.Str k e m.Kind }
                                        | "model.dim" -> { m with Dim = r.Int k e m.Dim }
                                        | "model.heads" -> { m with Heads = r.Int k e m.Heads }
                                        | "model.dropout" -> { m with Dropout = r.Float k e m.Dropout }
                                        | "model.attributes" -> { m with Attributes = r.Bool k e m.Attributes }
                                        | "model.edgeWeight" -> { m with EdgeWeight = r.Str k e m.EdgeWeight }
                                        | "model.finalMlp" -> { m with FinalMlp = r.Bool k e m.FinalMlp }
                                        | "model.layerMlp" -> { m with LayerMlp = r.Bool k e m.LayerMlp }
                                        | "model.attention" -> { m with Attention = r.Bool k e m.Attention }
                                        | "model.idDropout" -> { m with IdDropout = r.Float k e m.IdDropout }
                                        | "model.fusion" -> { m with Fusion = r.Str k e m.Fusion }
                                        | _ -> { m with Layers = r.Int k e m.Layers } })
                | "train" ->
                    r.Obj v key [ "maxEpochs"; "batchSize"; "learningRate"; "l2"; "evalEvery"; "patience"; "seed"; "device"; "threads" ] (fun k e ->
                        let t = c.Train
                        c <- { c with Train =
                                        match k with
                                        | "train.maxEpochs" -> { t with MaxEpochs = r.Int k e t.MaxEpochs }
                                        | "train.batchSize" -> { t with BatchSize = r.Int k e t.BatchSize }
                                        | "train.learningRate" -> { t with LearningRate = r.Float k e t.LearningRate }
                                        | "train.l2" -> { t with L2 = r.Float k e t.L2 }
                                        | "train.evalEvery" -> { t with EvalEvery = r.Int k e t.EvalEvery }
                                        | "train.patience" -> { t with Patience = r.Int k e t.Patience }
                                        | "train.seed" -> { t with Seed = r.Int k e t.Seed }
                                        | "train.device" -> { t with Device = r.Str k e t.Device }
                                        | _ -> { t with Threads = r.Int k e t.Threads } })
                | "split" ->
                    r.Obj v key [ "valid"; "test" ] (fun k e ->
                        let s = c.Split
                        c <- { c with Split = if k = "split.valid" then { s with Valid = r.Float k e s.Valid } else { s with Test = r.Float k e s.Test } })
                | "eval" ->
                    r.Obj v key [ "mode"; "coldFraction"; "coldKs"; "ks"; "stopMetric"; "stopK"; "userChunk" ] (fun k e ->
                        let ev = c.Eval
                        c <- { c with Eval =
                                        match k with
                                        | "eval.mode" -> { ev with Mode = r.Str k e ev.Mode }
                                        | "eval.coldFraction" -> { ev with ColdFraction = r.Float k e ev.ColdFraction }
                                        | "eval.coldKs" -> { ev with ColdKs = r.IntList k e ev.ColdKs }
                                        | "eval.ks" ->
                                            if e.ValueKind = JsonValueKind.Array then
                                                { ev with Ks = [ for x in e.EnumerateArray() -> r.Int k x 0 ] }
                                            else
                                                errors.Add { Key = k; Message = sprintf "must be an array of integers, got %s" (e.GetRawText()) }
                                                ev
                                        | "eval.stopMetric" -> { ev with StopMetric = r.Str k e ev.StopMetric }
                                        | "eval.stopK" -> { ev with StopK = r.Int k e ev.StopK }
                                        | _ -> { ev with UserChunk = r.Int k e ev.UserChunk } })
                | "score" ->
                    r.Obj v key [ "k"; "userChunk" ] (fun k e ->
                        let s = c.Score
                        c <- { c with Score = if k = "score.k" then { s with K = r.Int k e s.K } else { s with UserChunk = r.Int k e s.UserChunk } })
                | "text" ->
                    r.Obj v key [ "encoder"; "cache"; "batchSize"; "userText" ] (fun k e ->
                        let t = c.Text
                        c <- { c with Text =
                                        match k with
                                        | "text.encoder" -> { t with Encoder = r.Str k e t.Encoder }
                                        | "text.cache" -> { t with Cache = r.Str k e t.Cache }
                                        | "text.batchSize" -> { t with BatchSize = r.Int k e t.BatchSize }
                                        | _ -> { t with UserText = r.Bool k e t.UserText } })
                | "schedule" ->
                    r.Obj v key [ "cron"; "timeZone" ] (fun k e ->
                        let s = c.Schedule
                        c <- { c with Schedule = if k = "schedule.cron" then { s with Cron = r.Str k e s.Cron } else { s with TimeZone = r.Str k e s.TimeZone } })
                | "storage" ->
                    r.Obj v key [ "kind"; "connectionStringEnv"; "schema" ] (fun k e ->
                        let s = c.Storage
                        c <- { c with Storage =
                                        match k with
                                        | "storage.kind" -> { s with Kind = r.Str k e s.Kind }
                                        | "storage.connectionStringEnv" -> { s with ConnectionStringEnv = r.Str k e s.ConnectionStringEnv }
                                        | _ -> { s with Schema = r.Str k e s.Schema } })
                | "ingest" ->
                    r.Obj v key [ "maxBadFraction"; "unknownItems"; "minTimestamp"; "maxTimestamp"; "timestampUnit"; "maxIdLength"; "windowDays" ] (fun k e ->
                        let g = c.Ingest
                        c <- { c with Ingest =
                                        match k with
                                        | "ingest.maxBadFraction" -> { g with MaxBadFraction = r.Float k e g.MaxBadFraction }
                                        | "ingest.unknownItems" -> { g with UnknownItems = r.Str k e g.UnknownItems }
                                        | "ingest.minTimestamp" -> { g with MinTimestamp = r.Int64 k e g.MinTimestamp }
                                        | "ingest.maxTimestamp" -> { g with MaxTimestamp = r.Int64 k e g.MaxTimestamp }
                                        | "ingest.timestampUnit" -> { g with TimestampUnit = r.Str k e g.TimestampUnit }
                                        | "ingest.maxIdLength" -> { g with MaxIdLength = r.Int k e g.MaxIdLength }
                                        | _ -> { g with WindowDays = r.Int k e g.WindowDays } })
                | _ ->
                    r.Obj v key [ "workers"; "retries" ] (fun k e ->
                        let j = c.Jobs
                        c <- { c with Jobs = if k = "jobs.workers" then { j with Workers = r.Int k e j.Workers } else { j with Retries = r.Int k e j.Retries } }))
            if errors.Count > 0 then Error(List.ofSeq errors) else validate c

    /// `parseOver Default`.
    let parse (json: string) = parseOver Default json
