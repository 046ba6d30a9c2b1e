namespace BatchRec.Core.Train

open System
open System.Diagnostics
open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval

/// EASE's fit (model.kind ease, and the item–item part of a blend): B with its settings chosen on validation.
[<RequireQualifiedAccess>]
module EaseFit =

    /// Refuses an EASE fit whose two items × items matrices would exceed ease.maxGiB, naming both figures.
    val checkEaseBudget: cfg: Config -> numItems: int -> unit

    /// EASE's B on the train split (Nn/Ease) with its settings chosen on validation (eval.stopMetric@stopK, train
    /// items masked, history = the train split), by coordinate search: λ over ease.lambdas with the first tag and
    /// text weights; then the tag weight over ease.tagWeights (G += w FᵀF, the item attributes), then the text
    /// weight over ease.textWeights (G += w TTᵀ, the item text vectors), each with the settings chosen before it.
    /// Every setting scored is reported to `onTuning` ("lambda=200 tags=5 text=20"); the first of equal scores
    /// wins. The chosen setting's B is returned as row-major floats with its position among the points: kept from its
    /// fit when a third items² matrix fits ease.maxGiB, else fitted again, so at most two items² matrices exist at a
    /// time during a fit (memory Ease.fitBytes; G is rebuilt for every fit, O(Σ_u |x_u|²)).
    val easeWeights:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            float32 array * int * TuningPoint list

    /// EASE as a model (model.kind ease): easeWeights alone, no factors. Epochs = the λ values fitted; best epoch =
    /// the chosen λ's position (1-based).
    val fit:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            TrainedModel
