namespace BatchRec.Core

open BatchRec.Core.Graph
open BatchRec.Core.Eval
open BatchRec.Core.Train

/// What a model's cold-start figures are compared with: rankings of the held-out items that use no trained model.
[<RequireQualifiedAccess>]
module ColdBaselines =
    /// Reference points for the cold split: "random" (the expected Recall and NDCG of a uniformly random ranking
    /// of the held-out items, exact: Recall@k = min(k, m) / m for m held-out items) and "tag-popularity" (held-out items
    /// ranked by the mean training popularity of their attributes, where an attribute's popularity is the number of
    /// training interactions on items carrying it; an item without attributes scores 0). Rows at eval.coldKs, split
    /// "cold", model name first. Empty when nothing is held out.
    val evaluate: cfg: Config -> graphs: SplitGraphs -> features: NodeFeatures -> (string * MetricRecord) list
