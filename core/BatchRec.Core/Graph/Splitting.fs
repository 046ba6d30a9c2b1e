namespace BatchRec.Core.Graph

open System
open BatchRec.Core

/// RecBole's random-order ratio split ("RO", [0.8, 0.1, 0.1]) per user.
[<RequireQualifiedAccess>]
module Splitting =
    /// How many of a user's n interactions go to (train, valid, test), RecBole's `_calcu_split_ids`:
    /// valid and test get ⌊r·n⌋; then, test first, a split whose r·n lies strictly between 0 and 1 takes one
    /// interaction from train, as long as train would keep more than one.
    /// evaluates to: counts 0.1 0.1 25 = (21, 2, 2); counts 0.1 0.1 5 = (3, 1, 1); counts 0.1 0.1 2 = (1, 0, 1)
    let counts (valid: float) (test: float) (n: int) : int * int * int =
        if n < 0 then invalidArg "n" (sprintf "must be >= 0, got %d" n)
        let ratios = [| 1.0 - valid - test; valid; test |]
        let cnt = ratios |> Array.map (fun r -> int (r * float n))
        cnt.[0] <- n - cnt.[1] - cnt.[2]
        let mutable i = 1
        let mutable stop = false
        while not stop && i < 3 do
            if cnt.[0] <= 1 then stop <- true
            else
                let idx = 3 - i
                let rn = ratios.[idx] * float n
                if 0.0 < rn && rn < 1.0 then
                    cnt.[idx] <- cnt.[idx] + 1
                    cnt.[0] <- cnt.[0] - 1
                i <- i + 1
        cnt.[0], cnt.[1], cnt.[2]

    /// Assigns each interaction a split: each user's interactions (in the given order) are shuffled by one
    /// System.Random(seed) stream, users in index order, then cut by `counts`. Deterministic for a given
    /// input order and seed. O(E).
    let assign (valid: float) (test: float) (seed: int) (numUsers: int) (users: int[]) : Split[] =
        let byUser = Array.init numUsers (fun _ -> ResizeArray<int>())
        users |> Array.iteri (fun e u ->
            if u < 0 || u >= numUsers then invalidArg "users" (sprintf "interaction %d: user %d outside 0..%d" e u (numUsers - 1))
            byUser.[u].Add e)
        let rng = Random(seed)
        let result = Array.create users.Length Split.Train
        for u in 0 .. numUsers - 1 do
            let idx = byUser.[u].ToArray()
            for i in idx.Length - 1 .. -1 .. 1 do
                let j = rng.Next(i + 1)
                let t = idx.[i]
                idx.[i] <- idx.[j]
                idx.[j] <- t
            let nTrain, nValid, _ = counts valid test idx.Length
            for k in 0 .. idx.Length - 1 do
                result.[idx.[k]] <-
                    if k < nTrain then Split.Train
                    elif k < nTrain + nValid then Split.Valid
                    else Split.Test
        result
