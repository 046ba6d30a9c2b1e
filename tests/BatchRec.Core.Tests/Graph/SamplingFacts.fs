module BatchRec.Core.Tests.SamplingFacts

open System
open System.Threading
open Xunit
open FsCheck.Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Train
open BatchRec.Core.Tests.Generators

let private binary (m: Csr) =
    { m with
        Values = Array.create m.Nnz 1.0f
    }

/// A random user–item–attribute graph from one seed (interactions with weights 1..5, item tags).
let private randomGraph (seed: int) =
    let rng = Random(seed)
    let nU, nI, nA = rng.Next(1, 8), rng.Next(1, 8), rng.Next(0, 4)
    let e = rng.Next(0, nU * nI + 1)
    let users = Array.init e (fun _ -> rng.Next nU)
    let items = Array.init e (fun _ -> rng.Next nI)
    let weights = Array.init e (fun _ -> float32 (rng.Next(1, 6)))

    let tags =
        [|
            for i in 0 .. nI - 1 do
                for a in 0 .. nA - 1 do
                    if rng.NextDouble() < 0.4 then
                        yield i, a
        |]

    let attrs =
        Csr.ofEdges nI nA (Array.map fst tags) (Array.map snd tags) (Array.create tags.Length 1f)
        |> binary

    rng, HeteroGraph.build nU nI users items weights EdgeWeight.Log1p attrs, attrs

/// `count` distinct ids of 0..n-1 in random order.
let private distinct (rng: Random) (n: int) (count: int) =
    let p = Array.init n id

    for k in n - 1 .. -1 .. 1 do
        let j = rng.Next(k + 1)
        let t = p.[k]
        p.[k] <- p.[j]
        p.[j] <- t

    Array.truncate count p

let private degree (m: Csr) (r: int) = m.RowPtr.[r + 1] - m.RowPtr.[r]

[<Property(MaxTest = 100)>]
let ``blocks hold at most f distinct true neighbours per row, targets prefix the sources, and a seed repeats them``
    (seed: int)
    =
    let rng, g, _ = randomGraph seed
    let a = g.Norm
    let seeds = distinct rng g.Nodes (rng.Next(0, g.Nodes + 1))
    let fanouts = Array.init (rng.Next(0, 4)) (fun _ -> rng.Next(1, 4))
    let s = NeighbourSampling.sample a seeds fanouts (Random(seed))
    let again = NeighbourSampling.sample a seeds fanouts (Random(seed))
    let layers = fanouts.Length
    // |S_l|: S_L = seeds; block l+1 reads S_l as its columns; S_0 = Nodes
    let size l =
        if l = layers then
            seeds.Length
        else
            s.Blocks.[l].Matrix.Cols

    let rowsOk =
        [
            for l in 1..layers do
                let m = s.Blocks.[l - 1].Matrix
                let pos = s.Blocks.[l - 1].Positions

                yield
                    m.Rows = size l
                    && m.Cols = size (l - 1)
                    && m.Rows <= m.Cols
                    && pos.Length = m.Nnz

                for i in 0 .. m.Rows - 1 do
                    let gi = s.Nodes.[i]
                    let deg = degree a gi
                    let k = m.RowPtr.[i + 1] - m.RowPtr.[i]
                    yield k = min deg fanouts.[l - 1]

                    for p in m.RowPtr.[i] .. m.RowPtr.[i + 1] - 1 do
                        let gj = s.Nodes.[m.ColIdx.[p]]
                        yield (p = m.RowPtr.[i] || m.ColIdx.[p - 1] < m.ColIdx.[p]) // ascending, hence distinct
                        yield Csr.contains a gi gj

                        yield
                            pos.[p] >= a.RowPtr.[gi]
                            && pos.[p] < a.RowPtr.[gi + 1]
                            && a.ColIdx.[pos.[p]] = gj

                        yield
                            abs (m.Values.[p] - a.Values.[pos.[p]] * float32 deg / float32 k)
                            <= 1e-6f * (1.0f + abs m.Values.[p])
        ]

    s = again
    && s.SeedCount = seeds.Length
    && (if layers = 0 then
            s.Nodes = seeds
        else
            s.Blocks.[0].Matrix.Cols = s.Nodes.Length)
    && s.Nodes.[0 .. seeds.Length - 1] = seeds
    && (s.Nodes |> Array.distinct |> Array.length) = s.Nodes.Length
    && List.forall id rowsOk

