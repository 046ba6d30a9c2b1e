namespace BatchRec.Core

open System
open System.Text.Json
open Microsoft.Extensions.Configuration
open Microsoft.FSharp.Reflection

type DatasetConfig =
    {
        Name: string
        Input: string
        Output: string
        Work: string
    }

type ModelConfig =
    {
        Kind: ModelKind
        Dim: int
        Layers: int
        Heads: int
        Dropout: float
        Attributes: bool
        EdgeWeight: EdgeWeight
        FinalMlp: bool
        LayerMlp: bool
        Attention: bool
        IdDropout: float
        Fusion: Fusion
        TextNeighbours: int
        Score: ScoreFunction
    }

type TrainConfig =
    {
        MaxEpochs: int
        BatchSize: int
        LearningRate: float
        L2: float
        EvalEvery: int
        Patience: int
        Seed: int
        Device: DeviceChoice
        Threads: int
        Fanout: int list
        Loss: LossKind
        Negatives: int
        Temperature: float
    }

type EaseConfig =
    {
        Lambdas: float list
        MaxGiB: float
        TagWeights: float list
        TextWeights: float list
        ColdItems: NewItems
        ContentRidges: float list
        ColdScales: float list
    }

type BlendConfig =
    {
        ItemItem: ItemItemPart
        Weights: float list
    }

type AutoConfig =
    {
        Candidates: string list
        StandardErrors: float
    }

type SearchConfig =
    {
        ExactBelow: int
        Connectivity: int
        ExpansionAdd: int
        ExpansionSearch: int
        Threads: int
    }

type SplitConfig = { Valid: float; Test: float }

type EvalConfig =
    {
        Mode: EvalMode
        ColdFraction: float
        ColdKs: int list
        Ks: int list
        StopMetric: RankingMetric
        StopK: int
        UserChunk: int
        MaxUsers: int
    }

type ScoreConfig =
    {
        K: int
        UserChunk: int
        BlockMiB: int
        Threads: int
        SimilarItems: int
    }

type TextConfig =
    {
        Encoder: string
        Cache: string
        BatchSize: int
        UserText: bool
        ItemText: bool
    }

type PublishConfig =
    {
        ChampionCheck: bool
        Tolerance: float
        MinUsersFraction: float
        MinRowsFraction: float
    }

type IngestConfig =
    {
        MaxBadFraction: float
        UnknownItems: RowPolicy
        MinTimestamp: int64
        MaxTimestamp: int64
        TimestampUnit: TimestampUnit
        MaxIdLength: int
        WindowDays: int
        ReadAhead: int
        NegativeWeights: RowPolicy
        ZeroWeights: RowPolicy
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
        Ingest: IngestConfig
        Publish: PublishConfig
        Compare: Map<string, string>
    }

