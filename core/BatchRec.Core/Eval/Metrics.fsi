namespace BatchRec.Core.Eval

open BatchRec.Core

/// Top-K ranking metrics for one user, from the ranked list's hit flags, with RecBole's definitions.
/// hits.[r] is true when the item at rank r + 1 is relevant; nRelevant is the size of the user's ground truth.
/// Averaging over users is Evaluation.evaluate's job.
[<RequireQualifiedAccess>]
module Metrics =
    /// |hits in the top k| / |relevant|. Throws ArgumentException naming `nRelevant` if it is not positive.
    /// evaluates to: recall 2 [|true; false|] 4 = 0.25
    val recall: k: int -> hits: bool[] -> nRelevant: int -> float

    /// |hits in the top k| / k. evaluates to: precision 2 [|true; false|] = 0.5
    val precision: k: int -> hits: bool[] -> float

    /// 1 if any of the top k is relevant, else 0. evaluates to: hit 1 [|false; true|] = 0.0
    val hit: k: int -> hits: bool[] -> float

    /// 1 / rank of the first relevant item within the top k, else 0. evaluates to: mrr 3 [|false; false; true|] = 1/3
    val mrr: k: int -> hits: bool[] -> float

    /// DCG@k / IDCG@k with binary gains: DCG = Σ_{r<k, hit} 1/log2(r+2), IDCG = Σ_{r<min(|relevant|, k)} 1/log2(r+2).
    /// Throws ArgumentException naming `nRelevant` if it is not positive.
    /// evaluates to: ndcg 2 [|false; true|] 1 = 1 / log2 3
    val ndcg: k: int -> hits: bool[] -> nRelevant: int -> float

    /// The metrics in the order they are reported: recall, ndcg, mrr, hit, precision (every RankingMetric).
    val all: RankingMetric list

    /// One metric at k for one user.
    val compute: metric: RankingMetric -> k: int -> hits: bool[] -> nRelevant: int -> float