[<Fact>]
let ``a row with more neighbours than the fan-out gets a uniform sample, and the estimate is unbiased`` () =
    // user 0 has 10 items, user 1 four, user 2 one; item 0 has all three users
    let users = [| for i in 0..9 -> 0 |] |> Array.append [| 1; 1; 1; 1; 2 |]
    let items = [| 0..9 |] |> Array.append [| 0; 3; 5; 7; 0 |]

    let g =
        HeteroGraph.build
            3
            12
            users
            items
            (Array.create users.Length 1f)
            EdgeWeight.One
            (Csr.ofEdges 12 0 [||] [||] [||])

    let a = g.Norm
    let d = 3
    let xr = Random(4)
    let x = Array.init (g.Nodes * d) (fun _ -> xr.NextDouble() * 2.0 - 1.0)
    let seeds = [| 0; 1; 2; 3 + 0 |]

    let full =
        Array.init (seeds.Length * d) (fun q ->
            let i, c = seeds.[q / d], q % d

            Seq.sum (
                seq { for p in a.RowPtr.[i] .. a.RowPtr.[i + 1] - 1 -> float a.Values.[p] * x.[a.ColIdx.[p] * d + c] }
            ))

    let rng = Random(11)
    let draws = 20000
    let mean = Array.zeroCreate (seeds.Length * d)
    let hits = Array.zeroCreate 10 // how often each of user 0's items is drawn

    for _ in 1..draws do
        let s = NeighbourSampling.sample a seeds [| 3 |] rng
        let m = s.Blocks.[0].Matrix

        for i in 0 .. seeds.Length - 1 do
            for p in m.RowPtr.[i] .. m.RowPtr.[i + 1] - 1 do
                let j = s.Nodes.[m.ColIdx.[p]]

                if i = 0 then
                    hits.[j - 3] <- hits.[j - 3] + 1

                for c in 0 .. d - 1 do
                    mean.[i * d + c] <- mean.[i * d + c] + float m.Values.[p] * x.[j * d + c] / float draws
    // each of user 0's 10 items is drawn with probability 3/10 (binomial sd ≈ 65 of 6000)
    for h in hits do
        Assert.InRange(h, 5600, 6400)

    for q in 0 .. mean.Length - 1 do
        Assert.True(
            abs (mean.[q] - full.[q]) < 0.01,
            sprintf "entry %d: mean of draws %g, full row %g" q mean.[q] full.[q]
        )
    // and one draw for user 0 is not the full row (it really samples)
    let one = NeighbourSampling.sample a [| 0 |] [| 3 |] (Random(1))
    Assert.Equal(3, one.Blocks.[0].Matrix.Nnz)

let private perturb (model: GatModel) =
    use _ng = torch.no_grad ()

    for p in (model :> IRecModel).Parameters do
        use noise = torch.randn (p.shape) * 0.3
        p.add_ (noise) |> ignore

let private grads (model: GatModel) =
    (model :> IRecModel).Parameters
    |> Array.map (fun p ->
        match p.grad with
        | null -> torch.zeros_like (p)
        | g -> g.clone ())

let private zeroGrads (model: GatModel) =
    for p in (model :> IRecModel).Parameters do
        match p.grad with
        | null -> ()
        | g -> g.zero_ () |> ignore

[<Property(MaxTest = 40)>]
let ``with fan-out at least the largest degree the sampled forward equals the full-graph rows, gradients included``
    (seed: int)
    =
    use scope = torch.NewDisposeScope()
    let rng, g, attrs = randomGraph seed
    let nU, nI = g.NumUsers, g.NumItems
    let text = rng.Next 2 = 0
    let td = 3

    let features =
        if text then
            { NodeFeatures.none nU nI with
                TextDim = td
                ItemText = Array.init (nI * td) (fun _ -> float32 (rng.NextDouble() - 0.5))
                ItemHasText = Array.create nI true
                UserText = Array.init (nU * td) (fun _ -> float32 (rng.NextDouble() - 0.5))
                UserHasText = Array.init nU (fun u -> u = 0 || rng.Next 2 = 0)
                ItemAttributes = attrs
                AttributeNames = Array.init attrs.Cols string
            }
        else
            NodeFeatures.none nU nI

    let layers = rng.Next(1, 4)

    let cfg =
        { Config.Default.Model with
            Kind = (if text then ModelKind.GatText else ModelKind.Gat)
            Dim = 4
            Layers = layers
            Heads = 2
            Attention = (rng.Next 2 = 0)
            FinalMlp = (rng.Next 2 = 0)
            LayerMlp = (rng.Next 4 = 0)
            Fusion = (if rng.Next 2 = 0 then Fusion.Mlp else Fusion.Add)
        }

    let warm = Array.init nI (fun _ -> rng.Next 4 <> 0)
    torch.manual_seed (int64 seed) |> ignore
    use model = new GatModel(torch.CPU, cfg, g, features, text, warm)
    perturb model // away from the initialisation (zero attention, zero last MLP layers) so every path matters
    let seeds = distinct rng (nU + nI) (rng.Next(1, nU + nI + 1))

    let maxDeg =
        Seq.max (
            seq {
                yield 1
                for r in 0 .. g.Nodes - 1 -> degree g.Norm r
            }
        )

    let sample =
        NeighbourSampling.sample g.Norm seeds (Array.init layers (fun _ -> maxDeg + rng.Next 2)) (Random(seed))

    let probe = torch.randn ([| int64 seeds.Length; 4L |])
    let idx = Tensors.indices torch.CPU seeds
    let pass = (model :> IRecModel).Forward false
    let full = torch.cat([| pass.Users; pass.Items |], 0L).index_select(0L, idx)

    let full0 =
        torch.cat([| pass.Layer0Users; pass.Layer0Items |], 0L).index_select(0L, idx)

    (full * probe).sum().backward()
    let gFull = grads model
    zeroGrads model
    let h, x0 = model.ForwardSampled(false, sample)
    (h * probe).sum().backward()
    let gSampled = grads model

    let close (a: torch.Tensor) (b: torch.Tensor) =
        a.allclose (b, rtol = 1e-4, atol = 1e-5)

    close h full && close x0 full0 && Array.forall2 close gFull gSampled

