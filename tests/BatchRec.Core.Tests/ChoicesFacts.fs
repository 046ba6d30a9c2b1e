module BatchRec.Core.Tests.ChoicesFacts

open Xunit
open BatchRec.Core

/// Every closed set's table: distinct names, each case once, and name ∘ parse the identity.
let private roundTrips (table: ('T * string) list) =
    let names = table |> List.map snd
    Assert.Equal(names.Length, (List.distinct names).Length)
    Assert.Equal(table.Length, (table |> List.map fst |> List.distinct).Length)

    for v, n in table do
        Assert.Equal(Some v, Choice.tryParse table n)
        Assert.Equal(n, Choice.nameOf table v)

[<Fact>]
let ``every closed set names each case once and parses its names back`` () =
    roundTrips ModelKind.Names
    roundTrips DeviceChoice.Names
    roundTrips LossKind.Names
    roundTrips Fusion.Names
    roundTrips EdgeWeight.Names
    roundTrips ScoreFunction.Names
    roundTrips EvalMode.Names
    roundTrips NewItems.Names
    roundTrips ItemItemPart.Names
    roundTrips RowPolicy.Names
    roundTrips TimestampUnit.Names
    roundTrips DuplicateItems.Names
    roundTrips RankingMetric.Names
    Assert.Equal("gat-text", ModelKind.GatText.Name)
    Assert.Equal("gat-text", string ModelKind.GatText)
    Assert.Equal(None, Choice.tryParse ModelKind.Names "GAT-TEXT") // the file's names are case-sensitive

[<Fact>]
let ``sentence lists the names as the errors do`` () =
    Assert.Equal("auto, cpu or cuda", Choice.sentence DeviceChoice.Names)
    Assert.Equal("keep or quarantine", Choice.sentence RowPolicy.Names)
    Assert.Equal("only", Choice.sentence [ (1, "only") ])

[<Fact>]
let ``the trainable kinds are every kind but auto, and the kinds' properties are as documented`` () =
    Assert.Equal<string list>(
        [ "popularity"; "bpr-mf"; "lightgcn"; "gat"; "gat-text"; "ease" ],
        ModelKind.trainable |> List.map _.Name
    )

    Assert.Equal<ModelKind list>(
        [ ModelKind.Gat; ModelKind.GatText ],
        ModelKind.trainable |> List.filter ModelKind.isGat
    )

    Assert.Equal<ModelKind list>([ ModelKind.GatText ], ModelKind.trainable |> List.filter ModelKind.readsText)

    Assert.Equal<ModelKind list>(
        [ ModelKind.BprMf; ModelKind.LightGcn; ModelKind.Gat; ModelKind.GatText ],
        ModelKind.trainable |> List.filter ModelKind.isFactorModel
    )

    Assert.Equal<ModelKind list>(
        [ ModelKind.Popularity; ModelKind.Ease ],
        ModelKind.trainable |> List.filter ModelKind.isSeedFree
    )

[<Fact>]
let ``a misspelt value names the key, the valid names and the nearest one`` () =
    match Config.parse """{ "model": { "kind": "gat-txt" }, "train": { "device": "gpu", "loss": 3 } }""" with
    | Ok _ -> failwith "accepted"
    | Error es ->
        let text = es |> List.map string |> String.concat "\n"

        Assert.Contains(
            "model.kind: must be popularity, bpr-mf, lightgcn, gat, gat-text, ease or auto, got 'gat-txt' (did you mean 'gat-text'?)",
            text
        )

        Assert.Contains("train.device: must be auto, cpu or cuda, got 'gpu'", text)
        Assert.Contains("train.loss: must be bpr or softmax, got 3", text)
        Assert.Equal(3, es.Length) // each once, all at once

[<Fact>]
let ``the parsed config holds the cases the names stand for`` () =
    match
        Config.parse
            """{ "model": { "kind": "gat-text", "fusion": "mlp", "edgeWeight": "log1p", "score": "cosine" },
                 "train": { "device": "cpu", "loss": "softmax" }, "eval": { "mode": "cold-items", "stopMetric": "ndcg" },
                 "blend": { "itemItem": "ease" }, "ease": { "coldItems": "content" } }"""
    with
    | Error e -> failwithf "%A" e
    | Ok c ->
        Assert.Equal(
            (ModelKind.GatText, Fusion.Mlp, EdgeWeight.Log1p, ScoreFunction.Cosine),
            (c.Model.Kind, c.Model.Fusion, c.Model.EdgeWeight, c.Model.Score)
        )

        Assert.Equal((DeviceChoice.Cpu, LossKind.Softmax), (c.Train.Device, c.Train.Loss))
        Assert.Equal((EvalMode.ColdItems, RankingMetric.Ndcg), (c.Eval.Mode, c.Eval.StopMetric))
        Assert.Equal((ItemItemPart.Ease, NewItems.Content), (c.Blend.ItemItem, c.Ease.ColdItems))
