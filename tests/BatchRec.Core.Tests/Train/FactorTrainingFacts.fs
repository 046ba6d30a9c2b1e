/// The losses beyond BPR (FactorTraining.batchLoss).
module BatchRec.Core.Tests.FactorTrainingFacts

open System
open Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Train
open BatchRec.Core.Tests.Generators
open System.Threading
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval

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

[<Fact>]
let ``LightGCN smoke: training lowers the loss, learns the groups and is reproducible`` () =
    let cfg0, snap = tinySnapshot ()

    let cfg =
        { cfg0 with
            Train =
                { cfg0.Train with
                    MaxEpochs = 60
                    BatchSize = 64
                    LearningRate = 0.02
                    EvalEvery = 5
                    Patience = 100
                    Device = DeviceChoice.Cpu
                }
        }

    let graphs = Pipeline.splitGraphs snap

    let run () =
        let losses = ResizeArray<float>()

        let m =
            Pipeline.train
                cfg
                torch.CPU
                graphs
                (NodeFeatures.none snap.NumUsers snap.NumItems)
                (Action<EpochReport>(fun r -> losses.Add r.Loss))
                CancellationToken.None

        m, losses

    let m1, l1 = run ()
    let m2, _ = run ()
    Assert.True(l1.[l1.Count - 1] < l1.[0] * 0.8, sprintf "loss %g -> %g" l1.[0] l1.[l1.Count - 1])
    Assert.Equal<float32[]>(m1.UserFactors, m2.UserFactors)
    let metrics = Pipeline.evaluate cfg torch.CPU graphs m1

    let testRecall =
        (metrics
         |> List.find (fun r -> r.Split = "test" && r.Metric = "recall" && r.K = 10))
            .Value
    // random ranking over the 20 − (train) items would put ~half the group items in the top 10; structure beats it
    Assert.True(testRecall > 0.8, sprintf "test recall@10 %g" testRecall)

[<Fact>]
let ``a training started while another runs waits for it, so both stay reproducible`` () =
    // gat with dropout draws from libtorch's global generator in every batch, and each training seeds that
    // generator when it starts: a second training started inside the first one's epochs (two runs of a backfill on
    // one host) would re-seed it under the first one and change its draws, unless it waits for the first to end
    let cfg0, snap = tinySnapshot ()

    let cfg =
        { cfg0 with
            Model =
                { cfg0.Model with
                    Kind = ModelKind.Gat
                    Dropout = 0.3
                    Attributes = false
                }
            Train =
                { cfg0.Train with
                    MaxEpochs = 6
                    BatchSize = 64
                    LearningRate = 0.02
                    EvalEvery = 3
                    Patience = 100
                    Device = DeviceChoice.Cpu
                }
        }

    let graphs = Pipeline.splitGraphs snap
    let features = NodeFeatures.none snap.NumUsers snap.NumItems

    let alone () =
        Pipeline.train cfg torch.CPU graphs features (Action<EpochReport>(ignore)) CancellationToken.None

    let reference = alone ()
    let mutable second: Tasks.Task<TrainedModel> = null

    let first =
        Pipeline.train
            cfg
            torch.CPU
            graphs
            features
            (Action<EpochReport>(fun r ->
                if r.Epoch = 1 then
                    second <- Tasks.Task.Run(fun () -> alone ())
                    Thread.Sleep 500))
            CancellationToken.None // time for the second one to start, had it not to wait

    let second = second.Result
    Assert.Equal<float32[]>(reference.UserFactors, first.UserFactors)
    Assert.Equal<float32[]>(reference.ItemFactors, first.ItemFactors)
    Assert.Equal<float32[]>(reference.UserFactors, second.UserFactors)

[<Fact>]
let ``training honours cancellation`` () =
    let cfg, snap = tinySnapshot ()
    use cts = new CancellationTokenSource()
    cts.Cancel()

    Assert.ThrowsAny<OperationCanceledException>(fun () ->
        Pipeline.train
            cfg
            torch.CPU
            (Pipeline.splitGraphs snap)
            (NodeFeatures.none snap.NumUsers snap.NumItems)
            (Action<EpochReport>(ignore))
            cts.Token
        |> ignore)
    |> ignore
