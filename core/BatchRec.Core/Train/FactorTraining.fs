namespace BatchRec.Core.Train

open System
open System.Diagnostics
open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval

[<RequireQualifiedAccess>]
module FactorTraining =
    let createModel
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        : IRecModel * IDisposable list =
        let numUsers, numItems = graphs.Train.Rows, graphs.Train.Cols
        let m = cfg.Model

        match m.Kind with
        | ModelKind.LightGcn ->
            let posU, posI, _ = Csr.toEdges graphs.Train

            let adj =
                Propagator.Create(device, Bipartite.adjacency numUsers numItems posU posI |> Normalize.symmetric)

            new LightGcnModel(device, Some adj, numUsers, numItems, m.Dim, m.Layers) :> IRecModel,
            [ adj :> IDisposable ]
        | ModelKind.BprMf -> new LightGcnModel(device, None, numUsers, numItems, m.Dim, 0) :> IRecModel, []
        | ModelKind.Gat
        | ModelKind.GatText ->
            let u, i, w = Csr.toEdges graphs.TrainWeighted

            let attrs =
                if Config.usesAttributes m then
                    features.ItemAttributes
                else
                    Csr.ofEdges numItems 0 [||] [||] [||]

            let kSrc, kDst =
                if ModelKind.readsText m.Kind && m.TextNeighbours > 0 && features.TextDim > 0 then
                    TextKnn.neighboursWith
                        cfg.Search
                        device
                        features.TextDim
                        features.ItemText
                        features.ItemHasText
                        m.TextNeighbours
                else
                    [||], [||]

            let graph =
                HeteroGraph.buildWithItemEdges numUsers numItems u i w m.EdgeWeight attrs kSrc kDst

            let warm = Array.zeroCreate numItems

            for it in i do
                warm.[it] <- true

            new GatModel(device, m, graph, features, ModelKind.readsText m.Kind, warm) :> IRecModel, []
        | kind -> invalidArg "cfg" (sprintf "model.kind '%s' has no embeddings to train" kind.Name)

    let epochShuffle (rng: Random) (posU: int[]) (posI: int[]) (order: int[]) : int[] * int[] =
        for i in order.Length - 1 .. -1 .. 1 do
            let j = rng.Next(i + 1)
            let tmp = order.[i]
            order.[i] <- order.[j]
            order.[j] <- tmp

        order |> Array.map (fun e -> posU.[e]), order |> Array.map (fun e -> posI.[e])

    let epochDraws (rng: Random) (train: Csr) (posU: int[]) (posI: int[]) (order: int[]) : int[] * int[] * int[] =
        let us, ps = epochShuffle rng posU posI order
        us, ps, Sampling.negatives rng train us

    let batchLoss
        (t: TrainConfig)
        (cosine: bool)
        (eu: torch.Tensor)
        (ep: torch.Tensor)
        (en: torch.Tensor)
        (posItems: torch.Tensor)
        (negItems: torch.Tensor)
        : torch.Tensor =
        let norm (x: torch.Tensor) =
            if cosine then
                torch.nn.functional.normalize (x, dim = 1L)
            else
                x

        let eu, ep, en = norm eu, norm ep, norm en

        match t.Loss with
        | LossKind.Softmax ->
            let pos = (eu * ep).sum(1L) ./ t.Temperature // [B]
            let neg = eu.mm (en.t ()) ./ t.Temperature // [B, M]
            let hit = negItems.unsqueeze(0L).eq(posItems.unsqueeze (1L)) // [B, M]
            let minusInf = Single.NegativeInfinity.ToScalar() // rooted until the call returns (Nn/Tensors.fs, Ops)
            let neg = neg.masked_fill (hit, minusInf)
            GC.KeepAlive minusInf
            (torch.logsumexp (torch.cat ([| pos.unsqueeze (1L); neg |], 1L), 1L) .- pos).mean()
        | LossKind.Bpr ->
            let diff = (eu * ep).sum(1L) - (eu * en).sum(1L) // [B]
            let diff = if cosine then diff ./ t.Temperature else diff
            -(torch.nn.functional.logsigmoid diff).mean()

    let private epochLoop
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onEpoch: EpochReport -> unit)
        (ct: CancellationToken)
        =
        let t = cfg.Train
        let numUsers, numItems = graphs.Train.Rows, graphs.Train.Cols
        let rng = Xoshiro256(int64 t.Seed)
        // training positives: (user, item) of the train CSR
        let posU, posI, _ = Csr.toEdges graphs.Train
        let model, owned = createModel cfg device graphs features
        use _model = model

        use _owned =
            { new IDisposable with
                member _.Dispose() =
                    for d in owned do
                        d.Dispose()
            }

        use opt = new RootedAdam(model.Parameters, t.LearningRate) // torch.optim.Adam's update, its Scalars kept alive
        // train.fanout: mini-batch training on sampled blocks, with its own Random (derived from the seed) so that
        // the shuffling and negative draws, and with them the full-graph path, are unchanged
        let fanout = List.toArray t.Fanout

        let sampled =
            match model with
            | :? GatModel as gat when fanout.Length > 0 ->
                Some(gat, Xoshiro256(int64 t.Seed * 7919L + 104729L) :> Random)
            | _ when fanout.Length > 0 ->
                invalidArg
                    "cfg"
                    (sprintf "train.fanout applies to gat and gat-text, not model.kind '%s'" cfg.Model.Kind.Name)
            | _ -> None

        let mutable best: torch.Tensor option = None // [U+I, d], detached
        let mutable bestValid = Double.NegativeInfinity
        let mutable bestEpoch = 0
        let mutable badEvals = 0
        let mutable epoch = 0
        let mutable stop = false
        let mutable totalSeconds = 0.0
        let n = posU.Length
        let order = Array.init n id
        let cosine = cfg.Model.Score = ScoreFunction.Cosine
        let softmax = t.Loss = LossKind.Softmax

        let inference () =
            use _ng = torch.no_grad ()
            use scope = torch.NewDisposeScope()
            let pass = model.Forward false
            let all = torch.cat ([| pass.Users; pass.Items |], 0L) // [U+I, d]
            // cosine scores: unit rows, so every later dot product (validation, evaluation, scoring) is the cosine
            let all =
                if cosine then
                    torch.nn.functional.normalize (all, dim = 1L)
                else
                    all

            all.detach().MoveToOuterDisposeScope()

        try
            while not stop && epoch < t.MaxEpochs do
                ct.ThrowIfCancellationRequested()
                epoch <- epoch + 1
                let sw = Stopwatch.StartNew()
                // softmax draws its negatives per batch (below), so the epoch draws only the shuffle
                let us, ps, ns =
                    if softmax then
                        let us, ps = epochShuffle rng posU posI order
                        us, ps, Array.zeroCreate us.Length
                    else
                        epochDraws rng graphs.Train posU posI order
                // the epoch's (user, positive, negative) triples as three index tensors (pairs without a negative
                // dropped); batches are views into them, so a batch allocates nothing on the managed heap
                let keep =
                    [|
                        for b in 0 .. n - 1 do
                            if ns.[b] >= 0 then
                                yield b
                    |]

                use uAll = Tensors.indices device (keep |> Array.map (fun b -> us.[b]))
                use pAll = Tensors.indices device (keep |> Array.map (fun b -> ps.[b]))
                use nAll = Tensors.indices device (keep |> Array.map (fun b -> ns.[b]))
                let mutable lossSum = 0.0
                let mutable batches = 0

                for start in 0 .. t.BatchSize .. keep.Length - 1 do
                    ct.ThrowIfCancellationRequested()
                    let len = min t.BatchSize (keep.Length - start)

                    do
                        use scope = torch.NewDisposeScope()
                        // softmax: train.negatives items drawn uniformly, shared by the batch
                        let shared =
                            if softmax then
                                Array.init t.Negatives (fun _ -> rng.Next numItems)
                            else
                                [||]

                        let eu, ep, en, reg =
                            match sampled with
                            | Some(gat, srng) ->
                                // seeds = distinct(users ∪ U+pos ∪ U+neg), in order of first appearance
                                let local = Collections.Generic.Dictionary<int, int>()
                                let seeds = ResizeArray<int>()

                                let at (node: int) =
                                    match local.TryGetValue node with
                                    | true, k -> k
                                    | _ ->
                                        local.[node] <- seeds.Count
                                        seeds.Add node
                                        seeds.Count - 1

                                let batch = Array.sub keep start len
                                let lu = batch |> Array.map (fun b -> at us.[b])
                                let lp = batch |> Array.map (fun b -> at (numUsers + ps.[b]))

                                let ln =
                                    if softmax then
                                        shared |> Array.map (fun i -> at (numUsers + i))
                                    else
                                        batch |> Array.map (fun b -> at (numUsers + ns.[b]))

                                let blocks = NeighbourSampling.sample gat.Graph.Norm (seeds.ToArray()) fanout srng
                                let h, x0 = gat.ForwardSampled(true, blocks) // [|seeds|, d] each

                                let lu, lp, ln =
                                    Tensors.indices device lu, Tensors.indices device lp, Tensors.indices device ln

                                let regNeg = if softmax then 0.0 else 1.0 // softmax's negatives are shared: only the pairs' rows

                                let reg =
                                    (x0.index_select(0L, lu).norm()
                                     .+ x0.index_select(0L, lp).norm()
                                     .+ (x0.index_select(0L, ln).norm() .* regNeg))
                                    ./ float len

                                h.index_select (0L, lu), h.index_select (0L, lp), h.index_select (0L, ln), reg
                            | None ->
                                let u = uAll.narrow (0L, int64 start, int64 len)
                                let p = pAll.narrow (0L, int64 start, int64 len)
                                let pass = model.Forward true
                                let ue, ie = pass.Users, pass.Items // [U, d], [I, d]
                                let l0u, l0i = pass.Layer0Users, pass.Layer0Items

                                if softmax then
                                    let ng = Tensors.indices device shared

                                    let reg =
                                        (l0u.index_select(0L, u).norm() .+ l0i.index_select(0L, p).norm()) ./ float len

                                    ue.index_select (0L, u), ie.index_select (0L, p), ie.index_select (0L, ng), reg // [B, d] ×2, [M, d]
                                else
                                    let ng = nAll.narrow (0L, int64 start, int64 len)

                                    let reg =
                                        (l0u.index_select(0L, u).norm()
                                         .+ l0i.index_select(0L, p).norm()
                                         .+ l0i.index_select(0L, ng).norm())
                                        ./ float len

                                    ue.index_select (0L, u), ie.index_select (0L, p), ie.index_select (0L, ng), reg // [B, d] ×3

                        let posItems =
                            Tensors.indices device (Array.init len (fun b -> ps.[keep.[start + b]]))

                        let negItems = Tensors.indices device shared
                        let loss = (batchLoss t cosine eu ep en posItems negItems) .+ (reg .* t.L2)
                        opt.ZeroGrad()
                        loss.backward ()
                        opt.Step()
                        lossSum <- lossSum + float (loss.item<float32>())
                        batches <- batches + 1

                let trainSeconds = sw.Elapsed.TotalSeconds
                totalSeconds <- totalSeconds + trainSeconds
                let mutable valid = None
                let mutable improved = false

                if epoch % t.EvalEvery = 0 || epoch = t.MaxEpochs then
                    let all = inference () // kept if best

                    let v =
                        use _ng = torch.no_grad ()
                        use ue = all.narrow (0L, 0L, int64 numUsers)
                        use ie = all.narrow (0L, int64 numUsers, int64 numItems)

                        Evaluation.evaluateSample
                            ue
                            ie
                            graphs.Train
                            graphs.Valid
                            [ cfg.Eval.StopK ]
                            (Config.blockUsers cfg.Eval.UserChunk cfg.Score.BlockMiB numItems)
                            cfg.Eval.MaxUsers
                        |> List.find (fun m -> m.Metric = cfg.Eval.StopMetric.Name)

                    valid <- Some v.Value

                    if v.Value > bestValid then
                        bestValid <- v.Value
                        bestEpoch <- epoch
                        badEvals <- 0
                        improved <- true
                        best |> Option.iter (fun b -> b.Dispose())
                        best <- Some all
                    else
                        all.Dispose()
                        badEvals <- badEvals + 1

                        if badEvals >= t.Patience then
                            stop <- true

                onEpoch
                    {
                        Epoch = epoch
                        Loss = (if batches = 0 then 0.0 else lossSum / float batches)
                        Seconds = trainSeconds
                        Valid = valid
                        Improved = improved
                    }

            let final =
                match best with
                | Some b -> b
                | None -> inference ()

            best <- Some final
            use ue = final.narrow (0L, 0L, int64 numUsers)
            use ie = final.narrow (0L, int64 numUsers, int64 numItems)

            {
                Kind = cfg.Model.Kind.Name
                NumUsers = numUsers
                NumItems = numItems
                Dim = cfg.Model.Dim
                UserFactors = Tensors.toArray ue
                ItemFactors = Tensors.toArray ie
                ItemWeights = [||]
                BestEpoch = (if bestEpoch = 0 then epoch else bestEpoch)
                EpochsRun = epoch
                BestValid =
                    (if Double.IsNegativeInfinity bestValid then
                         0.0
                     else
                         bestValid)
                StoppedEarly = stop
                SecondsPerEpoch = (if epoch = 0 then 0.0 else totalSeconds / float epoch)
                Tuning = []
            }
        finally
            best |> Option.iter (fun b -> b.Dispose())

    let train
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onEpoch: EpochReport -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        // libtorch's generator, seeded with train.seed, held for the whole training
        TorchRandom.exclusive (int64 cfg.Train.Seed) ct (fun () -> epochLoop cfg device graphs features onEpoch ct)
