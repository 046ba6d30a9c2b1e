/// EASE's limits on the catalogue (Config.easeMaxItems, EaseFit.checkEaseBudget).
module BatchRec.Core.Tests.EaseFitFacts

open System
open Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Nn
open BatchRec.Core.Train
open BatchRec.Core.Tests.Generators

[<Fact>]
let ``easeMaxItems is the largest catalogue whose two float32 items-squared matrices fit the budget`` () =
    // 8 · n² ≤ 4 GiB ⇔ n ≤ √(2²⁹) = 23,170.47
    Assert.Equal(23170, Config.easeMaxItems 4.0)
    Assert.True(Ease.fitBytes 23170 <= (4L <<< 30) && Ease.fitBytes 23171 > (4L <<< 30))
    // 8 · n² ≤ 1 GiB ⇔ n ≤ √(2²⁷) = 11,585.2; beyond 23,170 items B (4 · n² bytes) no longer fits one span (2³¹ − 1 bytes)
    Assert.Equal(11585, Config.easeMaxItems 1.0)
    Assert.Equal(23170, Config.easeMaxItems 16.0)

    Assert.True(
        4L * 23170L * 23170L <= int64 Int32.MaxValue
        && 4L * 23171L * 23171L > int64 Int32.MaxValue
    )

[<Fact>]
let ``ease refuses more items than B can hold whatever the budget, naming the limit`` () =
    let c = cfgOf """{ "model": { "kind": "ease" }, "ease": { "maxGiB": 64 } }"""
    EaseFit.checkEaseBudget c 23170 // 4.0 GiB, inside 64

    let e =
        Assert.Throws<InvalidOperationException>(fun () -> EaseFit.checkEaseBudget c 23171)

    Assert.Contains("at most 23170 items", e.Message)
    Assert.Contains("23171", e.Message)
