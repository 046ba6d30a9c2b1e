namespace BatchRec.Core.Train

open System
open System.Diagnostics
open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval

type EpochReport =
    {
        Epoch: int
        Loss: float
        Seconds: float
        Valid: float option
        Improved: bool
    }

type TuningPoint =
    {
        Setting: string
        Split: string
        Valid: float
        Seconds: float
    }

type TrainedModel =
    {
        Kind: string
        NumUsers: int
        NumItems: int
        Dim: int
        UserFactors: float32[]
        ItemFactors: float32[]
        ItemWeights: float32[]
        BestEpoch: int
        EpochsRun: int
        BestValid: float
        StoppedEarly: bool
        SecondsPerEpoch: float
        Tuning: TuningPoint list
    }

type SplitGraphs =
    {
        Train: Csr
        TrainWeighted: Csr
        Valid: Csr
        Test: Csr
        TrainValid: Csr
        All: Csr
        Cold: Csr
        HeldOut: bool[]
    }

[<RequireQualifiedAccess>]
module SplitGraphs =
    let ofSnapshot (s: Snapshot) : SplitGraphs =
        let idx (keep: Split -> bool) =
            [|
                for e in 0 .. s.Interactions.Count - 1 do
                    if keep s.Splits.[e] then
                        yield e
            |]

        let pick (keep: Split -> bool) =
            let idx = idx keep

            Bipartite.userItems
                s.NumUsers
                s.NumItems
                (idx |> Array.map (fun e -> s.Interactions.Users.[e]))
                (idx |> Array.map (fun e -> s.Interactions.Items.[e]))

        let trainIdx = idx (fun x -> x = Split.Train)
        let heldOut = Array.zeroCreate s.NumItems

        for e in 0 .. s.Interactions.Count - 1 do
            if s.Splits.[e] = Split.Cold then
                heldOut.[s.Interactions.Items.[e]] <- true

        {
            Train = pick (fun x -> x = Split.Train)
            TrainWeighted =
                Csr.ofEdges
                    s.NumUsers
                    s.NumItems
                    (trainIdx |> Array.map (fun e -> s.Interactions.Users.[e]))
                    (trainIdx |> Array.map (fun e -> s.Interactions.Items.[e]))
                    (trainIdx |> Array.map (fun e -> s.Interactions.Weights.[e]))
            Valid = pick (fun x -> x = Split.Valid)
            Test = pick (fun x -> x = Split.Test)
            TrainValid = pick (fun x -> x = Split.Train || x = Split.Valid)
            All = pick (fun _ -> true)
            Cold = pick (fun x -> x = Split.Cold)
            HeldOut = heldOut
        }

