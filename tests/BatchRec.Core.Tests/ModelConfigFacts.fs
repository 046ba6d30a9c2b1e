/// The config of model variants, model.kind auto and what a model kind reads (Config.forModel, Config.validate).
module BatchRec.Core.Tests.ModelConfigFacts

open System
open Xunit
open BatchRec.Core
open BatchRec.Core.Tests.Generators

[<Fact>]
let ``a variant KIND:LABEL takes its kind and only its own overrides`` () =
    let c =
        cfgOf
            """{ "model": { "kind": "auto" }, "compare": { "gat-text:no-blend": { "train": { "learningRate": 0.01 } }, "gat-text": { "blend": { "itemItem": "ease" } } } }"""

    let v = Config.forModel c "gat-text:no-blend"
    Assert.Equal(ModelKind.GatText, v.Model.Kind)
    Assert.Equal(0.01, v.Train.LearningRate)
    Assert.Equal(ItemItemPart.None, v.Blend.ItemItem)
    let g = Config.forModel c "gat-text"
    Assert.Equal(ItemItemPart.Ease, g.Blend.ItemItem)
    Assert.Equal(0.002, g.Train.LearningRate)
    Assert.Equal(2, g.Compare.Count) // kept for later lookups
    Assert.True(Config.isModelName "gat-text:no-blend")
    Assert.False(Config.isModelName "gat-text:")
    Assert.False(Config.isModelName "gat-text:Upper")
    Assert.False(Config.isModelName "gpt:x")

[<Fact>]
let ``an unknown model or an override whose blend does not fit its kind is named with its model key`` () =
    let keys json =
        match Config.parse json with
        | Ok _ -> []
        | Error es -> es |> List.map (fun e -> e.Key)

    Assert.Equal<string list>([ "compare.nonsense" ], keys """{ "compare": { "nonsense": { } } }""")

    Assert.Equal<string list>(
        [ "compare.ease:x.blend.itemItem" ],
        keys """{ "model": { "kind": "auto" }, "compare": { "ease:x": { "blend": { "itemItem": "ease" } } } }"""
    )

[<Fact>]
let ``auto candidates must be distinct model kinds, each valid with the base config`` () =
    let errs json =
        match Config.parse json with
        | Ok _ -> []
        | Error es -> es |> List.map (fun e -> e.Key, e.Message)

    Assert.Contains(
        errs """{ "model": { "kind": "auto" }, "auto": { "candidates": ["ease", "ease"] } }""",
        fun (k, _) -> k = "auto.candidates"
    )

    Assert.Contains(
        errs """{ "model": { "kind": "auto" }, "auto": { "candidates": ["auto"] } }""",
        fun (k, _) -> k = "auto.candidates"
    )
    // a blend in the base config cannot apply to the ease candidate
    Assert.Contains(
        errs """{ "model": { "kind": "auto" }, "blend": { "itemItem": "ease" } }""",
        fun (k, m) -> k = "blend.itemItem" && m.Contains "auto candidate ease"
    )

    Assert.Empty(
        errs """{ "model": { "kind": "auto" }, "compare": { "gat-text": { "blend": { "itemItem": "ease" } } } }"""
    )

[<Fact>]
let ``auto candidates may be variants, and auto.standardErrors is a number of at least 0, 1 by default`` () =
    let errs json =
        match Config.parse json with
        | Ok _ -> []
        | Error es -> es |> List.map (fun e -> e.Key)

    let ok =
        cfgOf
            """{ "model": { "kind": "auto" }, "auto": { "candidates": ["ease", "ease:side"], "standardErrors": 2 },
                        "compare": { "ease:side": { "ease": { "tagWeights": [0, 5] } } } }"""

    Assert.Equal<string list>([ "ease"; "ease:side" ], ok.Auto.Candidates)
    Assert.Equal(2.0, ok.Auto.StandardErrors)
    Assert.Equal(1.0, (cfgOf "{}").Auto.StandardErrors)
    Assert.Equal<string list>([ "auto.standardErrors" ], errs """{ "auto": { "standardErrors": -0.5 } }""")

    Assert.Equal<string list>(
        [ "auto.candidates" ],
        errs """{ "model": { "kind": "auto" }, "auto": { "candidates": ["ease:Side"] } }"""
    )
    // a variant without overrides is its kind with the base config
    Assert.Empty(errs """{ "model": { "kind": "auto" }, "auto": { "candidates": ["ease", "ease:plain"] } }""")

[<Fact>]
let ``only gat-text and ease read text: a text-free model's EASE part reads the attributes alone`` () =
    Assert.True(Config.usesText (cfgOf """{ "model": { "kind": "gat-text" } }"""))
    Assert.True(Config.usesText (cfgOf """{ "model": { "kind": "ease" }, "ease": { "coldItems": "content" } }"""))
    Assert.True(Config.usesText (cfgOf """{ "model": { "kind": "ease" }, "ease": { "textWeights": [0, 5] } }"""))
    Assert.False(Config.usesText (cfgOf """{ "model": { "kind": "ease" }, "ease": { "textWeights": [0] } }"""))

    Assert.False(
        Config.usesText (
            cfgOf
                """{ "model": { "kind": "gat" }, "blend": { "itemItem": "ease" }, "ease": { "textWeights": [0, 5], "coldItems": "content" } }"""
        )
    )

    Assert.False(
        Config.usesText (
            cfgOf
                """{ "model": { "kind": "lightgcn" }, "blend": { "itemItem": "ease" }, "ease": { "coldItems": "content" } }"""
        )
    )

[<Fact>]
let ``eval.stopK must be one of eval.ks, the figure models are chosen on being one of the table's`` () =
    match Config.parse """{ "eval": { "ks": [10, 20], "stopK": 5 } }""" with
    | Ok _ -> failwith "accepted stopK 5 outside ks [10; 20]"
    | Error es ->
        let e = Assert.Single(es)
        Assert.Equal("eval.stopK", e.Key)
        Assert.Contains("must be one of eval.ks", e.Message)

    Assert.Equal(20, (cfgOf """{ "eval": { "ks": [10, 20], "stopK": 20 } }""").Eval.StopK)
