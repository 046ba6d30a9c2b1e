namespace BatchRec.Core.Train

open System
open System.Diagnostics
open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval

/// What the trainer reports after each epoch (the shell logs it).
type EpochReport =
    { Epoch: int
      Loss: float
      Seconds: float
      /// The early-stopping metric on validation, when this epoch was evaluated.
      Valid: float option
      Improved: bool }

/// A trained model's final embeddings, row-major float32, on the CPU.
type TrainedModel =
    { Kind: string
      Dim: int
      UserFactors: float32[]
      ItemFactors: float32[]
      BestEpoch: int
      EpochsRun: int
      BestValid: float
      StoppedEarly: bool
      SecondsPerEpoch: float }

/// The per-user item sets derived from a snapshot's split (user × item CSRs, binary).
type SplitGraphs =
    { Train: Csr
      Valid: Csr
      Test: Csr
      /// train ∪ valid: what test ranking excludes.
      TrainValid: Csr
      /// everything the user interacted with: what scoring excludes.
      All: Csr }

[<RequireQualifiedAccess>]
module SplitGraphs =
    /// O(E log E).
    let ofSnapshot (s: Snapshot) : SplitGraphs =
        let pick (keep: Split -> bool) =
            let idx = [| for e in 0 .. s.Interactions.Count - 1 do if keep s.Splits.[e] then yield e |]
            Bipartite.userItems s.NumUsers s.NumItems (idx |> Array.map (fun e -> s.Interactions.Users.[e])) (idx |> Array.map (fun e -> s.Interactions.Items.[e]))
        { Train = pick (fun x -> x = Split.Train)
          Valid = pick (fun x -> x = Split.Valid)
          Test = pick (fun x -> x = Split.Test)
          TrainValid = pick (fun x -> x <> Split.Test)
          All = pick (fun _ -> true) }

