namespace BatchRec.Core.Train

open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

[<RequireQualifiedAccess>]
module Trainer =
    let trainWith
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onEpoch: EpochReport -> unit)
        (onTuning: TuningPoint -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        // the kind's properties (Choices.fs) route it: a factor model is built by FactorTraining.createModel
        match cfg.Model.Kind with
        | ModelKind.Auto -> invalidArg "cfg" "model.kind auto trains its candidates, each with Config.forModel"
        | kind when ModelKind.isFactorModel kind ->
            // a blend's EASE part is refused before the factor model trains, not after
            if cfg.Blend.ItemItem = ItemItemPart.Ease then
                EaseFit.checkEaseBudget cfg graphs.Train.Cols

            let m = FactorTraining.train cfg device graphs features onEpoch ct

            match cfg.Blend.ItemItem with
            | ItemItemPart.Ease -> Blend.blendWithEase cfg device graphs features m onTuning ct
            | ItemItemPart.None -> m
        | ModelKind.Popularity -> Popularity.fit cfg graphs
        | ModelKind.Ease -> EaseFit.fit cfg device graphs features onTuning ct
        | kind -> invalidOp (sprintf "model.kind '%s' is no factor model and has no fit in Trainer.trainWith" kind.Name)

    let train
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (onEpoch: EpochReport -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        trainWith cfg device graphs features onEpoch ignore ct
