namespace BatchRec.Core.Train

open System
open System.Diagnostics
open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval

[<RequireQualifiedAccess>]
module Blend =
    /// The standard deviation of the scores of the first (at most) 256 users with train items against every item,
    /// for the factors (u [U, d], i [I, d]) and for the item–item part (w [I, I] over the train history): the two
    /// scales blend.weights are relative to. O(256 · I · (d + I)).
    let private scoreScales
        (device: torch.Device)
        (graphs: SplitGraphs)
        (u: torch.Tensor)
        (i: torch.Tensor)
        (w: torch.Tensor)
        : float * float =
        use scope = torch.NewDisposeScope()

        let users =
            [|
                for r in 0 .. graphs.Train.Rows - 1 do
                    if graphs.Train.RowPtr.[r + 1] > graphs.Train.RowPtr.[r] then
                        yield r
            |]
            |> Array.truncate 256

        let h = Tensors.sparse device (Csr.binaryRows graphs.Train users)

        let f = u.index_select(0L, Tensors.indices device users).mm(i.t ())
        let e = h.mm (w)
        float (f.std().item<float32>()), float (e.std().item<float32>())

    let blendWith
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (m: TrainedModel)
        (weights: float32[])
        (easePoints: TuningPoint list)
        (onTuning: TuningPoint -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        use scope = torch.NewDisposeScope()

        let u =
            torch.tensor(m.UserFactors, device = device).reshape(int64 m.NumUsers, int64 m.Dim)

        let i =
            torch.tensor(m.ItemFactors, device = device).reshape(int64 m.NumItems, int64 m.Dim)

        let w =
            torch.tensor(weights, device = device).reshape(int64 m.NumItems, int64 m.NumItems)

        let sh, sb = scoreScales device graphs u i w

        let scaleOf (blend: float) =
            if sh > 0.0 then blend * sb / sh else 0.0

        let chunk = Config.blockUsers cfg.Eval.UserChunk cfg.Score.BlockMiB m.NumItems

        let points =
            [
                for blend in cfg.Blend.Weights do
                    ct.ThrowIfCancellationRequested()
                    let t = Stopwatch.StartNew()
                    use scaled = u .* scaleOf blend

                    let point =
                        Validation.point cfg graphs chunk (Some w) scaled i (sprintf "blend=%g" blend) t

                    onTuning point
                    yield blend, point
            ]

        let bestAt =
            points
            |> List.mapi (fun k (_, p) -> k, p.Valid)
            |> List.maxBy (fun (k, v) -> v, -k)
            |> fst

        let c = float32 (scaleOf (fst points.[bestAt]))

        { m with
            UserFactors = m.UserFactors |> Array.map (fun x -> x * c)
            ItemWeights = weights
            BestValid = (snd points.[bestAt]).Valid
            Tuning = m.Tuning @ easePoints @ List.map snd points
        }

    let blendWithEase
        (cfg: Config)
        (device: torch.Device)
        (graphs: SplitGraphs)
        (features: NodeFeatures)
        (m: TrainedModel)
        (onTuning: TuningPoint -> unit)
        (ct: CancellationToken)
        : TrainedModel =
        let weights, _, easePoints =
            EaseFit.easeWeights cfg device graphs features onTuning ct

        blendWith cfg device graphs m weights easePoints onTuning ct
