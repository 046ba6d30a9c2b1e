namespace BatchRec.Core.Graph

open BatchRec.Core

/// RecBole's random-order ratio split ("RO", e.g. [0.8, 0.1, 0.1]) per user.
[<RequireQualifiedAccess>]
module Splitting =
    /// How many of a user's n interactions go to (train, valid, test), as RecBole's `_calcu_split_ids`: valid and
    /// test get ⌊r·n⌋; then, test first, a split whose r·n lies strictly between 0 and 1 takes one interaction from
    /// train, as long as train would keep more than one. O(1). Throws ArgumentException naming `n` if n < 0.
    /// evaluates to: counts 0.1 0.1 25 = (21, 2, 2); counts 0.1 0.1 5 = (3, 1, 1); counts 0.1 0.1 2 = (1, 0, 1)
    val counts: valid: float -> test: float -> n: int -> int * int * int

    /// Each interaction's split: each user's interactions (in the given order) are shuffled by one
    /// System.Random(seed) stream, users in index order, then cut by `counts`. Deterministic for a given input
    /// order and seed. O(E). Throws ArgumentException naming `users` for a user outside 0..numUsers-1.
    val assign: valid: float -> test: float -> seed: int -> numUsers: int -> users: int[] -> Split[]

    /// eval.mode cold-items: which items are held out. The items with at least one interaction, in index order,
    /// are shuffled by System.Random(seed) and the first round(fraction · count) are held out. O(I + E).
    /// Throws ArgumentException naming `fraction` outside [0, 1) or `items` for an index outside 0..numItems-1.
    val holdOutItems: fraction: float -> seed: int -> numItems: int -> items: int[] -> bool[]

    /// Every interaction of a held-out item (holdOutItems) is Split.Cold; the others are split by `assign` as if
    /// the held-out items' interactions did not exist. O(I + E).
    val assignWithColdItems:
        valid: float ->
        test: float ->
        seed: int ->
        numUsers: int ->
        numItems: int ->
        fraction: float ->
        users: int[] ->
        items: int[] ->
            Split[]
