module BatchRec.Core.Tests.GatFacts

open System
open System.Threading
open Xunit
open FsCheck.Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval
open BatchRec.Core.Train

let private binary (m: Csr) =
    { m with
        Values = Array.create m.Nnz 1.0f
    }

/// A random user–item–attribute world from one seed: sizes, interactions with weights 1..5, item tags.
let private randomWorld (seed: int) =
    let rng = Random(seed)
    let nU, nI, nA = rng.Next(1, 7), rng.Next(1, 7), rng.Next(0, 4)
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

    rng, nU, nI, nA, users, items, weights, tags, attrs

let private randn (rng: Random) (rows: int) (cols: int) =
    let data =
        Array.init (rows * cols) (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0))

    torch.tensor(data).reshape(int64 rows, int64 cols)

[<Property(MaxTest = 60)>]
let ``attention over each node's neighbourhood sums to 1 per head`` (seed: int) =
    use scope = torch.NewDisposeScope()
    let rng, nU, nI, _, users, items, weights, _, attrs = randomWorld seed
    let g = HeteroGraph.build nU nI users items weights EdgeWeight.Weight attrs
    use edges = new EdgeSet(torch.CPU, g)
    let d, h = 4, 3

    let a =
        GatLayer.attention
            edges
            (randn rng d (2 * h) * 3.0)
            (randn rng h 1 |> fun t -> t.reshape (int64 h))
            (randn rng g.Nodes d)

    let values = Tensors.toArray a // [nnz × H]

    [
        for r in 0 .. g.Nodes - 1 do
            let p0, p1 = g.Norm.RowPtr.[r], g.Norm.RowPtr.[r + 1]

            if p1 > p0 then
                for k in 0 .. h - 1 do
                    let s = Seq.sum (seq { for p in p0 .. p1 - 1 -> float values.[p * h + k] })

                    yield
                        abs (s - 1.0) < 1e-5
                        && Seq.forall (fun p -> values.[p * h + k] >= 0.0f) (seq { p0 .. p1 - 1 })
    ]
    |> List.forall id

[<Property(MaxTest = 40)>]
let ``permuting node ids permutes the GAT layer's outputs`` (seed: int) =
    use scope = torch.NewDisposeScope()
    let rng, nU, nI, nA, users, items, weights, tags, attrs = randomWorld seed

    let shuffle n =
        let p = Array.init n id in

        (for k in n - 1 .. -1 .. 1 do
            let j = rng.Next(k + 1) in
            let t = p.[k] in
            p.[k] <- p.[j]
            p.[j] <- t)

        p

    let pu, pi = shuffle nU, shuffle nI
    let g = HeteroGraph.build nU nI users items weights EdgeWeight.Log1p attrs

    let attrs' =
        Csr.ofEdges nI nA (tags |> Array.map (fun (i, _) -> pi.[i])) (Array.map snd tags) (Array.create tags.Length 1f)
        |> binary

    let g' =
        HeteroGraph.build
            nU
            nI
            (users |> Array.map (fun u -> pu.[u]))
            (items |> Array.map (fun i -> pi.[i]))
            weights
            EdgeWeight.Log1p
            attrs'

    let sigma n =
        if n < nU then pu.[n]
        elif n < nU + nI then nU + pi.[n - nU]
        else n

    let d, h = 5, 2
    let x = randn rng g.Nodes d
    let inverse = Array.zeroCreate g.Nodes

    for n in 0 .. g.Nodes - 1 do
        inverse.[sigma n] <- n

    let x' = x.index_select (0L, Tensors.indices torch.CPU inverse) // x'[σ(n)] = x[n]
    let wa, c = randn rng d (2 * h), (randn rng h 1).reshape(int64 h)

    let layer (gr: HeteroGraph) (xx: torch.Tensor) =
        use edges = new EdgeSet(torch.CPU, gr)
        edges.Propagate(GatLayer.coefficients edges (GatLayer.attention edges wa c xx), xx)

    let y = layer g x
    let y' = layer g' x'
    // y'[σ(n)] = y[n]
    y'.index_select(0L, Tensors.indices torch.CPU (Array.init g.Nodes sigma)).allclose(y, rtol = 1e-4, atol = 1e-5)

