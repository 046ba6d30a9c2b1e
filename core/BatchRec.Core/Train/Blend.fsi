namespace BatchRec.Core.Train

open System
open System.Diagnostics
open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Eval

/// blend.itemItem ease: a factor model joined with an EASE item–item part, the weight chosen on validation.
[<RequireQualifiedAccess>]
module Blend =

    /// blend.itemItem ease: a trained factor model m joined with an EASE item–item part `weights` (from easeWeights,
    /// whose tuning points are `easePoints`), score = c · ⟨h_u, h_i⟩ + Σ_{j ∈ H(u)} B_ji with c = w · σ_B / σ_h (scoreScales) for the w of
    /// blend.weights that scores best on validation (eval.stopMetric@stopK; the first of equals). c is folded into
    /// the user factors, so the result scores like any model with an item–item part. Tuning = m's, the λ values,
    /// then one point per w ("blend=w").
    val blendWith:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        m: TrainedModel ->
        weights: float32 array ->
        easePoints: TuningPoint list ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            TrainedModel

    /// blendWith the EASE part easeWeights fits for `cfg` (its λ and side-information search).
    val blendWithEase:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        m: TrainedModel ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            TrainedModel
