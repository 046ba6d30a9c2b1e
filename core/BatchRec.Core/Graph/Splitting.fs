namespace BatchRec.Core.Graph

open System
open BatchRec.Core

[<RequireQualifiedAccess>]
module Splitting =
    let counts (valid: float) (test: float) (n: int) : int * int * int =
        if n < 0 then
            invalidArg "n" (sprintf "must be >= 0, got %d" n)

        let ratios = [| 1.0 - valid - test; valid; test |]
        let cnt = ratios |> Array.map (fun r -> int (r * float n))
        cnt.[0] <- n - cnt.[1] - cnt.[2]
        let mutable i = 1
        let mutable stop = false

        while not stop && i < 3 do
            if cnt.[0] <= 1 then
                stop <- true
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

        users
        |> Array.iteri (fun e u ->
            if u < 0 || u >= numUsers then
                invalidArg "users" (sprintf "interaction %d: user %d outside 0..%d" e u (numUsers - 1))

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

    let holdOutItems (fraction: float) (seed: int) (numItems: int) (items: int[]) : bool[] =
        if fraction < 0.0 || fraction >= 1.0 then
            invalidArg "fraction" (sprintf "must be in [0, 1), got %g" fraction)

        let seen = Array.zeroCreate numItems

        for i in items do
            if i < 0 || i >= numItems then
                invalidArg "items" (sprintf "item %d outside 0..%d" i (numItems - 1))

            seen.[i] <- true

        let candidates =
            [|
                for i in 0 .. numItems - 1 do
                    if seen.[i] then
                        yield i
            |]

        let rng = Random(seed)

        for k in candidates.Length - 1 .. -1 .. 1 do
            let j = rng.Next(k + 1)
            let t = candidates.[k]
            candidates.[k] <- candidates.[j]
            candidates.[j] <- t

        let take = int (Math.Round(fraction * float candidates.Length))
        let held = Array.zeroCreate numItems

        for k in 0 .. take - 1 do
            held.[candidates.[k]] <- true

        held

    let assignWithColdItems
        (valid: float)
        (test: float)
        (seed: int)
        (numUsers: int)
        (numItems: int)
        (fraction: float)
        (users: int[])
        (items: int[])
        : Split[] =
        if items.Length <> users.Length then
            invalidArg "items" "users and items must have the same length"

        let held = holdOutItems fraction seed numItems items

        let keep =
            [|
                for e in 0 .. users.Length - 1 do
                    if not held.[items.[e]] then
                        yield e
            |]

        let sub = assign valid test seed numUsers (keep |> Array.map (fun e -> users.[e]))
        let result = Array.create users.Length Split.Cold
        keep |> Array.iteri (fun k e -> result.[e] <- sub.[k])
        result