[<Fact>]
let ``sampled forward rejects blocks for another depth`` () =
    use scope = torch.NewDisposeScope()

    let g =
        HeteroGraph.build 2 2 [| 0; 1 |] [| 0; 1 |] [| 1f; 1f |] EdgeWeight.One (Csr.ofEdges 2 0 [||] [||] [||])

    use model =
        new GatModel(
            torch.CPU,
            { Config.Default.Model with
                Kind = ModelKind.Gat
                Dim = 4
                Layers = 2
            },
            g,
            NodeFeatures.none 2 2,
            false,
            [| true; true |]
        )

    let sample = NeighbourSampling.sample g.Norm [| 0 |] [| 2 |] (Random(1))

    Assert.Throws<ArgumentException>(fun () -> model.ForwardSampled(true, sample) |> ignore)
    |> ignore

[<Fact>]
let ``GAT smoke with fan-out 3,3: training lowers the loss, learns the groups and is reproducible`` () =
    let cfg0, snap = tinySnapshot ()

    let cfg =
        { cfg0 with
            Model =
                { cfg0.Model with
                    Kind = ModelKind.Gat
                    Dim = 8
                    Layers = 2
                    Attention = true
                }
            Train =
                { cfg0.Train with
                    MaxEpochs = 40
                    BatchSize = 64
                    LearningRate = 0.02
                    EvalEvery = 5
                    Patience = 100
                    Device = DeviceChoice.Cpu
                    Fanout = [ 3; 3 ]
                }
        }

    Assert.True(Result.isOk (Config.validate cfg))
    let graphs = Pipeline.splitGraphs snap
    // the fan-out really subsamples here: users have ~8 training items, items ~16 users
    Assert.True((Csr.rowCounts graphs.Train |> Array.max) > 3)

    let runWith (c: Config) =
        let losses = ResizeArray<float>()

        let m =
            Pipeline.train
                c
                torch.CPU
                graphs
                (NodeFeatures.none snap.NumUsers snap.NumItems)
                (Action<EpochReport>(fun r -> losses.Add r.Loss))
                CancellationToken.None

        m, losses

    let run () = runWith cfg
    let m1, l1 = run ()
    let m2, _ = run ()
    // the sampled path was taken: full-graph training from the same seed ends elsewhere
    let full, _ =
        runWith
            { cfg with
                Train = { cfg.Train with Fanout = [] }
            }

    Assert.NotEqual<float32[]>(full.UserFactors, m1.UserFactors)
    Assert.True(l1.[l1.Count - 1] < l1.[0] * 0.8, sprintf "loss %g -> %g" l1.[0] l1.[l1.Count - 1])
    Assert.Equal<float32[]>(m1.UserFactors, m2.UserFactors)
    let metrics = Pipeline.evaluate cfg torch.CPU graphs m1

    let testRecall =
        (metrics
         |> List.find (fun r -> r.Split = "test" && r.Metric = "recall" && r.K = 10))
            .Value
    // a random ranking puts about half of the group's held-out items in the top 10
    Assert.True(testRecall > 0.8, sprintf "test recall@10 %g" testRecall)

[<Property(MaxTest = 40)>]
let ``the block product's CPU kernel agrees with the libtorch path, gradients included`` (seed: int) =
    use scope = torch.NewDisposeScope()
    let rng, g, _ = randomGraph seed
    let seeds = distinct rng g.Nodes (rng.Next(1, g.Nodes + 1))
    let s = NeighbourSampling.sample g.Norm seeds [| rng.Next(1, 4) |] (Random(seed))
    let m = s.Blocks.[0].Matrix
    let src, dst, vals = Csr.toEdges m
    let rows, cols = Tensors.indices torch.CPU src, Tensors.indices torch.CPU dst
    let x0 = torch.randn ([| int64 m.Cols; 3L |])
    let v0 = torch.tensor (vals) * (torch.rand ([| int64 m.Nnz |]) + 0.5)
    let probe = torch.randn ([| int64 m.Rows; 3L |])

    let run kernels =
        let x, v =
            x0.detach().clone().requires_grad_(true), v0.detach().clone().requires_grad_(true)

        let y = BlockProduct.apply kernels m rows cols v x
        (y * probe).sum().backward()
        y, x.grad, v.grad

    let y1, gx1, gv1 = run true
    let y2, gx2, gv2 = run false

    let close (a: torch.Tensor) (b: torch.Tensor) =
        a.allclose (b, rtol = 1e-4, atol = 1e-5)

    close y1 y2 && close gx1 gx2 && (m.Nnz = 0 || close gv1 gv2)