[<RequireQualifiedAccess>]
module Trainer =
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
        | ModelKind.Popularity
        | ModelKind.Ease
        | ModelKind.Auto -> invalidArg "cfg" (sprintf "model.kind '%s' has no embeddings to train" m.Kind.Name)

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

    let popularity (cfg: Config) (graphs: SplitGraphs) : TrainedModel =
        let counts = Array.zeroCreate<float32> graphs.Train.Cols

        for i in graphs.Train.ColIdx do
            counts.[i] <- counts.[i] + 1.0f

        {
            Kind = cfg.Model.Kind.Name
            NumUsers = graphs.Train.Rows
            NumItems = graphs.Train.Cols
            Dim = 1
            UserFactors = Array.create graphs.Train.Rows 1.0f
            ItemFactors = counts
            ItemWeights = [||]
            BestEpoch = 0
            EpochsRun = 0
            BestValid = 0.0
            StoppedEarly = false
            SecondsPerEpoch = 0.0
            Tuning = []
        }

    let checkEaseBudget (cfg: Config) (numItems: int) =
        if numItems > Ease.maxItems then
            invalidOp (
                sprintf
                    "ease fits at most %d items (B, 4 · items² bytes, is copied through one .NET span), the train split has %d; choose another model.kind"
                    Ease.maxItems
                    numItems
            )

        let need = Ease.fitBytes numItems
        let budget = cfg.Ease.MaxGiB * 1073741824.0

        if float need > budget then
            invalidOp (
                sprintf
                    "ease needs %.2f GiB to fit %d items (two %d × %d float32 matrices), more than ease.maxGiB = %g; raise ease.maxGiB or choose another model.kind"
                    (float need / 1073741824.0)
                    numItems
                    numItems
                    numItems
                    cfg.Ease.MaxGiB
            )

    /// The items' content for EASE's content map (ease.coldItems content): the text vectors and the attributes as
    /// one-hot columns ([I, TextDim + A] on `device`; attributes left out beyond 2,048 of them, which would make the
    /// map's d_f × d_f inverse dear), or None when the items have neither.
    let private contentFeatures (device: torch.Device) (features: NodeFeatures) : torch.Tensor option =
        let n = features.ItemHasText.Length
        let hasText = features.TextDim > 0 && features.ItemHasText |> Array.exists id

        let attrs =
            if features.NumAttributes > 0 && features.NumAttributes <= 2048 then
                features.NumAttributes
            else
                0

        if not hasText && attrs = 0 then
            None
        else
            let dt = if hasText then features.TextDim else 0
            let d = dt + attrs
            let values = Array.zeroCreate<float32>(n * d)

            if hasText then
                for i in 0 .. n - 1 do
                    Array.blit features.ItemText (i * dt) values (i * d) dt

            if attrs > 0 then
                let ia = features.ItemAttributes

                for i in 0 .. n - 1 do
                    for q in ia.RowPtr.[i] .. ia.RowPtr.[i + 1] - 1 do
                        values.[i * d + dt + ia.ColIdx.[q]] <- 1.0f

            Some(torch.tensor(values, device = device).reshape(int64 n, int64 d))

    /// The content map's ridge μ (ease.contentRidges), chosen on pseudo-new items, since no new item has interactions
    /// to validate against: a fixed-seed 10% of the items with training interactions (at least one) are removed from
    /// X, EASE is fitted without them (`gramOf` of the reduced rows, the chosen λ and side information), and each μ's
    /// map ranks those items for the users who interacted with them in training (eval.stopMetric@stopK, the removed
    /// items only). Returns the best μ (the first of equals) and one point per μ ("content mu=10").
    let private contentRidge
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (gramOf: Csr -> torch.Tensor)
        (lambda: float)
        (f: torch.Tensor)
        (ct: CancellationToken)
        : float * TuningPoint list =
        let numUsers, numItems = graphs.Train.Rows, graphs.Train.Cols
        let hasTrain = Array.zeroCreate numItems

        for i in graphs.Train.ColIdx do
            hasTrain.[i] <- true

        let warmItems =
            [|
                for i in 0 .. numItems - 1 do
                    if hasTrain.[i] then
                        yield i
            |]

        let rng = Random(2020)

        let pseudo =
            warmItems
            |> Array.sortBy (fun _ -> rng.Next())
            |> Array.truncate (max 1 (warmItems.Length / 10))
            |> Array.sort

        let isPseudo = Array.zeroCreate numItems

        for i in pseudo do
            isPseudo.[i] <- true

        let u, i, _ = Csr.toEdges graphs.Train

        let keep =
            [|
                for e in 0 .. u.Length - 1 do
                    if not isPseudo.[i.[e]] then
                        yield e
            |]

        let reduced =
            Bipartite.userItems
                numUsers
                numItems
                (keep |> Array.map (fun e -> u.[e]))
                (keep |> Array.map (fun e -> i.[e]))

        let local = Array.create numItems -1
        pseudo |> Array.iteri (fun k item -> local.[item] <- k)

        let held =
            [|
                for e in 0 .. u.Length - 1 do
                    if isPseudo.[i.[e]] then
                        yield e
            |]

        let truth =
            Bipartite.userItems
                numUsers
                pseudo.Length
                (held |> Array.map (fun e -> u.[e]))
                (held |> Array.map (fun e -> local.[i.[e]]))

        use p = Ease.inverse (gramOf reduced) lambda
        use x = Tensors.sparse device reduced
        use fq = f.index_select (0L, Tensors.indices device pseudo)
        let none = Csr.ofEdges numUsers pseudo.Length [||] [||] [||]

        let rest =
            [|
                for item in warmItems do
                    if not isPseudo.[item] then
                        yield item
            |]

        let points =
            [
                for mu in cfg.Ease.ContentRidges do
                    ct.ThrowIfCancellationRequested()
                    let t = Stopwatch.StartNew()
                    use scope = torch.NewDisposeScope()
                    let a = Ease.contentMap p lambda rest f mu // [I, d_f]
                    let q = x.mm (a) // [U, d_f]: each user's taste in content space

                    let v =
                        Evaluation.evaluateSample
                            q
                            fq
                            none
                            truth
                            [ cfg.Eval.StopK ]
                            (Config.blockUsers cfg.Eval.UserChunk cfg.Score.BlockMiB pseudo.Length)
                            cfg.Eval.MaxUsers
                        |> List.find (fun m -> m.Metric = cfg.Eval.StopMetric.Name)

                    yield
                        mu,
                        {
                            Setting = sprintf "content mu=%g (pseudo-new items)" mu
                            Split = "pseudo-new"
                            Valid = v.Value
                            Seconds = t.Elapsed.TotalSeconds
                        }
            ]

        let bestAt =
            points
            |> List.mapi (fun k (_, pt) -> k, pt.Valid)
            |> List.maxBy (fun (k, v) -> v, -k)
            |> fst

        fst points.[bestAt], List.map snd points

    let easeWeights
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onTuning: TuningPoint -> unit)
        (ct: CancellationToken)
        : float32[] * int * TuningPoint list =
        let numUsers, numItems = graphs.Train.Rows, graphs.Train.Cols
        checkEaseBudget cfg numItems
        // a side weight is only tried where its features exist
        let tagWeights =
            if features.NumAttributes > 0 then
                cfg.Ease.TagWeights
            else
                [ 0.0 ]

        let textWeights =
            if features.TextDim > 0 && features.ItemHasText |> Array.exists id then
                cfg.Ease.TextWeights
            else
                [ 0.0 ]

        let gramOfRows (x: Csr) (tags: float) (text: float) : torch.Tensor =
            let g = Ease.gram x

            if tags > 0.0 then
                Ease.addFeatureGram g features.ItemAttributes tags

            let g =
                if device.``type`` = DeviceType.CPU then
                    g
                else
                    (let d = g.``to`` (device) in
                     g.Dispose()
                     d)

            if text > 0.0 then
                use t =
                    torch.tensor(features.ItemText, device = device).reshape(int64 numItems, int64 features.TextDim)

                Ease.addTextGram g t text

            g

        let gramOf (tags: float) (text: float) : torch.Tensor = gramOfRows graphs.Train tags text

        use noUsers =
            torch.zeros ([| int64 numUsers; 0L |], dtype = torch.float32, device = device)

        use noItems =
            torch.zeros ([| int64 numItems; 0L |], dtype = torch.float32, device = device)

        let chunk = Config.blockUsers cfg.Eval.UserChunk cfg.Score.BlockMiB numItems
        let points = ResizeArray<(float * float * float) * TuningPoint>()

        let name (lambda: float, tags: float, text: float) =
            [
                yield sprintf "lambda=%g" lambda
                if tagWeights <> [ 0.0 ] then
                    yield sprintf "tags=%g" tags
                if textWeights <> [ 0.0 ] then
                    yield sprintf "text=%g" text
            ]
            |> String.concat " "

        let warm = Array.zeroCreate numItems

        for i in graphs.Train.ColIdx do
            warm.[i] <- true
        // with the content map the chosen setting is refitted anyway (its P is needed, not only B)
        let contentPath = cfg.Ease.ColdItems = NewItems.Content && warm |> Array.exists not
        // the best B so far is kept as floats when a third items² matrix fits ease.maxGiB, so it need not be fitted again
        let keepBest =
            not contentPath
            && float (Ease.fitBytes numItems / 2L * 3L) <= cfg.Ease.MaxGiB * 1073741824.0

        let mutable kept: float32[] = [||]
        // scores every setting (λ, tags, text); each fit consumes a G built for it
        let scoreAll (settings: (float * float * float) list) =
            for (lambda, tags, text) as setting in settings do
                ct.ThrowIfCancellationRequested()
                let t = Stopwatch.StartNew()
                use b = Ease.fit (gramOf tags text) lambda

                let v =
                    Evaluation.evaluateSampleWith
                        (Some { Weights = b; History = graphs.Train })
                        noUsers
                        noItems
                        graphs.Train
                        graphs.Valid
                        [ cfg.Eval.StopK ]
                        chunk
                        cfg.Eval.MaxUsers
                    |> List.find (fun m -> m.Metric = cfg.Eval.StopMetric.Name)

                let point =
                    {
                        Setting = name setting
                        Split = "valid"
                        Valid = v.Value
                        Seconds = t.Elapsed.TotalSeconds
                    }

                onTuning point

                if
                    keepBest
                    && (points.Count = 0 || points |> Seq.forall (fun (_, p) -> v.Value > p.Valid))
                then
                    kept <- Tensors.toArray b

                points.Add(setting, point)

        let best () =
            points
            |> Seq.mapi (fun i (s, p) -> i, s, p.Valid)
            |> Seq.maxBy (fun (i, _, v) -> v, -i)

        let tag0, text0 = List.head tagWeights, List.head textWeights
        scoreAll [ for l in cfg.Ease.Lambdas -> l, tag0, text0 ]
        let _, (lambda, _, _), _ = best ()

        for tags in List.tail tagWeights do
            scoreAll [ lambda, tags, text0 ]

        let _, (_, tags, _), _ = best ()

        for text in List.tail textWeights do
            scoreAll [ lambda, tags, text ]

        let bestAt, (lambda, tags, text), _ = best ()

        let content =
            if contentPath then
                contentFeatures device features
            else
                None

        match content with
        | None ->
            let weights =
                if keepBest then
                    kept
                else
                    use b = Ease.fit (gramOf tags text) lambda
                    Tensors.toArray b

            weights, bestAt, [ for _, p in points -> p ]
        | Some f ->
            use f = f

            let mu, mus =
                contentRidge cfg device graphs (fun x -> gramOfRows x tags text) lambda f ct

            for p in mus do
                onTuning p

            use p = Ease.inverse (gramOf tags text) lambda

            use a =
                Ease.contentMap
                    p
                    lambda
                    [|
                        for i in 0 .. numItems - 1 do
                            if warm.[i] then
                                yield i
                    |]
                    f
                    mu // [I, d_f]

            (Ease.ofInverse p).Dispose() // p is B now
            // each new item's column: A f_j (its row stays zero: nobody has it in a training history)
            let cold =
                [|
                    for i in 0 .. numItems - 1 do
                        if not warm.[i] then
                            yield i
                |]

            use coldIdx = Tensors.indices device cold
            use cols = a.mm (f.index_select(0L, coldIdx).t()) // [I, |cold|]
            use zero = torch.zeros ([| 1L |], dtype = torch.float32, device = device)

            let setCold (s: float) =
                use scaled = cols .* s
                p.index_copy_ (1L, coldIdx, scaled) |> ignore
                p.index_put_ (zero, [| coldIdx; coldIdx |]) |> ignore // a zero diagonal, as every column's
            // the map's columns are on (I − λP)'s scale, not B's: their factor is chosen on validation, new and warm
            // items in one ranking (the new items' order among themselves, all that a cold ranking sees, is the same)
            let scales =
                [
                    for s in cfg.Ease.ColdScales do
                        ct.ThrowIfCancellationRequested()
                        let t = Stopwatch.StartNew()
                        setCold s

                        let v =
                            Evaluation.evaluateSampleWith
                                (Some { Weights = p; History = graphs.Train })
                                noUsers
                                noItems
                                graphs.Train
                                graphs.Valid
                                [ cfg.Eval.StopK ]
                                chunk
                                cfg.Eval.MaxUsers
                            |> List.find (fun m -> m.Metric = cfg.Eval.StopMetric.Name)

                        let point =
                            {
                                Setting = sprintf "new items x%g" s
                                Split = "valid"
                                Valid = v.Value
                                Seconds = t.Elapsed.TotalSeconds
                            }

                        onTuning point
                        yield s, point
                ]

            let bestScale =
                scales
                |> List.mapi (fun k (s, pt) -> (pt.Valid, -k), s)
                |> List.maxBy fst
                |> snd

            setCold bestScale
            Tensors.toArray p, bestAt, [ for _, pt in points -> pt ] @ mus @ List.map snd scales

    let ease
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onTuning: TuningPoint -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        let sw = Stopwatch.StartNew()
        let weights, bestAt, points = easeWeights cfg device graphs features onTuning ct

        {
            Kind = cfg.Model.Kind.Name
            NumUsers = graphs.Train.Rows
            NumItems = graphs.Train.Cols
            Dim = 0
            UserFactors = [||]
            ItemFactors = [||]
            ItemWeights = weights
            BestEpoch = bestAt + 1
            EpochsRun = points.Length
            BestValid = points.[bestAt].Valid
            StoppedEarly = false
            SecondsPerEpoch = sw.Elapsed.TotalSeconds / float points.Length
            Tuning = points
        }

    /// The standard deviation of the scores of the first (at most) 256 users with train items against every item,
    /// for the factors (u [U, d], i [I, d]) and for the item–item part (w [I, I] over the train history): the two
    /// scales blend.weights are relative to. O(256 · I · (d + I)).
    let private scoreScales
        (device: torch.Device)
        (graphs: SplitGraphs)
        (u: torch.Tensor)
        (i: torch.Tensor)
        (w: torch.Tensor)
        : float * float =
        use scope = torch.NewDisposeScope()

        let users =
            [|
                for r in 0 .. graphs.Train.Rows - 1 do
                    if graphs.Train.RowPtr.[r + 1] > graphs.Train.RowPtr.[r] then
                        yield r
            |]
            |> Array.truncate 256

        let src = ResizeArray<int>()
        let dst = ResizeArray<int>()

        users
        |> Array.iteri (fun r user ->
            for p in graphs.Train.RowPtr.[user] .. graphs.Train.RowPtr.[user + 1] - 1 do
                (src.Add r
                 dst.Add graphs.Train.ColIdx.[p]))

        let h =
            Tensors.sparse
                device
                (Csr.ofEdges
                    users.Length
                    graphs.Train.Cols
                    (src.ToArray())
                    (dst.ToArray())
                    (Array.create src.Count 1.0f))

        let f = u.index_select(0L, Tensors.indices device users).mm(i.t ())
        let e = h.mm (w)
        float (f.std().item<float32>()), float (e.std().item<float32>())

    let blendWith
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (m: TrainedModel)
        (weights: float32[])
        (easePoints: TuningPoint list)
        (onTuning: TuningPoint -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        use scope = torch.NewDisposeScope()

        let u =
            torch.tensor(m.UserFactors, device = device).reshape(int64 m.NumUsers, int64 m.Dim)

        let i =
            torch.tensor(m.ItemFactors, device = device).reshape(int64 m.NumItems, int64 m.Dim)

        let w =
            torch.tensor(weights, device = device).reshape(int64 m.NumItems, int64 m.NumItems)

        let sh, sb = scoreScales device graphs u i w

        let scaleOf (blend: float) =
            if sh > 0.0 then blend * sb / sh else 0.0

        let chunk = Config.blockUsers cfg.Eval.UserChunk cfg.Score.BlockMiB m.NumItems

        let points =
            [
                for blend in cfg.Blend.Weights do
                    ct.ThrowIfCancellationRequested()
                    let t = Stopwatch.StartNew()
                    use scaled = u .* scaleOf blend

                    let v =
                        Evaluation.evaluateSampleWith
                            (Some { Weights = w; History = graphs.Train })
                            scaled
                            i
                            graphs.Train
                            graphs.Valid
                            [ cfg.Eval.StopK ]
                            chunk
                            cfg.Eval.MaxUsers
                        |> List.find (fun x -> x.Metric = cfg.Eval.StopMetric.Name)

                    let point =
                        {
                            Setting = sprintf "blend=%g" blend
                            Split = "valid"
                            Valid = v.Value
                            Seconds = t.Elapsed.TotalSeconds
                        }

                    onTuning point
                    yield blend, point
            ]

        let bestAt =
            points
            |> List.mapi (fun k (_, p) -> k, p.Valid)
            |> List.maxBy (fun (k, v) -> v, -k)
            |> fst

        let c = float32 (scaleOf (fst points.[bestAt]))

        { m with
            UserFactors = m.UserFactors |> Array.map (fun x -> x * c)
            ItemWeights = weights
            BestValid = (snd points.[bestAt]).Valid
            Tuning = m.Tuning @ easePoints @ List.map snd points
        }

    let blendWithEase
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (m: TrainedModel)
        (onTuning: TuningPoint -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        let weights, _, easePoints = easeWeights cfg device graphs features onTuning ct
        blendWith cfg device graphs m weights easePoints onTuning ct

    let trainWith
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onEpoch: EpochReport -> unit)
        (onTuning: TuningPoint -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        match cfg.Model.Kind with
        | ModelKind.Popularity -> popularity cfg graphs
        | ModelKind.Ease -> ease cfg device graphs features onTuning ct
        | ModelKind.Auto -> invalidArg "cfg" "model.kind auto trains its candidates, each with Config.forModel"
        | ModelKind.BprMf
        | ModelKind.LightGcn
        | ModelKind.Gat
        | ModelKind.GatText ->
            // a blend's EASE part is refused before the factor model trains, not after
            if cfg.Blend.ItemItem = ItemItemPart.Ease then
                checkEaseBudget cfg graphs.Train.Cols

            // libtorch's generator, seeded with train.seed, held for the whole training (TorchRandom)
            let m =
                TorchRandom.exclusive (int64 cfg.Train.Seed) ct (fun () ->
                    epochLoop cfg device graphs features onEpoch ct)

            match cfg.Blend.ItemItem with
            | ItemItemPart.Ease -> blendWithEase cfg device graphs features m onTuning ct
            | ItemItemPart.None -> m

    let train
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onEpoch: EpochReport -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        trainWith cfg device graphs features onEpoch ignore ct