/// Dense reference of the layer (GatLayer's doc comment, written out over all node pairs).
let private denseLayer (g: HeteroGraph) (wa: torch.Tensor) (c: torch.Tensor) (x: torch.Tensor) =
    let n = int64 g.Nodes
    let h = c.shape.[0]
    let prior = (Tensors.sparse torch.CPU g.Norm).to_dense() // Â [N, N]
    let w = (Tensors.sparse torch.CPU { g.Norm with Values = g.EdgeWeight }).to_dense()
    let mask = prior.gt (torch.tensor (0.0f))
    let st = x.mm (wa)
    let s, t = st.narrow (1L, 0L, h), st.narrow (1L, h, h) // [N, H]
    // z[k, i, j] = LeakyReLU(s_i + t_j + c_k w_ij) + log Â_ij on edges, -inf elsewhere
    let z =
        torch.nn.functional.leaky_relu (
            s.t().unsqueeze(2L)
            + t.t().unsqueeze(1L)
            + c.reshape (h, 1L, 1L) * w.unsqueeze (0L),
            0.2
        )
        + prior.clamp_min(1e-30).log().unsqueeze(0L)

    let z =
        z.masked_fill (mask.logical_not().unsqueeze(0L).expand(h, n, n), Single.NegativeInfinity)

    let a = torch.nn.functional.softmax(z, 2L).nan_to_num(0.0) // rows without neighbours: all -inf → 0
    let alpha = a.mean ([| 0L |]) * prior.sum (1L, keepdim = true) // [N, N]
    alpha.mm (x)

[<Fact>]
let ``sparse GAT layer and its gradients agree with the dense reference`` () =
    use scope = torch.NewDisposeScope()
    let rng = Random(5)
    let attrs = Csr.ofEdges 4 2 [| 0; 1; 3 |] [| 0; 0; 1 |] [| 1f; 1f; 1f |] |> binary
    // user 3 and item 2 have no interactions; item 2 has no tag either: an isolated node
    let g =
        HeteroGraph.build
            4
            4
            [| 0; 0; 1; 2; 2; 0 |]
            [| 0; 1; 1; 0; 3; 0 |]
            [| 5f; 3f; 1f; 2f; 4f; 1f |]
            EdgeWeight.Weight
            attrs

    use edges = new EdgeSet(torch.CPU, g)
    let d, h = 3, 2
    let x0 = randn rng g.Nodes d
    let wa0 = randn rng d (2 * h)
    let c0 = (randn rng h 1).reshape(int64 h)
    let leaf (t: torch.Tensor) = t.detach().clone().requires_grad_(true)
    let x1, wa1, c1 = leaf x0, leaf wa0, leaf c0
    let x2, wa2, c2 = leaf x0, leaf wa0, leaf c0
    let probe = randn rng g.Nodes d

    let sparse =
        edges.Propagate(GatLayer.coefficients edges (GatLayer.attention edges wa1 c1 x1), x1)

    let dense = denseLayer g wa2 c2 x2

    Assert.True(
        sparse.allclose (dense, rtol = 1e-4, atol = 1e-5),
        sprintf "%A vs %A" (Tensors.toArray sparse) (Tensors.toArray dense)
    )

    (sparse * probe).sum().backward()
    (dense * probe).sum().backward()
    Assert.True(x1.grad.allclose (x2.grad, rtol = 1e-4, atol = 1e-5), "dL/dx")
    Assert.True(wa1.grad.allclose (wa2.grad, rtol = 1e-4, atol = 1e-5), "dL/da")
    Assert.True(c1.grad.allclose (c2.grad, rtol = 1e-4, atol = 1e-5), "dL/dc")
    Assert.True(wa1.grad.abs().sum().item<float32>() > 0.0f, "the attention parameters get a gradient")
    // the isolated item (node 4 + 2) aggregates nothing and stays finite
    let isolated = 4 + 2
    Assert.Equal(0, g.Norm.RowPtr.[isolated + 1] - g.Norm.RowPtr.[isolated])
    Assert.True(sparse.[int64 isolated].abs().sum().item<float32>() = 0.0f)
    Assert.False(sparse.isnan().any().item<bool>())

