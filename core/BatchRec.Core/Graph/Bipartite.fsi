namespace BatchRec.Core.Graph

/// The user–item bipartite graph as one square adjacency over N = U + I nodes: node u (0 ≤ u < U) is a user,
/// node U + i is item i.
///
///     A = [ 0    R ]      R ∈ {0,1}^{U×I}: 1 where the user interacted with the item
///         [ Rᵀ   0 ]
[<RequireQualifiedAccess>]
module Bipartite =
    /// The binary, symmetric adjacency A [U+I, U+I] from (user, item) pairs; repeated pairs count once. O(E log E).
    /// Throws ArgumentException naming `items` for mismatched lengths or an item outside 0..I-1.
    /// evaluates to: (Bipartite.adjacency 1 2 [|0;0|] [|1;1|]) |> Csr.toEdges = ([|0;2|], [|2;0|], [|1f;1f|])
    val adjacency: numUsers: int -> numItems: int -> users: int[] -> items: int[] -> Csr

    /// The user × item interaction matrix R [U, I], binary, repeated pairs once. O(E log E).
    val userItems: numUsers: int -> numItems: int -> users: int[] -> items: int[] -> Csr
