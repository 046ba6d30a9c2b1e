namespace BatchRec.Core.Eval

open System
open BatchRec.Core

[<RequireQualifiedAccess>]
module Metrics =
    let private count k (hits: bool[]) =
        let mutable c = 0

        for r in 0 .. (min k hits.Length) - 1 do
            if hits.[r] then
                c <- c + 1

        c

    let recall (k: int) (hits: bool[]) (nRelevant: int) =
        if nRelevant <= 0 then
            invalidArg "nRelevant" "must be > 0"

        float (count k hits) / float nRelevant

    let precision (k: int) (hits: bool[]) = float (count k hits) / float k

    let hit (k: int) (hits: bool[]) = if count k hits > 0 then 1.0 else 0.0

    let mrr (k: int) (hits: bool[]) =
        let mutable r = 0
        let n = min k hits.Length

        while r < n && not hits.[r] do
            r <- r + 1

        if r < n then 1.0 / float (r + 1) else 0.0

    let ndcg (k: int) (hits: bool[]) (nRelevant: int) =
        if nRelevant <= 0 then
            invalidArg "nRelevant" "must be > 0"

        let mutable dcg = 0.0

        for r in 0 .. (min k hits.Length) - 1 do
            if hits.[r] then
                dcg <- dcg + 1.0 / Math.Log2(float (r + 2))

        let mutable idcg = 0.0

        for r in 0 .. (min k nRelevant) - 1 do
            idcg <- idcg + 1.0 / Math.Log2(float (r + 2))

        dcg / idcg

    let all =
        [
            RankingMetric.Recall
            RankingMetric.Ndcg
            RankingMetric.Mrr
            RankingMetric.Hit
            RankingMetric.Precision
        ]

    let compute (metric: RankingMetric) (k: int) (hits: bool[]) (nRelevant: int) =
        match metric with
        | RankingMetric.Recall -> recall k hits nRelevant
        | RankingMetric.Ndcg -> ndcg k hits nRelevant
        | RankingMetric.Mrr -> mrr k hits
        | RankingMetric.Hit -> hit k hits
        | RankingMetric.Precision -> precision k hits
