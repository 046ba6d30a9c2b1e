module BatchRec.Core.Tests.ConfigFacts

open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open BatchRec.Core

[<Fact>]
let ``an empty file gives the defaults`` () =
    Assert.Equal(Ok Config.Default, Config.parse "{}")

[<Fact>]
let ``overrides change only what they name`` () =
    match Config.parse """{ "train": { "maxEpochs": 5, "learningRate": 0.01 }, "score": { "k": 7 } }""" with
    | Ok c ->
        Assert.Equal(5, c.Train.MaxEpochs)
        Assert.Equal(0.01, c.Train.LearningRate)
        Assert.Equal(7, c.Score.K)
        Assert.Equal(Config.Default.Train.BatchSize, c.Train.BatchSize)
    | Error e -> failwithf "%A" e

[<Fact>]
let ``every bad key and value is reported with its key and the bad value`` () =
    match
        Config.parse
            """{ "train": { "batchSize": -3, "lr": 1 }, "model": { "kind": "svd" }, "score": { "k": "ten" } }"""
    with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let keys = errs |> List.map (fun e -> e.Key) |> Set.ofList
        Assert.Contains("train.lr", keys)
        Assert.Contains("score.k", keys)
        let text = errs |> List.map string |> String.concat "\n"
        Assert.Contains("\"ten\"", text)
        // range errors are reported beside the type errors
        Assert.Contains("train.batchSize", keys)
        Assert.Contains("model.kind", keys)

        match Config.parse """{ "train": { "batchSize": -3 }, "model": { "kind": "svd" } }""" with
        | Error errs2 ->
            let t2 = errs2 |> List.map string |> String.concat "\n"
            Assert.Contains("train.batchSize: must be > 0, got -3", t2)
            Assert.Contains("model.kind", t2)
            Assert.Contains("'svd'", t2)
        | Ok _ -> failwith "expected errors"

[<Fact>]
let ``score.threads caps the scoring kernels' threads and must not be negative`` () =
    match Config.parse """{ "score": { "threads": 1 } }""" with
    | Ok c ->
        Assert.Equal(1, c.Score.Threads)
        Assert.Equal(0, Config.Default.Score.Threads)
    | Error e -> failwithf "%A" e

    match Config.parse """{ "score": { "threads": -1 } }""" with
    | Error errs ->
        Assert.Contains("score.threads: must be >= 0, got -1", errs |> List.map string |> String.concat "\n")
    | Ok _ -> failwith "expected an error"

[<Fact>]
let ``invalid JSON is an error, not an exception`` () =
    match Config.parse "{ nope" with
    | Error [ e ] -> Assert.Contains("not valid JSON", e.Message)
    | other -> failwithf "unexpected %A" other

[<Fact>]
let ``publish keys parse and are checked`` () =
    match Config.parse """{ "publish": { "tolerance": 0.02, "championCheck": false } }""" with
    | Ok c ->
        Assert.Equal(0.02, c.Publish.Tolerance)
        Assert.False(c.Publish.ChampionCheck)
    | Error e -> failwithf "%A" e

    match Config.parse """{ "publish": { "tolerance": -0.1 }, "eval": { "ks": [ 5 ] } }""" with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let t2 = errs |> List.map string |> String.concat "\n"
        Assert.Contains("publish.tolerance: must be >= 0, got -0.1", t2)
        Assert.Contains("publish.championCheck: compares NDCG@10, so eval.ks must include 10", t2)

[<Fact>]
let ``the host's sections belong to another reader: accepted unread when named, and suggested for a misspelt one`` () =
    let json =
        """{ "jobs": { "workers": "any" }, "storage": 5, "train": { "seed": 3 } }"""

    match Config.parse json with
    | Ok _ -> failwith "the core alone does not read the host's sections"
    | Error errs -> Assert.Equal<string list>([ "jobs"; "storage" ], errs |> List.map _.Key)

    match Config.parseOverIgnoring [ "jobs"; "storage" ] Config.Default json with
    | Ok c -> Assert.Equal(3, c.Train.Seed)
    | Error e -> failwithf "%A" e

    match Config.parseOverIgnoring [ "storage" ] Config.Default """{ "storge": {} }""" with
    | Ok _ -> failwith "accepted"
    | Error [ e ] -> Assert.Contains("did you mean 'storage'?", e.Message)
    | Error es -> failwithf "%A" es

