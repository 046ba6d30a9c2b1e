/// The losses beyond BPR (FactorTraining.batchLoss).
module BatchRec.Core.Tests.FactorTrainingFacts

open System
open Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Train
open BatchRec.Core.Tests.Generators

let private t (rows: float32[][]) =
    torch.tensor(Array.concat rows).reshape(int64 rows.Length, int64 rows.[0].Length)

[<Fact>]
let ``the sampled softmax is log(e^pos + sum e^neg) - pos, a negative equal to the positive masked out`` () =
    use scope = torch.NewDisposeScope()
    // one pair: u = (1, 0), positive item 7 = (1, 0); negatives item 3 = (0, 1) and item 7 itself (masked); τ = 1, dot scores
    // pos = 1, the kept negative scores 0: L = log(e¹ + e⁰) − 1
    let c = cfgOf """{ "train": { "loss": "softmax", "temperature": 1.0 } }"""

    let loss =
        FactorTraining.batchLoss
            c.Train
            false
            (t [| [| 1f; 0f |] |])
            (t [| [| 1f; 0f |] |])
            (t [| [| 0f; 1f |]; [| 1f; 0f |] |])
            (torch.tensor ([| 7L |]))
            (torch.tensor ([| 3L; 7L |]))

    Assert.Equal(Math.Log(Math.E + 1.0) - 1.0, float (loss.item<float32>()), 5)

[<Fact>]
let ``the softmax divides by the temperature and averages over the batch`` () =
    use scope = torch.NewDisposeScope()
    // two pairs, τ = 0.5, one negative (item 9) for both: pair 1 pos 2, neg 0 → log(e⁴ + e⁰) − 4; pair 2 pos 0, neg 1 → log(e⁰ + e²) − 0
    let c = cfgOf """{ "train": { "loss": "softmax", "temperature": 0.5 } }"""

    let loss =
        FactorTraining.batchLoss
            c.Train
            false
            (t [| [| 1f; 0f |]; [| 0f; 1f |] |])
            (t [| [| 2f; 0f |]; [| 1f; 0f |] |])
            (t [| [| 0f; 1f |] |])
            (torch.tensor ([| 1L; 2L |]))
            (torch.tensor ([| 9L |]))

    let expected =
        ((Math.Log(Math.Exp 4.0 + 1.0) - 4.0) + Math.Log(1.0 + Math.Exp 2.0)) / 2.0

    Assert.Equal(expected, float (loss.item<float32>()), 5)

[<Fact>]
let ``BPR with cosine scores compares cosines divided by the temperature`` () =
    use scope = torch.NewDisposeScope()
    // u = (2, 0), positive (3, 0): cos 1; negative (0, 5): cos 0; τ = 0.5 → L = −log σ(2) = log(1 + e⁻²)
    let c =
        cfgOf """{ "model": { "score": "cosine" }, "train": { "temperature": 0.5 } }"""

    let noItems: int64[] = [||]

    let loss =
        FactorTraining.batchLoss
            c.Train
            true
            (t [| [| 2f; 0f |] |])
            (t [| [| 3f; 0f |] |])
            (t [| [| 0f; 5f |] |])
            (torch.tensor ([| 0L |]))
            (torch.tensor (noItems))

    Assert.Equal(Math.Log(1.0 + Math.Exp -2.0), float (loss.item<float32>()), 5)
