namespace BatchRec.Core.Graph

open System

/// Negative sampling for BPR.
[<RequireQualifiedAccess>]
module Sampling =
    /// For each positive of users[k] draws one item uniformly from the items that user has no edge to in `seen`
    /// (user × item CSR), by rejection. A user who has seen every item gets -1 (the trainer skips those rows).
    /// Expected O(E · I / (I − d_u)); deterministic for the state of `rng`.
    val negatives: rng: Random -> seen: Csr -> users: int[] -> int[]
