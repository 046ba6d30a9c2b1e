namespace BatchRec.Core

open System
open System.Text.Json

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
        Publish: PublishConfig
        Ingest: IngestConfig
        Compare: Map<string, string>
    }

type ConfigError =
    {
        Key: string
        Message: string
    }

    override this.ToString() = sprintf "%s: %s" this.Key this.Message

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

    // ---- JSON overrides: a config file names only what differs from Default ----

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

    let sectionNames: string list = (sectionKeys |> List.map fst) @ [ "compare" ]

    let keysOf (section: string) : string list =
        sectionKeys
        |> List.tryFind (fun (s, _) -> s = section)
        |> Option.map snd
        |> Option.defaultValue []

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

    let bestCandidate (scores: (string * float) list) : string =
        if scores.IsEmpty then
            invalidArg "scores" "no candidate was trained"

        scores
        |> List.mapi (fun i (k, v) -> i, k, v)
        |> List.maxBy (fun (i, _, v) -> v, -i)
        |> fun (_, k, _) -> k

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

    let chooseCandidate (standardErrors: float) (scores: (string * float[]) list) : string =
        let best =
            bestCandidate [ for k, v in scores -> k, (if v.Length = 0 then 0.0 else Array.average v) ]

        let bestScores = scores |> List.find (fun (k, _) -> k = best) |> snd

        scores
        |> List.find (fun (_, v) -> let mean, se = pairedDifference bestScores v in mean <= standardErrors * se)
        |> fst

    let withOverrides (c: Config) (json: string) : Config =
        match parseOver { c with Compare = Map.empty } json with
        | Ok x -> { x with Compare = c.Compare }
        | Error es -> invalidArg "json" (String.Join("; ", es |> List.map string))
