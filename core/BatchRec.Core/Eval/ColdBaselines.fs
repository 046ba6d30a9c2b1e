namespace BatchRec.Core

open System
open TorchSharp
open BatchRec.Core.Graph
open BatchRec.Core.Eval
open BatchRec.Core.Train

// Cold-start reference rankings; documented in ColdBaselines.fsi.
[<RequireQualifiedAccess>]
module ColdBaselines =
    let evaluate (cfg: Config) (graphs: SplitGraphs) (features: NodeFeatures) : (string * MetricRecord) list =
        if graphs.Cold.Nnz = 0 then
            []
        else
            let held, truth = Pipeline.coldTruth graphs
            let m = float held.Length

            let users =
                [|
                    for u in 0 .. truth.Rows - 1 do
                        if truth.RowPtr.[u + 1] > truth.RowPtr.[u] then
                            yield u
                |]

            let random =
                [
                    for k in cfg.Eval.ColdKs do
                        let kk = min k held.Length
                        let recall = float kk / m

                        let ndcg =
                            users
                            |> Array.averageBy (fun u ->
                                let nRel = truth.RowPtr.[u + 1] - truth.RowPtr.[u]

                                let dcg =
                                    Seq.sum (seq { for r in 1..kk -> (float nRel / m) / Math.Log2(float r + 1.0) })

                                let idcg =
                                    Seq.sum (seq { for r in 1 .. min nRel kk -> 1.0 / Math.Log2(float r + 1.0) })

                                dcg / idcg)

                        yield
                            "random",
                            {
                                Split = "cold"
                                Metric = RankingMetric.Recall.Name
                                K = k
                                Value = recall
                            }

                        yield
                            "random",
                            {
                                Split = "cold"
                                Metric = RankingMetric.Ndcg.Name
                                K = k
                                Value = ndcg
                            }
                ]

            let attrPop = Array.zeroCreate<float> features.ItemAttributes.Cols
            let itemCount = Array.zeroCreate<float> graphs.Train.Cols

            for i in graphs.Train.ColIdx do
                itemCount.[i] <- itemCount.[i] + 1.0

            let ia = features.ItemAttributes

            for i in 0 .. ia.Rows - 1 do
                for p in ia.RowPtr.[i] .. ia.RowPtr.[i + 1] - 1 do
                    attrPop.[ia.ColIdx.[p]] <- attrPop.[ia.ColIdx.[p]] + itemCount.[i]

            let score =
                held
                |> Array.map (fun i ->
                    let n = ia.RowPtr.[i + 1] - ia.RowPtr.[i]

                    if n = 0 then
                        0.0f
                    else
                        float32 (
                            (seq { for p in ia.RowPtr.[i] .. ia.RowPtr.[i + 1] - 1 -> attrPop.[ia.ColIdx.[p]] }
                             |> Seq.sum)
                            / float n
                        ))

            use ue = torch.ones ([| int64 graphs.Cold.Rows; 1L |], dtype = torch.float32)
            use ie = torch.tensor(score).reshape(int64 held.Length, 1L)
            let none = Csr.ofEdges graphs.Cold.Rows held.Length [||] [||] [||]

            let tagPop =
                [
                    for v in Evaluation.evaluate ue ie none truth cfg.Eval.ColdKs cfg.Eval.UserChunk ->
                        "tag-popularity",
                        {
                            Split = "cold"
                            Metric = v.Metric
                            K = v.K
                            Value = v.Value
                        }
                ]

            random @ tagPop
