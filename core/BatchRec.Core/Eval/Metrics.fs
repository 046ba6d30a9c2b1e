namespace BatchRec.Core.Eval

open System

/// Top-K ranking metrics for one user, from the ranked list's hit flags (RecBole's definitions).
/// hits.[r] is true when the item at rank r+1 is relevant; nRelevant is the size of the ground truth.
[<RequireQualifiedAccess>]
module Metrics =
    let private count k (hits: bool[]) =
        let mutable c = 0
        for r in 0 .. (min k hits.Length) - 1 do if hits.[r] then c <- c + 1
        c

    /// |hits in top k| / |relevant|. evaluates to: recall 2 [|true;false|] 4 = 0.25
    let recall (k: int) (hits: bool[]) (nRelevant: int) =
        if nRelevant <= 0 then invalidArg "nRelevant" "must be > 0"
        float (count k hits) / float nRelevant

    /// |hits in top k| / k. evaluates to: precision 2 [|true;false|] 4 = 0.5
    let precision (k: int) (hits: bool[]) = float (count k hits) / float k

    /// 1 if any of the top k is relevant, else 0.
    let hit (k: int) (hits: bool[]) = if count k hits > 0 then 1.0 else 0.0

    /// 1 / rank of the first relevant item within the top k, else 0. evaluates to: mrr 3 [|false;false;true|] = 1/3
    let mrr (k: int) (hits: bool[]) =
        let mutable r = 0
        let n = min k hits.Length
        while r < n && not hits.[r] do r <- r + 1
        if r < n then 1.0 / float (r + 1) else 0.0

    /// DCG@k / IDCG@k with binary gains: DCG = Σ_{r<k, hit} 1/log2(r+2), IDCG = Σ_{r<min(|rel|,k)} 1/log2(r+2).
    /// evaluates to: ndcg 2 [|false;true|] 1 = (1/log2 3) / 1
    let ndcg (k: int) (hits: bool[]) (nRelevant: int) =
        if nRelevant <= 0 then invalidArg "nRelevant" "must be > 0"
        let mutable dcg = 0.0
        for r in 0 .. (min k hits.Length) - 1 do
            if hits.[r] then dcg <- dcg + 1.0 / Math.Log2(float (r + 2))
        let mutable idcg = 0.0
        for r in 0 .. (min k nRelevant) - 1 do
            idcg <- idcg + 1.0 / Math.Log2(float (r + 2))
        dcg / idcg

    /// The metric names, in the order they are reported.
    let names = [ "recall"; "ndcg"; "mrr"; "hit"; "precision" ]

    /// One named metric at k for one user.
    let compute (name: string) (k: int) (hits: bool[]) (nRelevant: int) =
        match name with
        | "recall" -> recall k hits nRelevant
        | "ndcg" -> ndcg k hits nRelevant
        | "mrr" -> mrr k hits
        | "hit" -> hit k hits
        | "precision" -> precision k hits
        | other -> invalidArg "name" (sprintf "unknown metric '%s'" other)
