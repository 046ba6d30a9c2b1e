namespace BatchRec.Core.Graph

open System

/// Negative sampling for BPR.
[<RequireQualifiedAccess>]
module Sampling =
    /// For each positive (users[k], items[k]) draws one item uniformly from the items that user has no
    /// training edge to (`seen`, user × item CSR), by rejection. Users who have seen every item get -1.
    /// Expected O(E · I/(I − d_u)).
    let negatives (rng: Random) (seen: Csr) (users: int[]) : int[] =
        let numItems = seen.Cols
        users |> Array.map (fun u ->
            let deg = seen.RowPtr.[u + 1] - seen.RowPtr.[u]
            if deg >= numItems then -1
            else
                let mutable j = rng.Next numItems
                while Csr.contains seen u j do j <- rng.Next numItems
                j)
