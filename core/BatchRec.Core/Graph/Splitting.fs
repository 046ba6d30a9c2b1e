namespace BatchRec.Core.Graph

open System
open BatchRec.Core

[<RequireQualifiedAccess>]
module Splitting =
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
