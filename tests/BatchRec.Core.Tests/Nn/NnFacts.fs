module BatchRec.Core.Tests.NnFacts

open System
open System.Threading
open Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval
open BatchRec.Core.Train

/// Every device present: CPU always, CUDA when TorchSharp sees one.
let devices () : obj[] seq =
    seq {
        yield [| box "cpu" |]

        if torch.cuda.is_available () then
            yield [| box "cuda" |]
    }

[<Theory; MemberData(nameof devices)>]
let ``sparse propagation agrees with the dense reference`` (dev: string) =
    let device =
        Tensors.chooseDevice (Option.get (Choice.tryParse DeviceChoice.Names dev))

    use scope = torch.NewDisposeScope()
    torch.manual_seed 7L |> ignore
    let users, items = [| 0; 0; 1; 2; 2; 2 |], [| 0; 1; 1; 0; 2; 3 |]
    let a = Bipartite.adjacency 4 4 users items |> Normalize.symmetric // user 3 has no edges
    use adj = Propagator.Create(device, a)
    let eu = torch.randn ([| 4L; 5L |], device = device)
    let ei = torch.randn ([| 4L; 5L |], device = device)
    let sparseOut = LightGcn.embed adj 3 eu ei // [8, 5]
    // dense: (E0 + ÂE0 + Â²E0 + Â³E0) / 4
    let dense = (Tensors.sparse device a).to_dense()
    let e0 = torch.cat ([| eu; ei |], 0L)
    let e1 = dense.mm e0
    let e2 = dense.mm e1
    let e3 = dense.mm e2
    let reference = (e0 + e1 + e2 + e3) / 4.0
    Assert.True(sparseOut.allclose (reference, rtol = 1e-5, atol = 1e-6))
    // the isolated user keeps a quarter of its own layer-0 embedding
    Assert.True(sparseOut.[3L].allclose(eu.[3L] / 4.0, rtol = 1e-6, atol = 1e-7))

[<Theory; MemberData(nameof devices)>]
let ``propagation gradients agree with the dense reference`` (dev: string) =
    let device =
        Tensors.chooseDevice (Option.get (Choice.tryParse DeviceChoice.Names dev))

    use scope = torch.NewDisposeScope()
    torch.manual_seed 11L |> ignore

    let a =
        Bipartite.adjacency 5 3 [| 0; 1; 1; 2; 4 |] [| 0; 0; 2; 1; 2 |]
        |> Normalize.symmetric

    use adj = Propagator.Create(device, a)
    let dense = (Tensors.sparse device a).to_dense()
    let x1 = torch.randn([| 8L; 4L |], device = device).requires_grad_(true)
    let x2 = x1.detach().clone().requires_grad_(true)
    let w = torch.randn ([| 8L; 4L |], device = device)
    (adj.Apply(adj.Apply x1) * w).sum().backward()
    ((dense.mm (dense.mm x2)) * w).sum().backward()
    Assert.True(x1.grad.allclose (x2.grad, rtol = 1e-5, atol = 1e-6))

[<Fact>]
let ``the propagator rejects a non-symmetric adjacency`` () =
    let a = Csr.ofEdges 2 2 [| 0 |] [| 1 |] [| 1f |]

    let ex =
        Assert.Throws<ArgumentException>(fun () -> (Propagator.Create(torch.CPU, a) :> IDisposable).Dispose())

    Assert.Equal("a", ex.ParamName)

[<Theory; MemberData(nameof devices)>]
let ``top-K never returns excluded items and ranks by score`` (dev: string) =
    let device =
        Tensors.chooseDevice (Option.get (Choice.tryParse DeviceChoice.Names dev))

    use scope = torch.NewDisposeScope()
    // 2 users, 4 items, 1-dim factors: score = user * item
    let ue = torch.tensor([| 1.0f; -1.0f |], device = device).reshape(2L, 1L)
    let ie = torch.tensor([| 4.0f; 3.0f; 2.0f; 1.0f |], device = device).reshape(4L, 1L)
    let exclude = Bipartite.userItems 2 4 [| 0; 1; 1; 1 |] [| 0; 1; 2; 3 |]
    let blocks = TopK.topK ue ie exclude 3 1 |> List.ofSeq
    Assert.Equal(2, blocks.Length)
    Assert.Equal<int[]>([| 1; 2; 3 |], blocks.[0].Items) // item 0 excluded for user 0
    Assert.Equal<float32[]>([| 3f; 2f; 1f |], blocks.[0].Scores)
    Assert.Equal<int[]>([| 0 |], blocks.[1].Items) // user 1 has only item 0 left
    Assert.Equal<int[]>([| 0; 1 |], blocks.[1].Offsets)

[<Fact>]
let ``evaluation averages hand-derived per-user metrics over users with ground truth`` () =
    use scope = torch.NewDisposeScope()
    // 3 users; scores rank items 0 > 1 > 2 > 3 for everyone
    let ue = torch.ones ([| 3L; 1L |])
    let ie = torch.tensor([| 4.0f; 3.0f; 2.0f; 1.0f |]).reshape(4L, 1L)
    let exclude = Bipartite.userItems 3 4 [| 0 |] [| 0 |] // user 0 trained on item 0
    // truth: user 0 → {2} (ranked 2nd after masking item 0); user 1 → {0, 3}; user 2 → none
    let truth = Bipartite.userItems 3 4 [| 0; 1; 1 |] [| 2; 0; 3 |]
    let ms = Evaluation.evaluate ue ie exclude truth [ 1; 2 ] 2

    let get m k =
        (ms |> List.find (fun x -> x.Metric = m && x.K = k)).Value

    Assert.Equal((0.0 + 1.0) / 2.0, get "hit" 1, 12)
    Assert.Equal((1.0 / 2.0 + 1.0) / 2.0, get "mrr" 2, 12)
    Assert.Equal((1.0 + 0.5) / 2.0, get "recall" 2, 12) // user 0: 1/1, user 1: 1/2
    Assert.Equal((0.5 + 0.5) / 2.0, get "precision" 2, 12)
    let ndcgU0 = (1.0 / Math.Log2 3.0) / 1.0
    let ndcgU1 = 1.0 / (1.0 + 1.0 / Math.Log2 3.0)
    Assert.Equal((ndcgU0 + ndcgU1) / 2.0, get "ndcg" 2, 12)

