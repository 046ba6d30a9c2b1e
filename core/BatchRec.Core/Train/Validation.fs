namespace BatchRec.Core.Train

open System.Diagnostics
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Eval

[<RequireQualifiedAccess>]
module Validation =
    let point
        (cfg: Config)
        (graphs: SplitGraphs)
        (chunk: int)
        (ii: torch.Tensor option)
        (users: torch.Tensor)
        (items: torch.Tensor)
        (setting: string)
        (started: Stopwatch)
        : TuningPoint =
        let v =
            Evaluation.evaluateSampleWith
                (ii |> Option.map (fun w -> { Weights = w; History = graphs.Train }))
                users
                items
                graphs.Train
                graphs.Valid
                [ cfg.Eval.StopK ]
                chunk
                cfg.Eval.MaxUsers
            |> List.find (fun m -> m.Metric = cfg.Eval.StopMetric.Name)

        {
            Setting = setting
            Split = "valid"
            Valid = v.Value
            Seconds = started.Elapsed.TotalSeconds
        }
