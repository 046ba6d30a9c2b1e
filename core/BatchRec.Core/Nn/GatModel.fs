namespace BatchRec.Core.Nn

open System
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

[<Sealed>]
type GatModel
    (
        device: torch.Device,
        cfg: ModelConfig,
        graph: HeteroGraph,
        features: NodeFeatures,
        useText: bool,
        warmItems: bool[]
    ) =
    let d = cfg.Dim
    let nU, nI, nA = graph.NumUsers, graph.NumItems, graph.NumAttributes
    let heads = cfg.Heads
    let edges = new EdgeSet(device, graph)
    let users, items = LightGcn.init device nU nI d
    let attrs = if nA > 0 then Some(Init.xavier device nA d) else None
    // one attention for all layers, scored from the layer-0 features (see the type's doc comment)
    let attn =
        [|
            Init.zeros device [| int64 d; int64 (2 * heads) |], Init.zeros device [| int64 heads |]
        |]

    let layerMlps =
        if cfg.LayerMlp then
            [|
                for _ in 1 .. cfg.Layers -> Init.xavier device (2 * d) d, Init.zeros device [| int64 d |]
            |]
        else
            [||]

    let finalMlp =
        if cfg.FinalMlp && cfg.Layers > 0 then
            Some(new Mlp(device, 2 * d, d, d, true))
        else
            None

    let hasText = useText && features.TextDim > 0

    let itemText =
        if hasText then
            Some(torch.tensor(features.ItemText, device = device).reshape(int64 nI, int64 features.TextDim))
        else
            None

    let textProj =
        if hasText then
            Some(Init.xavier device features.TextDim d)
        else
            None

    let fusion =
        if hasText && cfg.Fusion = Fusion.Mlp then
            Some(new Mlp(device, 2 * d, d, d, true))
        else
            None

    let userTextOn = hasText && features.UserHasText |> Array.exists id

    let userText =
        if userTextOn then
            Some(torch.tensor(features.UserText, device = device).reshape(int64 nU, int64 features.TextDim))
        else
            None

    let userHas =
        if userTextOn then
            Some(
                torch
                    .tensor(features.UserHasText |> Array.map (fun b -> if b then 1.0f else 0.0f), device = device)
                    .unsqueeze(1L)
            )
        else
            None

    let userProj =
        if userTextOn then
            Some(Init.xavier device features.TextDim d)
        else
            None

    let rowMass = Csr.rowSums graph.Norm // [N], host: the full rows' Σ_j Â_ij (sampled attention's mass)

    let warm =
        torch.tensor(warmItems |> Array.map (fun b -> if b then 1.0f else 0.0f), device = device).unsqueeze(1L) // [I, 1]

    let parameters =
        [|
            yield users
            yield items
            yield! Option.toArray attrs
            for (a, c) in attn do
                yield a
                yield c
            for (w, b) in layerMlps do
                yield w
                yield b
            yield! finalMlp |> Option.map (fun m -> m.Parameters) |> Option.defaultValue [||]
            yield! Option.toArray textProj
            yield! fusion |> Option.map (fun m -> m.Parameters) |> Option.defaultValue [||]
            yield! Option.toArray userProj
        |]

    /// Layer-0 features X⁽⁰⁾ of the given nodes (None: all N nodes in their order, [N, d]; Some ids: the rows of
    /// those global node ids in the order given, [|ids|, d]). One implementation for the full-graph and the sampled
    /// pass: each table (id embeddings, text rows, attribute embeddings) is read only at the selected rows, so the
    /// sampled pass costs O(|ids| · (d + TextDim) · d), not O(N).
    member private _.Features0(training: bool, nodes: int[] option) =
        // the nodes split by kind (local rows of each table), and where each lands in the output
        let pick, order =
            match nodes with
            | None -> (fun (_: int) (t: torch.Tensor) -> t), None
            | Some ids ->
                let us = ResizeArray<int>()
                let its = ResizeArray<int>()
                let ats = ResizeArray<int>()

                for n in ids do
                    if n < 0 || n >= nU + nI + nA then
                        invalidArg "nodes" (sprintf "node %d outside 0..%d" n (nU + nI + nA - 1))

                    if n < nU then us.Add n
                    elif n < nU + nI then its.Add(n - nU)
                    else ats.Add(n - nU - nI)

                let sel =
                    [|
                        Tensors.indices device (us.ToArray())
                        Tensors.indices device (its.ToArray())
                        Tensors.indices device (ats.ToArray())
                    |]
                // grouped = [users; items; attributes] in selection order; output row k = grouped row perm[k]
                let perm = Array.zeroCreate ids.Length
                let mutable cu, ci, ca = 0, us.Count, us.Count + its.Count

                for k in 0 .. ids.Length - 1 do
                    let n = ids.[k]

                    if n < nU then
                        (perm.[k] <- cu
                         cu <- cu + 1)
                    elif n < nU + nI then
                        (perm.[k] <- ci
                         ci <- ci + 1)
                    else
                        (perm.[k] <- ca
                         ca <- ca + 1)

                (fun (kind: int) (t: torch.Tensor) -> t.index_select (0L, sel.[kind])),
                Some(Tensors.indices device perm)

        let nItemsSel =
            match nodes with
            | None -> int64 nI
            | Some _ -> (pick 1 warm).shape.[0]

        let mask =
            if training && cfg.IdDropout > 0.0 && hasText then
                pick 1 warm
                * torch
                    .rand([| nItemsSel; 1L |], device = device)
                    .ge(torch.tensor (float32 cfg.IdDropout, device = device))
                    .to_type(torch.float32)
            else
                pick 1 warm

        let idItems = pick 1 items * mask

        let xItems =
            match itemText, textProj, fusion with
            | Some t, Some p, Some f ->
                let pt = (pick 1 t).mm(p) // [I_sel, d]
                idItems .+ pt .+ f.Apply(torch.cat ([| idItems; pt |], 1L))
            | Some t, Some p, None -> idItems .+ (pick 1 t).mm(p)
            | _ -> idItems

        let xUsers =
            match userText, userProj, userHas with
            | Some t, Some p, Some h -> pick 0 users .+ (pick 0 t).mm(p) * pick 0 h
            | _ -> pick 0 users

        let grouped =
            match attrs with
            | Some a -> torch.cat ([| xUsers; xItems; pick 2 a |], 0L)
            | None -> torch.cat ([| xUsers; xItems |], 0L)

        match order with
        | Some perm -> grouped.index_select (0L, perm)
        | None -> grouped

    /// The propagation both passes share: from the layer-0 features x0 (rows: the pass's nodes, the first `seeds` of
    /// them the ones whose embeddings are returned), L layers X⁽ᵏ⁺¹⁾ = A_k X⁽ᵏ⁾ (or the seed's per-layer MLP with
    /// model.layerMlp), the layer mean over the seeds' rows and the final MLP. `layer k` gives the k-th layer's
    /// coefficients and its product (coefficients, X⁽ᵏ⁾) ↦ A_k X⁽ᵏ⁾, whose rows are a prefix of X⁽ᵏ⁾'s; edge dropout
    /// (model.dropout) is applied to the coefficients of every layer while training. Returns (h, X⁽⁰⁾) over the seeds.
    member private _.Propagate
        (
            training: bool,
            x0: torch.Tensor,
            seeds: int64,
            layer: int -> torch.Tensor * (torch.Tensor -> torch.Tensor -> torch.Tensor)
        ) =
        let mutable cur = x0
        let mutable acc = x0.narrow (0L, 0L, seeds)

        for l in 0 .. cfg.Layers - 1 do
            let alpha, product = layer l

            let alpha =
                if training && cfg.Dropout > 0.0 then
                    torch.nn.functional.dropout (alpha, cfg.Dropout, true)
                else
                    alpha

            let agg = product alpha cur

            let next =
                if cfg.LayerMlp then
                    let w, bias = layerMlps.[l]

                    torch.nn.functional.leaky_relu (
                        torch.cat([| cur.narrow (0L, 0L, agg.shape.[0]); agg |], 1L).mm(w) .+ bias,
                        0.2
                    )
                else
                    agg

            acc <- acc .+ next.narrow (0L, 0L, seeds)
            cur <- next

        let mean = acc ./ float (cfg.Layers + 1)
        let x0s = x0.narrow (0L, 0L, seeds)

        let h =
            match finalMlp with
            | Some g -> mean .+ g.Apply(torch.cat ([| x0s; (acc .- x0s) ./ float cfg.Layers |], 1L))
            | None -> mean

        h, x0s

    member _.Edges = edges

    member _.Graph = graph

    member this.ForwardSampled(training: bool, sample: SampledBlocks) : torch.Tensor * torch.Tensor =
        if sample.Blocks.Length <> cfg.Layers then
            invalidArg "sample" (sprintf "has %d blocks, the model %d layers" sample.Blocks.Length cfg.Layers)

        let x0 = this.Features0(training, Some sample.Nodes) // [|S_0|, d]
        let b = int64 sample.SeedCount
        // attention scores from the layer-0 features: local indices of every S_k are rows of X⁽⁰⁾[S_0] (prefixes)
        let st =
            if cfg.Attention && cfg.Layers > 0 then
                Some(x0.mm (fst attn.[0]))
            else
                None // [|S_0|, 2H]

        this.Propagate(
            training,
            x0,
            b,
            fun l ->
                let m = sample.Blocks.[l].Matrix
                let pos = sample.Blocks.[l].Positions
                let src, dst, vals = Csr.toEdges m
                let rows = Tensors.indices device src // [nnz_k] targets, local in S_k
                let cols = Tensors.indices device dst // [nnz_k] sources, local in S_{k-1}

                let alpha =
                    match st with
                    | Some st ->
                        let h = int64 heads
                        let s = st.narrow(1L, 0L, h).index_select(0L, rows) // [nnz_k, H]
                        let t = st.narrow(1L, h, h).index_select(0L, cols) // [nnz_k, H]

                        let w =
                            torch.tensor (pos |> Array.map (fun p -> graph.EdgeWeight.[p]), device = device) // [nnz_k]

                        let logPrior =
                            torch.tensor (
                                pos
                                |> Array.map (fun p -> float32 (Math.Log(float (max graph.Norm.Values.[p] 1e-30f)))),
                                device = device
                            )

                        let mass =
                            torch.tensor (src |> Array.map (fun r -> rowMass.[sample.Nodes.[r]]), device = device) // Σ_j Â_ij of the full row

                        let z =
                            torch.nn.functional.leaky_relu (
                                s .+ t .+ w.unsqueeze (1L) * (snd attn.[0]).unsqueeze(0L),
                                0.2
                            )
                            .+ logPrior.unsqueeze (1L)

                        (RowSoftmax.apply m rows z).mean([| 1L |]) * mass // [nnz_k]
                    | None -> torch.tensor (vals, device = device) // Â_ij · deg_i / k_i

                alpha, (fun alpha cur -> BlockProduct.apply true m rows cols alpha cur) // [|S_k|, d]
        )


    member _.TextProjection = textProj


    interface IRecModel with
        member _.Parameters = parameters

        member this.Forward(training) =
            let x0 = this.Features0(training, None)

            let alpha =
                if cfg.Attention && cfg.Layers > 0 then
                    GatLayer.coefficients edges (GatLayer.attention edges (fst attn.[0]) (snd attn.[0]) x0)
                else
                    edges.Prior.alias ()

            let h, _ =
                this.Propagate(
                    training,
                    x0,
                    x0.shape.[0],
                    fun _ -> alpha, (fun alpha cur -> edges.Propagate(alpha, cur))
                )

            {
                Users = h.narrow (0L, 0L, int64 nU)
                Items = h.narrow (0L, int64 nU, int64 nI)
                Layer0Users = x0.narrow (0L, 0L, int64 nU)
                Layer0Items = x0.narrow (0L, int64 nU, int64 nI)
            }

        member _.IdUsers = users
        member _.IdItems = items


    interface IDisposable with
        member _.Dispose() =
            (edges :> IDisposable).Dispose()

            for p in parameters do
                p.Dispose()

            for t in [ itemText; userText; userHas ] do
                t |> Option.iter (fun t -> t.Dispose())

            warm.Dispose()