[<Fact>]
let ``the ingest section overrides and validates its keys`` () =
    match
        Config.parse
            """{ "ingest": { "maxBadFraction": 0.2, "unknownItems": "quarantine", "minTimestamp": 1000000000, "maxTimestamp": 5000000000, "timestampUnit": "milliseconds", "maxIdLength": 64, "windowDays": 7, "readAhead": 0,
                                         "negativeWeights": "keep", "zeroWeights": "quarantine", "duplicateItems": "fail" } }"""
    with
    | Ok c ->
        Assert.Equal(
            {
                MaxBadFraction = 0.2
                UnknownItems = RowPolicy.Quarantine
                MinTimestamp = 1_000_000_000L
                MaxTimestamp = 5_000_000_000L
                TimestampUnit = TimestampUnit.Milliseconds
                MaxIdLength = 64
                WindowDays = 7
                ReadAhead = 0
                NegativeWeights = RowPolicy.Keep
                ZeroWeights = RowPolicy.Quarantine
                DuplicateItems = DuplicateItems.Fail
            },
            c.Ingest
        )
        // the defaults: negative weights quarantined, zero weights kept, the first of repeated items-table rows kept
        Assert.Equal(
            (RowPolicy.Quarantine, RowPolicy.Keep, DuplicateItems.First),
            (Config.Default.Ingest.NegativeWeights,
             Config.Default.Ingest.ZeroWeights,
             Config.Default.Ingest.DuplicateItems)
        )

        Assert.Equal(Config.Default.Train, c.Train)
    | Error e -> failwithf "%A" e

    match
        Config.parse
            """{ "ingest": { "maxBadFraction": 1.5, "unknownItems": "drop", "timestampUnit": "ns", "maxIdLength": 0, "windowDays": -1, "minTimestamp": 9, "maxTimestamp": 8, "ceiling": 1 } }"""
    with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        // the unknown key, the values outside their closed sets and the range errors, all at once (the reader's
        // first, in the configuration's key order, then the ranges')
        Assert.Equal<string list>(
            [
                "ingest.ceiling"
                "ingest.timestampUnit"
                "ingest.unknownItems"
                "ingest.maxBadFraction"
                "ingest.minTimestamp"
                "ingest.maxIdLength"
                "ingest.windowDays"
            ],
            errs |> List.map _.Key
        )

    match
        Config.parse
            """{ "ingest": { "maxBadFraction": 1.5, "unknownItems": "drop", "timestampUnit": "ns", "maxIdLength": 0, "windowDays": -1, "minTimestamp": 9, "maxTimestamp": 8 } }"""
    with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let text = errs |> List.map string |> String.concat "\n"

        Assert.Equal<string list>(
            [
                "ingest.timestampUnit"
                "ingest.unknownItems"
                "ingest.maxBadFraction"
                "ingest.minTimestamp"
                "ingest.maxIdLength"
                "ingest.windowDays"
            ],
            errs |> List.map _.Key
        )

        Assert.Contains("got 1.5", text)
        Assert.Contains("'drop'", text)
        Assert.Contains("'ns'", text)

    match
        Config.parse """{ "ingest": { "negativeWeights": "drop", "zeroWeights": "one", "duplicateItems": "last" } }"""
    with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        Assert.Equal<string list>(
            [ "ingest.duplicateItems"; "ingest.negativeWeights"; "ingest.zeroWeights" ],
            errs |> List.map _.Key
        )

        let text = errs |> List.map string |> String.concat "\n"
        Assert.Contains("must be keep or quarantine, got 'drop'", text)
        Assert.Contains("must be first or fail, got 'last'", text)

    // the configuration's values are text: a number written as a string reads as the number, other text is refused
    match Config.parse """{ "ingest": { "minTimestamp": "2100" } }""" with
    | Ok c -> Assert.Equal(2100L, c.Ingest.MinTimestamp)
    | Error e -> failwithf "%A" e

    match Config.parse """{ "ingest": { "maxTimestamp": "year 2100" } }""" with
    | Error [ e ] ->
        Assert.Equal("ingest.maxTimestamp", e.Key)
        Assert.Equal("must be an integer, got \"year 2100\"", e.Message)
    | other -> failwithf "unexpected %A" other

