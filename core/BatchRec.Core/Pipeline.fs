namespace BatchRec.Core

open System
open System.Threading
open TorchSharp
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval
open BatchRec.Core.Train

/// One metric of one split, as the metrics table stores it.
type MetricRecord =
    {
        Split: string
        Metric: string
        K: int
        Value: float
    }

/// A block of top-K lists with each row's reason item (index into the item map, -1 = none).
type ScoredBlock = { TopK: TopK; Reasons: int[] }

/// The narrow facade the C# jobs call: pure transformations from arrays to arrays, the device passed in.
[<RequireQualifiedAccess>]
module Pipeline =
    /// See Tensors.chooseDevice.
    let chooseDevice (preference: DeviceChoice) = Tensors.chooseDevice preference

    /// Sets TorchSharp's intra-op threads when `threads` > 0.
    let setThreads (threads: int) =
        if threads > 0 then
            torch.set_num_threads threads

    /// Snapshot from interned interactions: reorders rows canonically (user, timestamp, item, weight, in
    /// canonical index order) so the split does not depend on file order, then assigns the split.
    /// users/items are canonical indices into the given maps. O(E log E).
    let buildSnapshot
        (cfg: Config)
        (userIds: IdMap)
        (itemIds: IdMap)
        (users: int[])
        (items: int[])
        (timestamps: int64[])
        (weights: float32[])
        : Snapshot =
        let n = users.Length

        if items.Length <> n || timestamps.Length <> n || weights.Length <> n then
            invalidArg "items" "users, items, timestamps and weights must have the same length"

        let order = Array.init n id

        Array.Sort(
            order,
            Comparison(fun a b ->
                let c = compare users.[a] users.[b]

                if c <> 0 then
                    c
                else
                    let c = compare timestamps.[a] timestamps.[b]

                    if c <> 0 then
                        c
                    else
                        let c = compare items.[a] items.[b]

                        if c <> 0 then
                            c
                        else
                            let c = compare weights.[a] weights.[b]
                            if c <> 0 then c else compare a b)
        )

        let inter =
            {
                Users = order |> Array.map (fun e -> users.[e])
                Items = order |> Array.map (fun e -> items.[e])
                Timestamps = order |> Array.map (fun e -> timestamps.[e])
                Weights = order |> Array.map (fun e -> weights.[e])
            }

        {
            UserIds = userIds
            ItemIds = itemIds
            Interactions = inter
            Splits =
                if cfg.Eval.Mode = EvalMode.ColdItems then
                    Splitting.assignWithColdItems
                        cfg.Split.Valid
                        cfg.Split.Test
                        cfg.Train.Seed
                        userIds.Count
                        itemIds.Count
                        cfg.Eval.ColdFraction
                        inter.Users
                        inter.Items
                else
                    Splitting.assign cfg.Split.Valid cfg.Split.Test cfg.Train.Seed userIds.Count inter.Users
        }

    /// Snapshot from stored columns (the split already assigned).
    let restoreSnapshot
        (userIds: IdMap)
        (itemIds: IdMap)
        (users: int[])
        (items: int[])
        (timestamps: int64[])
        (weights: float32[])
        (splits: byte[])
        : Snapshot =
        {
            UserIds = userIds
            ItemIds = itemIds
            Interactions =
                {
                    Users = users
                    Items = items
                    Timestamps = timestamps
                    Weights = weights
                }
            Splits = splits |> Array.map (fun b -> LanguagePrimitives.EnumOfValue<byte, Split> b)
        }

    let splitGraphs (s: Snapshot) = SplitGraphs.ofSnapshot s

    /// Trains the configured model; `onEpoch` receives each epoch's report. `features` (text, attributes) are
    /// used by gat and gat-text; NodeFeatures.none otherwise.
    let train
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onEpoch: Action<EpochReport>)
        (ct: CancellationToken)
        =
        Trainer.train cfg device graphs features onEpoch.Invoke ct

    /// `train`, with each setting a model tries (EASE's λ values) reported to `onTuning` as it is scored.
    let trainTuned
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onEpoch: Action<EpochReport>)
        (onTuning: Action<TuningPoint>)
        (ct: CancellationToken)
        =
        Trainer.trainWith cfg device graphs features onEpoch.Invoke onTuning.Invoke ct

    /// EASE's B for `cfg` (EaseFit.easeWeights: λ and side information chosen on validation): the weights and every
    /// setting scored. It depends on the split and the features, not on train.seed.
    let easeWeights
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onTuning: Action<TuningPoint>)
        (ct: CancellationToken)
        =
        let weights, _, points =
            EaseFit.easeWeights cfg device graphs features onTuning.Invoke ct

        struct (weights, points)

    /// A trained factor model joined with EASE weights (Blend.blendWith: the blend weight chosen on validation).
    let blendWith
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (m: TrainedModel)
        (weights: float32[])
        (easePoints: TuningPoint list)
        (onTuning: Action<TuningPoint>)
        (ct: CancellationToken)
        =
        Blend.blendWith cfg device graphs m weights easePoints onTuning.Invoke ct

    /// Items with no training interaction: their embeddings come from text and attributes only (cold start).
    let coldItems (graphs: SplitGraphs) : bool[] =
        let warm = Array.zeroCreate graphs.Train.Cols

        for i in graphs.Train.ColIdx do
            warm.[i] <- true

        warm |> Array.map not

    /// A [values.Length / dim × dim] float32 tensor of row-major `values`: on the CPU one block copy into a new
    /// tensor, elsewhere torch.tensor.
    let private matrix (device: torch.Device) (values: float32[]) (dim: int) : torch.Tensor =
        let rows = int64 (values.Length / dim)

        if device.``type`` = DeviceType.CPU then
            let t = torch.empty ([| rows; int64 dim |], dtype = torch.float32)
            ReadOnlySpan<float32>(values).CopyTo(Runtime.InteropServices.MemoryMarshal.Cast<byte, float32>(t.bytes))
            t
        else
            use t0 = torch.tensor (values, device = device)
            t0.reshape (rows, int64 dim)

    /// The model's factors as [U, d] and [I, d] tensors on `device` ([U, 0] and [I, 0] for a model without any).
    let internal factorTensors (device: torch.Device) (m: TrainedModel) =
        if m.Dim = 0 then
            torch.zeros ([| int64 m.NumUsers; 0L |], dtype = torch.float32, device = device),
            torch.zeros ([| int64 m.NumItems; 0L |], dtype = torch.float32, device = device)
        else
            matrix device m.UserFactors m.Dim, matrix device m.ItemFactors m.Dim // [U, d], [I, d]

    /// The model's item–item weights as a [I, I] tensor on `device`, or None when it has none.
    let private weightsTensor (device: torch.Device) (m: TrainedModel) : torch.Tensor option =
        if m.ItemWeights.Length = 0 then
            None
        else
            Some(matrix device m.ItemWeights m.NumItems)

    /// How the reason item of a recommendation is chosen for this model (the output's reason_kind):
    /// "item-contribution" with an item–item part (Explain.contributions), "none" for popularity, else
    /// "embedding-cosine" (Explain.reasons).
    let similarItems (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (m: TrainedModel) features =
        SimilarItems.compute cfg.Search cfg.Score.Threads device graphs m features cfg.Score.SimilarItems

    let reasonKind (m: TrainedModel) =
        if m.ItemWeights.Length > 0 then "item-contribution"
        elif m.Kind = ModelKind.Popularity.Name then "none"
        else "embedding-cosine"

    /// The held-out items (ascending) and the cold interactions as a user × held-out-index CSR.
    let internal coldTruth (graphs: SplitGraphs) =
        let held =
            [|
                for i in 0 .. graphs.HeldOut.Length - 1 do
                    if graphs.HeldOut.[i] then
                        yield i
            |]

        let local = Array.create graphs.HeldOut.Length -1
        held |> Array.iteri (fun k i -> local.[i] <- k)
        let u, i, _ = Csr.toEdges graphs.Cold
        held, Bipartite.userItems graphs.Cold.Rows held.Length u (i |> Array.map (fun x -> local.[x]))

    /// eval.mode cold-items: each user with interactions on held-out items ranks the held-out items only (none
    /// of them was trained on); metrics at ColdKs over those interactions. Empty when nothing is held out.
    let private evaluateCold
        (cfg: Config)
        (ue: torch.Tensor)
        (ie: torch.Tensor)
        (w: torch.Tensor option)
        (graphs: SplitGraphs)
        : MetricRecord list =
        if graphs.Cold.Nnz = 0 then
            []
        else
            let held, truth = coldTruth graphs
            use idx = Tensors.indices ie.device held
            use sub = ie.index_select (0L, idx) // [H, d]

            use wSub =
                match w with
                | Some w -> w.index_select(1L, idx).contiguous()
                | None -> null // [I, H]: the held-out items' columns

            let ii =
                if isNull wSub then
                    None
                else
                    Some
                        {
                            Weights = wSub
                            History = graphs.Train
                        }

            let none = Csr.ofEdges graphs.Cold.Rows held.Length [||] [||] [||]

            [
                for v in
                    Evaluation.evaluateSampleWith
                        ii
                        ue
                        sub
                        none
                        truth
                        cfg.Eval.ColdKs
                        (Config.blockUsers cfg.Eval.UserChunk cfg.Score.BlockMiB held.Length)
                        0 ->
                    {
                        Split = "cold"
                        Metric = v.Metric
                        K = v.K
                        Value = v.Value
                    }
            ]

    /// Full-ranking metrics on valid (train masked) and test (train and valid masked), over every user of each split
    /// or eval.maxUsers of them (Evaluation.sampleUsers); in cold-items mode also
    /// the "cold" split (evaluateCold).
    let evaluate (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (m: TrainedModel) : MetricRecord list =
        let ue, ie = factorTensors device m
        use ue = ue
        use ie = ie
        let w = weightsTensor device m

        use _w =
            match w with
            | Some t -> t
            | None -> null
        // the item–item part reads the train split as the users' history for valid and test alike (as the factor
        // models, trained on it alone, see it)
        let ii = w |> Option.map (fun t -> { Weights = t; History = graphs.Train })

        [
            for split, exclude, truth in [ "valid", graphs.Train, graphs.Valid; "test", graphs.TrainValid, graphs.Test ] do
                for v in
                    Evaluation.evaluateSampleWith
                        ii
                        ue
                        ie
                        exclude
                        truth
                        cfg.Eval.Ks
                        (Config.blockUsers cfg.Eval.UserChunk cfg.Score.BlockMiB (int ie.shape.[0]))
                        cfg.Eval.MaxUsers do
                    yield
                        {
                            Split = split
                            Metric = v.Metric
                            K = v.K
                            Value = v.Value
                        }
            yield! evaluateCold cfg ue ie w graphs
        ]

    /// The validation eval.stopMetric@stopK of each validation user (Evaluation.sampleUsers of the valid split with
    /// eval.maxUsers, ascending), ranked as `evaluate` ranks them: what model.kind auto's paired comparison reads.
    let validScores (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (m: TrainedModel) : float[] =
        let ue, ie = factorTensors device m
        use ue = ue
        use ie = ie
        let w = weightsTensor device m

        use _w =
            match w with
            | Some t -> t
            | None -> null

        let ii = w |> Option.map (fun t -> { Weights = t; History = graphs.Train })

        Evaluation.perUserWith
            ii
            ue
            ie
            graphs.Train
            graphs.Valid
            cfg.Eval.StopMetric
            cfg.Eval.StopK
            (Config.blockUsers cfg.Eval.UserChunk cfg.Score.BlockMiB (int ie.shape.[0]))
            (Evaluation.sampleUsers graphs.Valid cfg.Eval.MaxUsers)

    /// Top-K for the users [start, start+count) (one scoring shard) over the items each has never interacted with,
    /// lazily in user blocks of Config.blockUsers (score.userChunk, score.blockMiB), each with a function that
    /// computes its rows' reason items (Explain.reasons over the user's whole history; -1 for popularity, whose 1-dim
    /// factors carry no similarity), so a caller can write a block's other columns while its reasons are computed.
    /// The reason functions need no tensor and stay valid after enumeration ends. On the CPU's sgemm path the top-K
    /// reads the model's factor arrays in place (TopK.topKBlockArrays); elsewhere factor tensors are made once and
    /// held until enumeration ends. Throws ArgumentException when the range is not inside 0..users.
    let scoreRangeDeferred
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (m: TrainedModel)
        (start: int)
        (count: int)
        : seq<TopK * (unit -> int[])> =
        let numUsers = m.NumUsers

        if start < 0 || count < 0 || start + count > numUsers then
            invalidArg "start" (sprintf "users [%d, %d) are not inside 0..%d" start (start + count) numUsers)

        seq {
            // on the CPU's sgemm path the top-K reads the factor arrays in place; elsewhere they become tensors once
            let inPlace = device.``type`` = DeviceType.CPU && TopK.blasAvailable ()
            let ue, ie = if inPlace then null, null else factorTensors device m
            use _ue = ue
            use _ie = ie
            let w = if inPlace then None else weightsTensor device m

            use _w =
                match w with
                | Some t -> t
                | None -> null
            // scoring reads every interaction as the users' history (graphs.All), the items it also excludes
            let ii = w |> Option.map (fun t -> { Weights = t; History = graphs.All })
            let numItems = m.NumItems
            let reasonKind = reasonKind m

            let inv =
                if reasonKind = "embedding-cosine" then
                    Explain.inverseNorms m.ItemFactors m.Dim
                else
                    [||]

            let chunk = Config.blockUsers cfg.Score.UserChunk cfg.Score.BlockMiB numItems

            for s in start..chunk .. start + count - 1 do
                let n = min chunk (start + count - s)

                let block =
                    if inPlace then
                        TopK.topKBlockArraysWith
                            cfg.Score.Threads
                            m.NumUsers
                            m.NumItems
                            m.UserFactors
                            m.ItemFactors
                            m.Dim
                            m.ItemWeights
                            graphs.All
                            graphs.All
                            cfg.Score.K
                            s
                            n
                    else
                        TopK.topKBlockWith ii ue ie graphs.All cfg.Score.K s n

                let reasons () =
                    match reasonKind with
                    | "item-contribution" ->
                        Explain.contributions cfg.Score.Threads m.ItemWeights numItems graphs.All block
                    | "embedding-cosine" -> Explain.reasons cfg.Score.Threads m.ItemFactors inv m.Dim graphs.All block
                    | _ -> Array.create block.Items.Length -1

                yield block, reasons
        }

    /// scoreRangeDeferred with each block's reasons computed: the top-K blocks of users [start, start+count), each
    /// row with its reason item. Concatenating the ranges of a partition of 0..users-1 gives `score`'s rows.
    let scoreRange
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (m: TrainedModel)
        (start: int)
        (count: int)
        : seq<ScoredBlock> =
        scoreRangeDeferred cfg device graphs m start count
        |> Seq.map (fun (block, reasons) -> { TopK = block; Reasons = reasons () })

    /// scoreRange over every user.
    let score (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (m: TrainedModel) : seq<ScoredBlock> =
        scoreRange cfg device graphs m 0 m.NumUsers

    /// The model's factors re-indexed for another snapshot: row r of the result is row `userRows.[r]` (`itemRows.[r]`)
    /// of `m`, or zeros where that is -1 (an id the model never saw). Used to evaluate a previous model on a new
    /// run's data. O((U + I)·dim). Throws ArgumentException for a row index outside the model.
    let remapFactors (m: TrainedModel) (userRows: int[]) (itemRows: int[]) : TrainedModel =
        let check (n: int) (rows: int[]) (name: string) =
            for s in rows do
                if s >= n || s < -1 then
                    invalidArg name (sprintf "row %d is outside 0..%d" s (n - 1))

        check m.NumUsers userRows "userRows"
        check m.NumItems itemRows "itemRows"

        let take (src: float32[]) (rows: int[]) =
            let dst = Array.zeroCreate (rows.Length * m.Dim)

            rows
            |> Array.iteri (fun r s ->
                if s >= 0 then
                    Array.blit src (s * m.Dim) dst (r * m.Dim) m.Dim)

            dst

        let weights =
            if m.ItemWeights.Length = 0 then
                [||]
            else
                // W'[r, c] = W[itemRows[r], itemRows[c]], zero where either item is new
                let n = itemRows.Length
                let dst = Array.zeroCreate (n * n)

                Threading.Tasks.Parallel.For(
                    0,
                    n,
                    fun r ->
                        let sr = itemRows.[r]

                        if sr >= 0 then
                            for c in 0 .. n - 1 do
                                let sc = itemRows.[c]

                                if sc >= 0 then
                                    dst.[r * n + c] <- m.ItemWeights.[sr * m.NumItems + sc]
                )
                |> ignore

                dst

        { m with
            NumUsers = userRows.Length
            NumItems = itemRows.Length
            UserFactors = take m.UserFactors userRows
            ItemFactors = take m.ItemFactors itemRows
            ItemWeights = weights
        }