/// A tiny world with structure: two taste groups, each liking its own half of the items.
let tinySnapshot () =
    let users, items =
        [|
            for u in 0..39 do
                let group = u % 2

                for i in 0..19 do
                    if (i % 2 = group) && ((u * 7 + i * 3) % 5 <> 0) then
                        yield u, i
        |]
        |> Array.unzip

    let cfg =
        { Config.Default with
            Model =
                { Config.Default.Model with
                    Dim = 8
                    Layers = 2
                }
        }

    let uMap = IdMap.ofIds [ for u in 0..39 -> string u ]
    let iMap = IdMap.ofIds [ for i in 0..19 -> string i ]

    let snap =
        Pipeline.buildSnapshot cfg uMap iMap users items (Array.init users.Length int64) (Array.create users.Length 1f)

    cfg, snap

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

[<Fact>]
let ``every user is scored over items they never interacted with`` () =
    let cfg0, snap = tinySnapshot ()

    let cfg =
        { cfg0 with
            Train =
                { cfg0.Train with
                    MaxEpochs = 5
                    Device = DeviceChoice.Cpu
                }
            Score = { cfg0.Score with K = 5; UserChunk = 7 }
        }

    let graphs = Pipeline.splitGraphs snap

    let m =
        Pipeline.train
            cfg
            torch.CPU
            graphs
            (NodeFeatures.none snap.NumUsers snap.NumItems)
            (Action<EpochReport>(ignore))
            CancellationToken.None

    let seen = Collections.Generic.HashSet<int>()

    for scored in Pipeline.score cfg torch.CPU graphs m do
        let c = scored.TopK

        for b in 0 .. c.Users.Length - 1 do
            let u = c.Users.[b]
            Assert.True(seen.Add u)
            let items = c.Items.[c.Offsets.[b] .. c.Offsets.[b + 1] - 1]
            let scores = c.Scores.[c.Offsets.[b] .. c.Offsets.[b + 1] - 1]
            Assert.Equal(5, items.Length)
            Assert.Equal(items.Length, (Array.distinct items).Length)
            Assert.All(items, fun i -> Assert.False(Csr.contains graphs.All u i))
            Assert.True(scores |> Array.pairwise |> Array.forall (fun (a, b) -> a >= b))
            // every row is explained by an item of the user's own history
            for p in c.Offsets.[b] .. c.Offsets.[b + 1] - 1 do
                Assert.True(
                    Csr.contains graphs.All u scored.Reasons.[p],
                    sprintf "reason %d of user %d" scored.Reasons.[p] u
                )

    Assert.Equal(snap.NumUsers, seen.Count)

[<Fact>]
let ``toArray copies views, transposes and empty tensors in row-major order`` () =
    use scope = torch.NewDisposeScope()
    let t = torch.arange(12L, dtype = torch.float32).reshape(3L, 4L)
    Assert.Equal<float32[]>([| 4f; 5f; 6f; 7f; 8f; 9f; 10f; 11f |], Tensors.toArray (t.narrow (0L, 1L, 2L)))
    Assert.Equal<float32[]>([| 1f; 5f; 9f; 2f; 6f; 10f |], Tensors.toArray (t.t().narrow(0L, 1L, 2L)))
    Assert.Equal<float32[]>([||], Tensors.toArray (t.narrow (0L, 0L, 0L)))

[<Fact>]
let ``RootedAdam takes torch.optim.Adam's steps bit for bit, skipping a parameter without a gradient as it does`` () =
    use scope = torch.NewDisposeScope()
    torch.manual_seed 7L |> ignore

    let a =
        [|
            new Modules.Parameter(torch.randn (5L, 3L), true)
            new Modules.Parameter(torch.randn (4L), true)
        |]

    let b = a |> Array.map (fun p -> new Modules.Parameter(p.detach().clone(), true))
    use reference = torch.optim.Adam(a, lr = 0.01)
    use ours = new RootedAdam(b, 0.01)

    for step in 1..30 do
        let target = torch.randn (5L, 3L)
        // the second parameter takes part from step 6 on: before that it has no gradient and takes no step
        let loss (ps: Modules.Parameter[]) =
            let l = (ps.[0] - target).square().sum()

            if step > 5 then
                l + ps.[1].sin().sum() * ps.[0].mean()
            else
                l

        reference.zero_grad ()
        (loss a).backward()
        reference.step () |> ignore
        ours.ZeroGrad()
        (loss b).backward()
        ours.Step()

    Assert.Equal(30L, ours.Steps 0)
    Assert.Equal(25L, ours.Steps 1)

    for x, y in Array.zip a b do
        Assert.True(
            x.eq(y).all().item<bool>(),
            sprintf "parameters differ: max |Δ| = %g" ((x - y).abs().max().item<float32>())
        )

    Assert.False(a.[0].eq(torch.zeros_like (a.[0])).all().item<bool>())