[<Fact>]
let ``the model, text and cold-items keys override and validate`` () =
    match
        Config.parse
            """{ "model": { "kind": "gat-text", "heads": 4, "dropout": 0.1, "attributes": false, "edgeWeight": "log1p", "finalMlp": false, "idDropout": 0.3, "fusion": "add", "textNeighbours": 7 },
                            "text": { "cache": "/var/cache/br", "batchSize": 32, "userText": false },
                            "eval": { "mode": "cold-items", "coldFraction": 0.2, "coldKs": [ 10, 50 ] } }"""
    with
    | Ok c ->
        Assert.Equal(ModelKind.GatText, c.Model.Kind)

        Assert.Equal(
            (4, 0.1, false, EdgeWeight.Log1p, false, 0.3),
            (c.Model.Heads, c.Model.Dropout, c.Model.Attributes, c.Model.EdgeWeight, c.Model.FinalMlp, c.Model.IdDropout)
        )

        Assert.Equal(Fusion.Add, c.Model.Fusion)
        Assert.Equal(7, c.Model.TextNeighbours)
        Assert.Equal(("/var/cache/br", 32, false), (c.Text.Cache, c.Text.BatchSize, c.Text.UserText))
        Assert.Equal((EvalMode.ColdItems, 0.2, [ 10; 50 ]), (c.Eval.Mode, c.Eval.ColdFraction, c.Eval.ColdKs))
    | Error e -> failwithf "%A" e

    match
        Config.parse
            """{ "model": { "kind": "gat", "heads": 0, "dropout": 1.0, "edgeWeight": "rating", "attributes": "yes" },
                            "text": { "encoder": "bert-large" }, "eval": { "mode": "cold", "coldFraction": 0, "coldKs": [ "x" ] } }"""
    with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let text = errs |> List.map string |> String.concat "\n"

        for key in [ "model.attributes"; "eval.coldKs" ] do
            Assert.Contains(key, text) // type errors first

    match
        Config.parse
            """{ "model": { "kind": "gat", "heads": 0, "dropout": 1.0, "edgeWeight": "rating", "fusion": "gate", "textNeighbours": -1 },
                            "text": { "encoder": "bert-large" }, "eval": { "mode": "cold", "coldFraction": 0 } }"""
    with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let keys = errs |> List.map (fun e -> e.Key) |> Set.ofList

        Assert.Equal<Set<string>>(
            set
                [
                    "model.heads"
                    "model.dropout"
                    "model.edgeWeight"
                    "model.fusion"
                    "model.textNeighbours"
                    "text.encoder"
                    "eval.mode"
                    "eval.coldFraction"
                ],
            keys
        )

[<Fact>]
let ``compare overrides are kept per model and must themselves be valid`` () =
    match
        Config.parse
            """{ "compare": { "bpr-mf": { "train": { "learningRate": 0.001 } } }, "eval": { "maxUsers": 500 } }"""
    with
    | Ok c ->
        Assert.Equal(500, c.Eval.MaxUsers)
        Assert.Equal<string list>([ "bpr-mf" ], c.Compare |> Map.toList |> List.map fst)

        match Config.parseOver c c.Compare.["bpr-mf"] with
        | Ok o ->
            Assert.Equal(0.001, o.Train.LearningRate)
            Assert.Equal(c.Train.BatchSize, o.Train.BatchSize)
        | Error e -> failwithf "%A" e
    | Error e -> failwithf "%A" e

    let keys json =
        match Config.parse json with
        | Ok _ -> failwithf "expected errors from %s" json
        | Error errs -> errs |> List.map (fun e -> e.Key) |> Set.ofList

    Assert.Contains("compare.svd", keys """{ "compare": { "svd": {} } }""")

    Assert.Contains(
        "compare.lightgcn.train.batchSize",
        keys """{ "compare": { "lightgcn": { "train": { "batchSize": 0 } } } }"""
    )

    Assert.Equal<Set<string>>(
        set [ "eval.maxUsers" ],
        keys """{ "compare": { "lightgcn": {} }, "eval": { "maxUsers": -1 } }"""
    )

