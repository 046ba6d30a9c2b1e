namespace BatchRec.Core

open System

module CandidateChoice =
    let bestCandidate (scores: (string * float) list) : string =
        if scores.IsEmpty then
            invalidArg "scores" "no candidate was trained"

        scores
        |> List.mapi (fun i (k, v) -> i, k, v)
        |> List.maxBy (fun (i, _, v) -> v, -i)
        |> fun (_, k, _) -> k

    let pairedDifference (a: float[]) (b: float[]) : float * float =
        if a.Length <> b.Length then
            invalidArg "b" (sprintf "has %d users, a has %d: both must score the same users" b.Length a.Length)

        let n = a.Length

        if n = 0 then
            0.0, 0.0
        else
            let d = Array.map2 (-) a b
            let mean = Array.average d

            let se =
                if n < 2 then
                    0.0
                else
                    sqrt ((d |> Array.sumBy (fun x -> (x - mean) * (x - mean))) / float (n - 1) / float n)

            mean, se

    let chooseCandidate (standardErrors: float) (scores: (string * float[]) list) : string =
        let best =
            bestCandidate [ for k, v in scores -> k, (if v.Length = 0 then 0.0 else Array.average v) ]

        let bestScores = scores |> List.find (fun (k, _) -> k = best) |> snd

        scores
        |> List.find (fun (_, v) -> let mean, se = pairedDifference bestScores v in mean <= standardErrors * se)
        |> fst
