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