[<Fact>]
let ``at initialisation the GAT propagates exactly like LightGCN`` () =
    use scope = torch.NewDisposeScope()
    let users, items = [| 0; 0; 1; 2; 2; 3 |], [| 0; 1; 1; 0; 2; 2 |]

    let cfg =
        { Config.Default.Model with
            Kind = ModelKind.Gat
            Dim = 4
            Layers = 3
            Attributes = false
            FinalMlp = true
            Attention = true
        }

    let g =
        HeteroGraph.build 4 3 users items (Array.create 6 1f) EdgeWeight.One (Csr.ofEdges 3 0 [||] [||] [||])

    torch.manual_seed 3L |> ignore

    use gat =
        new GatModel(torch.CPU, cfg, g, NodeFeatures.none 4 3, false, Array.create 3 true)

    torch.manual_seed 3L |> ignore
    let eu, ei = LightGcn.init torch.CPU 4 3 4

    use adj =
        Propagator.Create(torch.CPU, Bipartite.adjacency 4 3 users items |> Normalize.symmetric)

    let reference = LightGcn.embed adj 3 eu ei
    let pass = (gat :> IRecModel).Forward false
    Assert.True(torch.cat([| pass.Users; pass.Items |], 0L).allclose(reference, rtol = 1e-5, atol = 1e-6))

[<Fact>]
let ``gradient flows to the text projection and the fusion`` () =
    use scope = torch.NewDisposeScope()
    let rng = Random(9)
    let nU, nI, td = 5, 4, 6
    let users, items = [| 0; 1; 2; 3; 4; 0 |], [| 0; 1; 2; 0; 1; 2 |] // item 3: no interaction (cold)
    let attrs = Csr.ofEdges nI 1 [| 0; 3 |] [| 0; 0 |] [| 1f; 1f |] |> binary
    let g = HeteroGraph.build nU nI users items (Array.create 6 1f) EdgeWeight.One attrs

    let features =
        { NodeFeatures.none nU nI with
            TextDim = td
            ItemText = Array.init (nI * td) (fun _ -> float32 (rng.NextDouble() - 0.5))
            ItemHasText = Array.create nI true
            ItemAttributes = attrs
            AttributeNames = [| "tag" |]
        }

    let cfg =
        { Config.Default.Model with
            Kind = ModelKind.GatText
            Dim = 4
            Layers = 2
            IdDropout = 0.0
            Attention = true
            Fusion = Fusion.Mlp
            FinalMlp = true
        }

    torch.manual_seed 1L |> ignore

    use model =
        new GatModel(torch.CPU, cfg, g, features, true, [| true; true; true; false |])

    let pass = (model :> IRecModel).Forward true
    let ue, ie = pass.Users, pass.Items

    let loss =
        -(torch.nn.functional.logsigmoid ((ue.[0L] * ie.[0L]).sum() - (ue.[0L] * ie.[3L]).sum()))

    loss.backward ()
    let proj = model.TextProjection |> Option.get
    Assert.True(proj.grad.abs().sum().item<float32>() > 0.0f, "text projection gradient")
    // the cold item's embedding comes from its text and its tag, not from its (masked) id row
    Assert.True(ie.[3L].abs().sum().item<float32>() > 0.0f)

    Assert.True(
        (model :> IRecModel).IdItems.grad.[3L].abs().sum().item<float32>() = 0.0f,
        "masked id row gets no gradient"
    )

[<Property(MaxTest = 50)>]
let ``cold-items split holds out whole items and splits the rest as usual`` (seed: int) =
    let rng = Random(seed)
    let nU, nI = rng.Next(1, 8), rng.Next(1, 15)
    let e = rng.Next(0, 60)
    let users = Array.init e (fun _ -> rng.Next nU)
    let items = Array.init e (fun _ -> rng.Next nI)
    let held = Splitting.holdOutItems 0.3 seed nI items
    let splits = Splitting.assignWithColdItems 0.1 0.1 seed nU nI 0.3 users items
    let active = items |> Array.distinct |> Array.length
    let heldCount = held |> Array.filter id |> Array.length

    heldCount = int (Math.Round(0.3 * float active))
    && Array.forall2 (fun i s -> (s = Split.Cold) = held.[i]) items splits
    && (held
        |> Array.mapi (fun i h -> not h || Array.contains i items)
        |> Array.forall id) // only items with interactions