/// BPR training of LightGCN with RecBole's loss, full-graph propagation per batch and early stopping.
///
///     L = −mean_b log σ(ŷ(u,i⁺) − ŷ(u,i⁻)) + λ · (‖E⁰_u‖ + ‖E⁰_{i⁺}‖ + ‖E⁰_{i⁻}‖) / B
///
/// (RecBole's EmbLoss without the power: Frobenius norms of the batch's layer-0 rows, divided by the batch
/// size B.) One uniform negative per positive per epoch from items the user has not trained on; Adam.
/// Every `EvalEvery` epochs the validation metric (`StopMetric@StopK`, train items masked) is computed;
/// training stops after `Patience` evaluations without improvement and returns the best evaluation's
/// embeddings.
[<RequireQualifiedAccess>]
module Trainer =
    let private epochLoop (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (onEpoch: EpochReport -> unit) (ct: CancellationToken) =
        let t = cfg.Train
        let numUsers, numItems = graphs.Train.Rows, graphs.Train.Cols
        torch.manual_seed (int64 t.Seed) |> ignore
        let rng = Random(t.Seed)
        // training positives: (user, item) of the train CSR
        let posU, posI, _ = Csr.toEdges graphs.Train
        let adjCsr =
            Bipartite.adjacency numUsers numItems posU posI |> Normalize.symmetric
        use adj = Propagator.Create(device, adjCsr)
        let pUsers, pItems = LightGcn.init device numUsers numItems cfg.Model.Dim
        use pUsers = pUsers
        use pItems = pItems
        use opt = torch.optim.Adam([| pUsers; pItems |], lr = t.LearningRate)
        let mutable best : torch.Tensor option = None // [N, d], detached
        let mutable bestValid = Double.NegativeInfinity
        let mutable bestEpoch = 0
        let mutable badEvals = 0
        let mutable epoch = 0
        let mutable stop = false
        let mutable totalSeconds = 0.0
        let n = posU.Length
        let order = Array.init n id
        try
            while not stop && epoch < t.MaxEpochs do
                ct.ThrowIfCancellationRequested()
                epoch <- epoch + 1
                let sw = Stopwatch.StartNew()
                // shuffle positives, draw negatives (CPU, seeded)
                for i in n - 1 .. -1 .. 1 do
                    let j = rng.Next(i + 1)
                    let tmp = order.[i]
                    order.[i] <- order.[j]
                    order.[j] <- tmp
                let us = order |> Array.map (fun e -> posU.[e])
                let ps = order |> Array.map (fun e -> posI.[e])
                let ns = Sampling.negatives rng graphs.Train us
                let mutable lossSum = 0.0
                let mutable batches = 0
                for start in 0 .. t.BatchSize .. n - 1 do
                    ct.ThrowIfCancellationRequested()
                    let len = min t.BatchSize (n - start)
                    let keep = [| for b in start .. start + len - 1 do if ns.[b] >= 0 then yield b |]
                    if keep.Length > 0 then
                        use scope = torch.NewDisposeScope()
                        let u = Tensors.indices device (keep |> Array.map (fun b -> us.[b]))
                        let p = Tensors.indices device (keep |> Array.map (fun b -> ps.[b]))
                        let ng = Tensors.indices device (keep |> Array.map (fun b -> ns.[b]))
                        let all = LightGcn.embed adj cfg.Model.Layers pUsers pItems // [N, d]
                        let eu = all.index_select(0L, u) // [B, d]
                        let ep = all.index_select(0L, p + int64 numUsers)
                        let en = all.index_select(0L, ng + int64 numUsers)
                        let diff = (eu * ep).sum(1L) - (eu * en).sum(1L) // [B]
                        let bpr = -(torch.nn.functional.logsigmoid diff).mean()
                        let reg =
                            (pUsers.index_select(0L, u).norm() + pItems.index_select(0L, p).norm() + pItems.index_select(0L, ng).norm())
                            / float keep.Length
                        let loss = bpr + reg * t.L2
                        opt.zero_grad()
                        loss.backward()
                        opt.step() |> ignore
                        lossSum <- lossSum + float (loss.item<float32>())
                        batches <- batches + 1
                let trainSeconds = sw.Elapsed.TotalSeconds
                totalSeconds <- totalSeconds + trainSeconds
                let mutable valid = None
                let mutable improved = false
                if epoch % t.EvalEvery = 0 || epoch = t.MaxEpochs then
                    use _ng = torch.no_grad()
                    use scope = torch.NewDisposeScope()
                    let all = (LightGcn.embed adj cfg.Model.Layers pUsers pItems).MoveToOuterDisposeScope() // [N, d], kept if best
                    let ue = all.narrow(0L, 0L, int64 numUsers)
                    let ie = all.narrow(0L, int64 numUsers, int64 numItems)
                    let v =
                        Evaluation.evaluate ue ie graphs.Train graphs.Valid [ cfg.Eval.StopK ] cfg.Eval.UserChunk
                        |> List.find (fun m -> m.Metric = cfg.Eval.StopMetric)
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
                        if badEvals >= t.Patience then stop <- true
                onEpoch { Epoch = epoch; Loss = (if batches = 0 then 0.0 else lossSum / float batches); Seconds = trainSeconds; Valid = valid; Improved = improved }
            let final =
                match best with
                | Some b -> b
                | None ->
                    use _ng = torch.no_grad()
                    use scope = torch.NewDisposeScope()
                    (LightGcn.embed adj cfg.Model.Layers pUsers pItems).MoveToOuterDisposeScope()
            best <- Some final
            use ue = final.narrow(0L, 0L, int64 numUsers)
            use ie = final.narrow(0L, int64 numUsers, int64 numItems)
            { Kind = cfg.Model.Kind
              Dim = cfg.Model.Dim
              UserFactors = Tensors.toArray ue
              ItemFactors = Tensors.toArray ie
              BestEpoch = (if bestEpoch = 0 then epoch else bestEpoch)
              EpochsRun = epoch
              BestValid = (if Double.IsNegativeInfinity bestValid then 0.0 else bestValid)
              StoppedEarly = stop
              SecondsPerEpoch = (if epoch = 0 then 0.0 else totalSeconds / float epoch) }
        finally
            best |> Option.iter (fun b -> b.Dispose())

    /// Trains the configured model on the snapshot's train split. Deterministic for a config and seed on
    /// one device. Throws OperationCanceledException when `ct` is cancelled (checked per batch).
    let train (cfg: Config) (device: torch.Device) (graphs: SplitGraphs) (onEpoch: EpochReport -> unit) (ct: CancellationToken) : TrainedModel =
        match cfg.Model.Kind with
        | "lightgcn" -> epochLoop cfg device graphs onEpoch ct
        | other -> invalidArg "cfg" (sprintf "model.kind '%s' is not trainable" other)
