namespace BatchRec.Core.Train

open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

/// The registry of model kinds' training: each kind to its fit (FactorTraining, EaseFit, Popularity), then the
/// blend of its EASE part when blend.itemItem is ease.
[<RequireQualifiedAccess>]
module Trainer =

    /// Trains the configured model on the snapshot's train split. Deterministic for a config and seed on
    /// one device, also when other trainings are requested in the same process: they wait for this one
    /// (TorchRandom). Throws OperationCanceledException when `ct` is cancelled (while waiting, or checked per batch).
    val trainWith:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onEpoch: (EpochReport -> unit) ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            TrainedModel

    /// trainWith, ignoring tuning reports.
    val train:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onEpoch: (EpochReport -> unit) ->
        ct: CancellationToken ->
            TrainedModel
