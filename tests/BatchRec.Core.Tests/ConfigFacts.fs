module BatchRec.Core.Tests.ConfigFacts

open Xunit
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
    match Config.parse """{ "train": { "batchSize": -3, "lr": 1 }, "model": { "kind": "svd" }, "score": { "k": "ten" } }""" with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let keys = errs |> List.map (fun e -> e.Key) |> Set.ofList
        Assert.Contains("train.lr", keys)
        Assert.Contains("score.k", keys)
        let text = errs |> List.map string |> String.concat "\n"
        Assert.Contains("\"ten\"", text)
        // range errors are reported by validate once the types are right
        match Config.parse """{ "train": { "batchSize": -3 }, "model": { "kind": "svd" } }""" with
        | Error errs2 ->
            let t2 = errs2 |> List.map string |> String.concat "\n"
            Assert.Contains("train.batchSize: must be > 0, got -3", t2)
            Assert.Contains("model.kind", t2)
            Assert.Contains("'svd'", t2)
        | Ok _ -> failwith "expected errors"

[<Fact>]
let ``invalid JSON is an error, not an exception`` () =
    match Config.parse "{ nope" with
    | Error [ e ] -> Assert.Contains("not valid JSON", e.Message)
    | other -> failwithf "unexpected %A" other

[<Fact>]
let ``the ingest section overrides and validates its keys`` () =
    match Config.parse """{ "ingest": { "maxBadFraction": 0.2, "unknownItems": "quarantine", "minTimestamp": 1000000000, "maxTimestamp": 5000000000, "timestampUnit": "milliseconds", "maxIdLength": 64, "windowDays": 7 } }""" with
    | Ok c ->
        Assert.Equal({ MaxBadFraction = 0.2; UnknownItems = "quarantine"; MinTimestamp = 1_000_000_000L; MaxTimestamp = 5_000_000_000L
                       TimestampUnit = "milliseconds"; MaxIdLength = 64; WindowDays = 7 }, c.Ingest)
        Assert.Equal(Config.Default.Train, c.Train)
    | Error e -> failwithf "%A" e
    match Config.parse """{ "ingest": { "maxBadFraction": 1.5, "unknownItems": "drop", "timestampUnit": "ns", "maxIdLength": 0, "windowDays": -1, "minTimestamp": 9, "maxTimestamp": 8, "ceiling": 1 } }""" with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        // the unknown key is reported first (parse), the range errors once the keys are known (validate)
        Assert.Equal<string list>([ "ingest.ceiling" ], errs |> List.map _.Key)
    match Config.parse """{ "ingest": { "maxBadFraction": 1.5, "unknownItems": "drop", "timestampUnit": "ns", "maxIdLength": 0, "windowDays": -1, "minTimestamp": 9, "maxTimestamp": 8 } }""" with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let text = errs |> List.map string |> String.concat "\n"
        Assert.Equal<string list>(
            [ "ingest.maxBadFraction"; "ingest.unknownItems"; "ingest.minTimestamp"; "ingest.timestampUnit"; "ingest.maxIdLength"; "ingest.windowDays" ],
            errs |> List.map _.Key)
        Assert.Contains("got 1.5", text)
        Assert.Contains("'drop'", text)
        Assert.Contains("'ns'", text)
    match Config.parse """{ "ingest": { "maxTimestamp": "2100" } }""" with
    | Error [ e ] -> Assert.Equal("ingest.maxTimestamp", e.Key); Assert.Contains("\"2100\"", e.Message)
    | other -> failwithf "unexpected %A" other

[<Fact>]
let ``the model, text and cold-items keys override and validate`` () =
    match Config.parse """{ "model": { "kind": "gat-text", "heads": 4, "dropout": 0.1, "attributes": false, "edgeWeight": "log1p", "finalMlp": false, "idDropout": 0.3, "fusion": "add" },
                            "text": { "cache": "/var/cache/br", "batchSize": 32, "userText": false },
                            "eval": { "mode": "cold-items", "coldFraction": 0.2, "coldKs": [ 10, 50 ] } }""" with
    | Ok c ->
        Assert.Equal("gat-text", c.Model.Kind)
        Assert.Equal((4, 0.1, false, "log1p", false, 0.3), (c.Model.Heads, c.Model.Dropout, c.Model.Attributes, c.Model.EdgeWeight, c.Model.FinalMlp, c.Model.IdDropout))
        Assert.Equal("add", c.Model.Fusion)
        Assert.Equal(("/var/cache/br", 32, false), (c.Text.Cache, c.Text.BatchSize, c.Text.UserText))
        Assert.Equal(("cold-items", 0.2, [ 10; 50 ]), (c.Eval.Mode, c.Eval.ColdFraction, c.Eval.ColdKs))
    | Error e -> failwithf "%A" e
    match Config.parse """{ "model": { "kind": "gat", "heads": 0, "dropout": 1.0, "edgeWeight": "rating", "attributes": "yes" },
                            "text": { "encoder": "bert-large" }, "eval": { "mode": "cold", "coldFraction": 0, "coldKs": [ "x" ] } }""" with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let text = errs |> List.map string |> String.concat "\n"
        for key in [ "model.attributes"; "eval.coldKs" ] do Assert.Contains(key, text) // type errors first
    match Config.parse """{ "model": { "kind": "gat", "heads": 0, "dropout": 1.0, "edgeWeight": "rating", "fusion": "gate" },
                            "text": { "encoder": "bert-large" }, "eval": { "mode": "cold", "coldFraction": 0 } }""" with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let keys = errs |> List.map (fun e -> e.Key) |> Set.ofList
        Assert.Equal<Set<string>>(set [ "model.heads"; "model.dropout"; "model.edgeWeight"; "model.fusion"; "text.encoder"; "eval.mode"; "eval.coldFraction" ], keys)