let ``train.fanout parses per layer and is validated against the model`` () =
    match Config.parse """{ "model": { "kind": "gat", "layers": 2 }, "train": { "fanout": [ 10, 5 ] } }""" with
    | Ok c -> Assert.Equal<int list>([ 10; 5 ], c.Train.Fanout)
    | Error e -> failwithf "%A" e

    Assert.Equal<int list>([], Config.Default.Train.Fanout) // default: full-graph propagation

    let errors json =
        match Config.parse json with
        | Ok _ -> failwithf "expected errors for %s" json
        | Error errs -> errs |> List.map string |> String.concat "\n"

    let wrongLength =
        errors """{ "model": { "kind": "gat-text", "layers": 3 }, "train": { "fanout": [ 10, 5 ] } }"""

    Assert.Contains("train.fanout: must have one entry per layer (model.layers = 3)", wrongLength)

    let zero =
        errors """{ "model": { "kind": "gat", "layers": 2 }, "train": { "fanout": [ 0, 5 ] } }"""

    Assert.Contains("train.fanout: entries must be >= 1", zero)

    let lightgcn =
        errors """{ "model": { "kind": "lightgcn", "layers": 2 }, "train": { "fanout": [ 3, 3 ] } }"""

    Assert.Contains("train.fanout: neighbour sampling applies to gat and gat-text only", lightgcn)
    Assert.Contains("'lightgcn'", lightgcn)

    let notList =
        errors """{ "model": { "kind": "gat", "layers": 1 }, "train": { "fanout": 5 } }"""

    Assert.Contains("train.fanout: must be an array of integers, got 5", notList)

[<Fact>]
let ``a wrongly typed value and two bad values are all named at once`` () =
    match Config.parse """{ "train": { "batchSize": "big", "learningRate": -1 }, "score": { "k": 0 } }""" with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        Assert.Equal<string list>([ "train.batchSize"; "train.learningRate"; "score.k" ], errs |> List.map _.Key)
        let text = errs |> List.map string |> String.concat "\n"
        Assert.Contains("train.batchSize: must be an integer, got \"big\"", text)
        Assert.Contains("train.learningRate: must be > 0, got -1", text)
        Assert.Contains("score.k: must be > 0, got 0", text)

/// Bad entries of independent keys: (section, key, JSON value); the first five are wrongly typed, the rest out of range.
let private badEntries =
    [
        "train", "batchSize", "\"big\""
        "score", "k", "true"
        "model", "dim", "1.5"
        "ingest", "maxBadFraction", "\"x\""
        "eval", "stopK", "null"
        "train", "learningRate", "-1"
        "score", "blockMiB", "0"
        "model", "kind", "\"svd\""
        "ingest", "windowDays", "-2"
        "eval", "maxUsers", "-1"
        "train", "device", "\"gpu\""
        "publish", "tolerance", "-0.5"
        "dataset", "name", "\"a b\""
        "text", "batchSize", "[1]"
    ]

type BadConfig = BadConfig of (string * string * string) list

type ConfigArbs =
    static member BadConfig() =
        Gen.subListOf badEntries
        |> Gen.filter (not << List.isEmpty)
        |> Gen.map BadConfig
        |> Arb.fromGen

[<Property(Arbitrary = [| typeof<ConfigArbs> |], MaxTest = 200)>]
let ``every wrongly typed and every out-of-range value is named, whatever the mix`` (BadConfig entries) =
    let json =
        entries
        |> List.groupBy (fun (section, _, _) -> section)
        |> List.map (fun (section, xs) ->
            sprintf
                "\"%s\": { %s }"
                section
                (xs |> List.map (fun (_, k, v) -> sprintf "\"%s\": %s" k v) |> String.concat ", "))
        |> String.concat ", "

    match Config.parse ("{ " + json + " }") with
    | Ok _ -> false
    | Error errs ->
        let expected =
            entries |> List.map (fun (section, k, _) -> section + "." + k) |> Set.ofList

        Set.ofList (errs |> List.map _.Key) = expected && errs.Length = expected.Count

