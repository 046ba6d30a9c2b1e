namespace BatchRec.Core.Train

open BatchRec.Core
open BatchRec.Core.Graph

type EpochReport =
    {
        Epoch: int
        Loss: float
        Seconds: float
        Valid: float option
        Improved: bool
    }

type TuningPoint =
    {
        Setting: string
        Split: string
        Valid: float
        Seconds: float
    }

type TrainedModel =
    {
        Kind: string
        NumUsers: int
        NumItems: int
        Dim: int
        UserFactors: float32[]
        ItemFactors: float32[]
        ItemWeights: float32[]
        BestEpoch: int
        EpochsRun: int
        BestValid: float
        StoppedEarly: bool
        SecondsPerEpoch: float
        Tuning: TuningPoint list
    }

type SplitGraphs =
    {
        Train: Csr
        TrainWeighted: Csr
        Valid: Csr
        Test: Csr
        TrainValid: Csr
        All: Csr
        Cold: Csr
        HeldOut: bool[]
    }

[<RequireQualifiedAccess>]
module SplitGraphs =
    let ofSnapshot (s: Snapshot) : SplitGraphs =
        let idx (keep: Split -> bool) =
            [|
                for e in 0 .. s.Interactions.Count - 1 do
                    if keep s.Splits.[e] then
                        yield e
            |]

        let pick (keep: Split -> bool) =
            let idx = idx keep

            Bipartite.userItems
                s.NumUsers
                s.NumItems
                (idx |> Array.map (fun e -> s.Interactions.Users.[e]))
                (idx |> Array.map (fun e -> s.Interactions.Items.[e]))

        let trainIdx = idx (fun x -> x = Split.Train)
        let heldOut = Array.zeroCreate s.NumItems

        for e in 0 .. s.Interactions.Count - 1 do
            if s.Splits.[e] = Split.Cold then
                heldOut.[s.Interactions.Items.[e]] <- true

        {
            Train = pick (fun x -> x = Split.Train)
            TrainWeighted =
                Csr.ofEdges
                    s.NumUsers
                    s.NumItems
                    (trainIdx |> Array.map (fun e -> s.Interactions.Users.[e]))
                    (trainIdx |> Array.map (fun e -> s.Interactions.Items.[e]))
                    (trainIdx |> Array.map (fun e -> s.Interactions.Weights.[e]))
            Valid = pick (fun x -> x = Split.Valid)
            Test = pick (fun x -> x = Split.Test)
            TrainValid = pick (fun x -> x = Split.Train || x = Split.Valid)
            All = pick (fun _ -> true)
            Cold = pick (fun x -> x = Split.Cold)
            HeldOut = heldOut
        }