[<RequireQualifiedAccess>]
module Config =
    let blockUsers (userChunk: int) (blockMiB: int) (numItems: int) : int =
        let byBudget = int64 blockMiB * 1048576L / (4L * int64 (max 1 numItems))
        int (max 1L (min (int64 userChunk) byBudget))

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

    let modelKinds = ModelKind.trainable |> List.map (fun k -> k.Name)

    let easeItemLimit = 23170

    let easeMaxItems (maxGiB: float) =
        min easeItemLimit (int (floor (sqrt (maxGiB * 1073741824.0 / 8.0))))

    let kindNameOf (name: string) =
        match name.IndexOf ':' with
        | -1 -> name
        | i -> name.Substring(0, i)

    let isModelName (name: string) =
        let kind = kindNameOf name

        List.contains kind modelKinds
        && (kind = name
            || (let label = name.Substring(kind.Length + 1) in

                label <> ""
                && label
                   |> Seq.forall (fun ch -> (ch >= 'a' && ch <= 'z') || Char.IsAsciiDigit ch || ch = '-')))

    let kindOf (name: string) : ModelKind =
        match ModelKind.tryParse (kindNameOf name) with
        | Some k -> k
        | None ->
            invalidArg "name" (sprintf "'%s' is not a model name (known: %s)" name (String.Join(", ", modelKinds)))

    let usesEase (c: Config) =
        c.Model.Kind = ModelKind.Ease || c.Blend.ItemItem = ItemItemPart.Ease

    let usesText (c: Config) =
        ModelKind.readsText c.Model.Kind
        || (c.Model.Kind = ModelKind.Ease
            && (c.Ease.TextWeights |> List.exists (fun w -> w > 0.0)
                || c.Ease.ColdItems = NewItems.Content))

    let usesAttributes (m: ModelConfig) = ModelKind.isGat m.Kind && m.Attributes

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

    // ---- reading: a config file names only what differs from Default ----

    let sectionKeys: (string * string list) list =
        [
            for f in FSharpType.GetRecordFields typeof<Config> do
                if FSharpType.IsRecord f.PropertyType then
                    ConfigBinding.keyOf f, ConfigBinding.keysOf f.PropertyType
        ]

    let sectionNames: string list = (sectionKeys |> List.map fst) @ [ "compare" ]

    let keysOf (section: string) : string list =
        sectionKeys
        |> List.tryFind (fun (s, _) -> s = section)
        |> Option.map snd
        |> Option.defaultValue []

    /// The document without its compare section (for the configuration provider), and compare's entries as raw JSON.
    let private splitCompare (errors: Collections.Generic.List<ConfigError>) (root: JsonElement) =
        let mutable compare = Map.empty
        use buffer = new IO.MemoryStream()

        do
            use writer = new Utf8JsonWriter(buffer)
            writer.WriteStartObject()

            for p in root.EnumerateObject() do
                if not (p.Name.Equals("compare", StringComparison.OrdinalIgnoreCase)) then
                    p.WriteTo writer
                elif p.Value.ValueKind <> JsonValueKind.Object then
                    errors.Add
                        {
                            Key = "compare"
                            Message = sprintf "must be an object, got %s" (p.Value.GetRawText())
                        }
                else
                    for m in p.Value.EnumerateObject() do
                        let k = "compare." + m.Name

                        if not (isModelName m.Name) then
                            errors.Add
                                {
                                    Key = k
                                    Message =
                                        sprintf
                                            "unknown model (known: %s, or KIND:LABEL for a variant of one, LABEL of a-z, 0-9 and '-')"
                                            (String.Join(", ", modelKinds))
                                }
                        elif m.Value.ValueKind = JsonValueKind.Object then
                            compare <- compare.Add(m.Name, m.Value.GetRawText())
                        else
                            errors.Add
                                {
                                    Key = k
                                    Message =
                                        sprintf "must be an object of config overrides, got %s" (m.Value.GetRawText())
                                }

            writer.WriteEndObject()

        buffer.ToArray(), compare

    /// The configuration tree of a JSON document (Microsoft.Extensions.Configuration's JSON provider) and its compare
    /// entries, or the document's problems.
    let private readDocument (errors: Collections.Generic.List<ConfigError>) (json: string) =
        let fileError message =
            errors.Add { Key = "(file)"; Message = message }
            None

        try
            use doc =
                JsonDocument.Parse(
                    json,
                    JsonDocumentOptions(CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)
                )

            if doc.RootElement.ValueKind <> JsonValueKind.Object then
                fileError (
                    sprintf "must be a JSON object, got %s" (doc.RootElement.ValueKind.ToString().ToLowerInvariant())
                )
            else
                let rest, compare = splitCompare errors doc.RootElement

                try
                    let configuration =
                        ConfigurationBuilder().AddJsonStream(new IO.MemoryStream(rest)).Build()

                    Some(configuration :> IConfiguration, compare)
                with :? FormatException as e ->
                    fileError e.Message // a key named twice in one object (names ignore case)
        with :? JsonException as e ->
            fileError (sprintf "not valid JSON: %s" e.Message)

    let rec parseOverIgnoring
        (others: string list)
        (baseConfig: Config)
        (json: string)
        : Result<Config, ConfigError list> =
        let errors = Collections.Generic.List<ConfigError>()

        match readDocument errors json with
        | None -> Error(List.ofSeq errors)
        | Some(configuration, compare) ->
            let bound, bindErrors = ConfigBinding.bindOver baseConfig others configuration

            let c =
                { bound with
                    Compare = Map.fold (fun acc k v -> Map.add k v acc) bound.Compare compare
                }

            errors.AddRange bindErrors
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

    let parseOver (baseConfig: Config) (json: string) = parseOverIgnoring [] baseConfig json

    let parse (json: string) = parseOver Default json

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

    let withOverrides (c: Config) (json: string) : Config =
        match parseOver { c with Compare = Map.empty } json with
        | Ok x -> { x with Compare = c.Compare }
        | Error es -> invalidArg "json" (String.Join("; ", es |> List.map string))