[<Fact>]
let ``the reason is the history item most similar to the recommendation`` () =
    // items in 2-d: 0 = (1, 0), 1 = (0, 1), 2 = (1, 1)/√2·3 (length is ignored), 3 = (-1, 0.1)
    let factors = [| 1f; 0f; 0f; 1f; 3f; 3.1f; -1f; 0.1f |]
    let history = Csr.ofEdges 2 4 [| 0; 0; 1 |] [| 0; 1; 3 |] [| 1f; 1f; 1f |]

    let block =
        {
            Users = [| 0; 1 |]
            Offsets = [| 0; 2; 3 |]
            Items = [| 2; 3; 0 |]
            Scores = [| 2f; 1f; 1f |]
        }

    let reasons =
        Explain.reasons 0 factors (Explain.inverseNorms factors 2) 2 history block
    // user 0 (history 0, 1): item 2 ≈ 45.7° from 1, 45° ... closer to 1 (y larger); item 3 is nearer 1 (cos 0.1) than 0 (cos -1)
    Assert.Equal<int[]>([| 1; 1; 3 |], reasons)

[<Fact>]
let ``popularity ranks by training counts and cold baselines are measured`` () =
    let cfg =
        { Config.Default with
            Model =
                { Config.Default.Model with
                    Kind = ModelKind.Popularity
                }
            Eval =
                { Config.Default.Eval with
                    Mode = EvalMode.ColdItems
                    ColdFraction = 0.25
                    ColdKs = [ 2 ]
                }
        }

    let users = [| 0; 0; 1; 1; 2; 2; 3; 3; 0; 1 |]
    let items = [| 0; 1; 0; 2; 0; 3; 1; 3; 3; 3 |]
    let uMap = IdMap.ofIds [ for u in 0..3 -> string u ]
    let iMap = IdMap.ofIds [ for i in 0..3 -> string i ]

    let snap =
        Pipeline.buildSnapshot cfg uMap iMap users items (Array.init users.Length int64) (Array.create users.Length 1f)

    let graphs = Pipeline.splitGraphs snap

    let m =
        Pipeline.train cfg torch.CPU graphs (NodeFeatures.none 4 4) (Action<EpochReport>(ignore)) CancellationToken.None

    let counts = Array.zeroCreate<float32> 4

    for i in graphs.Train.ColIdx do
        counts.[i] <- counts.[i] + 1f

    Assert.Equal<float32[]>(counts, m.ItemFactors)
    Assert.Equal(1, graphs.HeldOut |> Array.filter id |> Array.length) // round(0.25 · 4)
    let baselines = ColdBaselines.evaluate cfg graphs (NodeFeatures.none 4 4)
    // one held-out item ranked among one: random recall@2 = 1
    let recall =
        baselines
        |> List.find (fun (n, r) -> n = "random" && r.Metric = "recall")
        |> snd

    Assert.Equal(1.0, recall.Value, 12)

    let cold =
        Pipeline.evaluate cfg torch.CPU graphs m
        |> List.filter (fun r -> r.Split = "cold")

    Assert.NotEmpty cold

[<Property(MaxTest = 30)>]
let ``the CPU kernels agree with the device-independent libtorch path, gradients included`` (seed: int) =
    use scope = torch.NewDisposeScope()
    let rng, nU, nI, _, users, items, weights, _, attrs = randomWorld seed
    let g = HeteroGraph.build nU nI users items weights EdgeWeight.Weight attrs
    let d, h = 3, 2

    let x0, wa0, c0 =
        randn rng g.Nodes d, randn rng d (2 * h), (randn rng h 1).reshape(int64 h)

    let run kernels =
        use edges = new EdgeSet(torch.CPU, g, kernels)

        let x, wa, c =
            x0.detach().clone().requires_grad_(true),
            wa0.detach().clone().requires_grad_(true),
            c0.detach().clone().requires_grad_(true)

        let y =
            edges.Propagate(GatLayer.coefficients edges (GatLayer.attention edges wa c x), x)

        (y * y).sum().backward()
        y, x.grad, wa.grad, c.grad

    let y1, gx1, gw1, gc1 = run true
    let y2, gx2, gw2, gc2 = run false

    let close (a: torch.Tensor) (b: torch.Tensor) =
        a.allclose (b, rtol = 1e-4, atol = 1e-5)

    g.Norm.Nnz = 0
    || (close y1 y2 && close gx1 gx2 && close gw1 gw2 && close gc1 gc2)
