namespace BatchRec.Core.Graph

/// Adjacency normalisations (as PyG's gcn_norm, without self-loops).
[<RequireQualifiedAccess>]
module Normalize =
    /// Symmetric normalisation Â = D^{-1/2} A D^{-1/2}: Â_ij = A_ij / sqrt(d_i · d_j), d_i = Σ_j A_ij. O(nnz).
    ///
    /// Zero-degree policy: a node with d_i = 0 (a user or item with no training edges) gets d_i^{-1/2} := 0, so
    /// its row and column stay empty. Propagation gives it zero at every layer > 0, and LightGCN's layer mean keeps
    /// only its own layer-0 embedding (scaled by 1/(L+1)); nothing is NaN.
    /// Throws ArgumentException naming `a` when A is not square or a row has a negative degree.
    /// evaluates to: for a d-regular graph every row of Â sums to 1; for the edge 0–1 of a 2-node graph, Â = A.
    val symmetric: a: Csr -> Csr
