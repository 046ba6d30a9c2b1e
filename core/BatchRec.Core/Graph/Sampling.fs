namespace BatchRec.Core.Graph

open System

[<RequireQualifiedAccess>]
module Sampling =
    let negatives (rng: Random) (seen: Csr) (users: int[]) : int[] =
        let numItems = seen.Cols

        users
        |> Array.map (fun u ->
            let deg = seen.RowPtr.[u + 1] - seen.RowPtr.[u]

            if deg >= numItems then
                -1
            else
                let mutable j = rng.Next numItems

                while Csr.contains seen u j do
                    j <- rng.Next numItems

                j)
