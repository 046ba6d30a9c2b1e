namespace BatchRec.Core.Train

open System.Diagnostics
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Eval

/// How a fit's settings (an EASE λ, a side-information weight, a new-items scale, a blend weight) are scored.
[<RequireQualifiedAccess>]
module Validation =

    /// One setting's tuning point: eval.stopMetric@stopK on the validation split (Evaluation.evaluateSampleWith over
    /// eval.maxUsers users in chunks of `chunk`, train items masked), for the user and item factors and the item–item
    /// part `ii` (history: the train split), with the seconds `started` has run (the setting's fit and its scoring).
    val point:
        cfg: Config ->
        graphs: SplitGraphs ->
        chunk: int ->
        ii: torch.Tensor option ->
        users: torch.Tensor ->
        items: torch.Tensor ->
        setting: string ->
        started: Stopwatch ->
            TuningPoint
