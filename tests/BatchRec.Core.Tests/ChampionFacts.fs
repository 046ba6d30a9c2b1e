/// The champion/challenger rule (Champion): the figure it compares and when a new model publishes.
module BatchRec.Core.Tests.ChampionFacts

open System
open Xunit
open FsCheck
open FsCheck.Xunit
open BatchRec.Core

let private m split metric k value =
    {
        Split = split
        Metric = metric
        K = k
        Value = value
    }

[<Fact>]
let ``figure is the split's NDCG at 10 among every metric, null when absent`` () =
    let metrics =
        [
            m "valid" "ndcg" 20 0.5
            m "valid" "recall" 10 0.4
            m "test" "ndcg" 10 0.3
            m "valid" "ndcg" 10 0.25
        ]

    Assert.Equal(Nullable 0.25, Champion.figure Champion.Split metrics)
    Assert.Equal(Nullable 0.3, Champion.figure "test" metrics)
    Assert.False((Champion.figure "cold" metrics).HasValue)

[<Theory>]
[<InlineData(0.300, 0.305, 0.01, true)>] // within the tolerance below the champion
[<InlineData(0.295, 0.305, 0.01, true)>] // exactly champion − tolerance
[<InlineData(0.294, 0.305, 0.01, false)>]
[<InlineData(0.310, 0.305, 0.0, true)>]
[<InlineData(0.300, 0.305, 0.0, false)>]
let ``publishes when the challenger is at least the champion minus the tolerance``
    (challenger: float, champion: float, tolerance: float, expected: bool)
    =
    Assert.Equal(expected, Champion.publishes challenger champion tolerance)

[<Fact>]
let ``a NaN figure never publishes`` () =
    Assert.False(Champion.publishes nan 0.3 0.01)
    Assert.False(Champion.publishes 0.3 nan 0.01)

[<Property>]
let ``more tolerance never turns a publish into a rejection``
    (NormalFloat c)
    (NormalFloat ch)
    (NormalFloat t)
    (NormalFloat extra)
    =
    let t, extra = abs t, abs extra
    not (Champion.publishes c ch t) || Champion.publishes c ch (t + extra)

[<Property>]
let ``a challenger at least as good as the champion always publishes``
    (NormalFloat ch)
    (NormalFloat gain)
    (NormalFloat t)
    =
    Champion.publishes (ch + abs gain) ch (abs t)