[<Fact>]
let ``an unknown key names the nearest valid one, and none when nothing is close`` () =
    match Config.parse """{ "trian": { }, "model": { "kidn": "ease" }, "score": { "zzzzzzzz": 1 } }""" with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let text = errs |> List.map string |> String.concat "\n"
        Assert.Contains("trian: unknown key (did you mean 'train'?", text)
        Assert.Contains("model.kidn: unknown key (did you mean 'kind'?", text)
        Assert.Contains("score.zzzzzzzz: unknown key (known: k, userChunk, blockMiB, threads, similarItems)", text)

[<Fact>]
let ``edit distances and nearest names worked out by hand`` () =
    Assert.Equal(0, ConfigBinding.editDistance "" "")
    Assert.Equal(3, ConfigBinding.editDistance "" "abc")
    Assert.Equal(1, ConfigBinding.editDistance "maxEpoch" "MAXEPOCHS") // one insertion, case ignored
    Assert.Equal(2, ConfigBinding.editDistance "trian" "train") // two substitutions
    Assert.Equal(3, ConfigBinding.editDistance "kitten" "sitting")
    Assert.Equal(Some "maxEpochs", ConfigBinding.nearestName [ "maxEpochs"; "batchSize" ] "maxepoch")
    Assert.Equal(Some "k", ConfigBinding.nearestName [ "k"; "userChunk" ] "kk") // 1 edit ≤ max(2, 0)
    Assert.Equal(None, ConfigBinding.nearestName [ "userChunk"; "blockMiB" ] "seed") // every name is more than 2 edits away
    Assert.Equal(Some "ks", ConfigBinding.nearestName [ "coldKs"; "ks" ] "kz") // fewest edits wins over order
    Assert.Equal(None, ConfigBinding.nearestName [] "anything")

[<Property(MaxTest = 200)>]
let ``edit distance is a metric that ignores case`` (a: string) (b: string) (c: string) =
    let a, b, c =
        (defaultArg (Option.ofObj a) ""), (defaultArg (Option.ofObj b) ""), (defaultArg (Option.ofObj c) "")

    let d = ConfigBinding.editDistance

    d a a = 0
    && d a b = d b a
    && d a c <= d a b + d b c
    && d a (a.ToUpperInvariant()) = 0
    && d a b <= max a.Length b.Length
    && d a b >= abs (a.Length - b.Length)

[<Fact>]
let ``the key table is exactly what the reader accepts`` () =
    // every listed key is known to the reader (a null value is a type error, never an unknown key) ...
    for section, keys in Config.sectionKeys do
        for key in keys do
            match Config.parse (sprintf """{ "%s": { "%s": null } }""" section key) with
            | Ok _ -> ()
            | Error errs ->
                Assert.DoesNotContain(errs, fun e -> e.Message.StartsWith "unknown key")
                Assert.All(errs, fun e -> Assert.StartsWith(section + ".", e.Key))
    // ... and a key the table lacks is refused, naming the table's keys
    for section, keys in Config.sectionKeys do
        match Config.parse (sprintf """{ "%s": { "notAKey": 1 } }""" section) with
        | Ok _ -> failwithf "%s.notAKey was accepted" section
        | Error errs ->
            let e = errs |> List.find (fun e -> e.Key = section + ".notAKey")
            Assert.Contains(String.concat ", " keys, e.Message)

    Assert.Equal<string list>(
        [
            "dataset"
            "model"
            "train"
            "ease"
            "blend"
            "auto"
            "search"
            "split"
            "eval"
            "score"
            "text"
            "ingest"
            "publish"
            "compare"
        ],
        Config.sectionNames
    )

[<Fact>]
let ``score.similarItems defaults to 20, 0 turns the table off, a negative count is refused`` () =
    Assert.Equal(20, Config.Default.Score.SimilarItems)

    match Config.parse """{ "score": { "similarItems": 0 } }""" with
    | Ok c -> Assert.Equal(0, c.Score.SimilarItems)
    | Error e -> failwithf "%A" e

    match Config.parse """{ "score": { "similarItems": -1 } }""" with
    | Ok _ -> failwith "expected an error"
    | Error errs -> Assert.Contains("score.similarItems", errs |> List.map string |> String.concat "\n")
