namespace BatchRec.Core.Train

open BatchRec.Core

[<RequireQualifiedAccess>]
module Popularity =
    let fit (cfg: Config) (graphs: SplitGraphs) : TrainedModel =
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
