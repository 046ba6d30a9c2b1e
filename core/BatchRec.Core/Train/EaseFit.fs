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
module EaseFit =
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

                let point =
                    Validation.point cfg graphs chunk (Some b) noUsers noItems (name setting) t

                onTuning point

                if
                    keepBest
                    && (points.Count = 0 || points |> Seq.forall (fun (_, p) -> point.Valid > p.Valid))
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

                        let point =
                            Validation.point cfg graphs chunk (Some p) noUsers noItems (sprintf "new items x%g" s) t

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

    let fit
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
