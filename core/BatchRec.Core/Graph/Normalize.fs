namespace BatchRec.Core.Graph

/// Adjacency normalisations (as PyG's gcn_norm, without self-loops).
[<RequireQualifiedAccess>]
module Normalize =
    /// Symmetric normalisation Â = D^{-1/2} A D^{-1/2}, Â_ij = A_ij / sqrt(d_i · d_j), d_i = Σ_j A_ij.
    ///
    /// Zero-degree policy: a node with d_i = 0 (a user or item with no training edges) gets
    /// d_i^{-1/2} := 0, so its row and column stay empty. Propagation then gives it zero at every layer > 0
    /// and LightGCN's layer mean keeps only its own layer-0 embedding (scaled by 1/(L+1)); nothing is NaN.
    /// O(nnz). Throws ArgumentException when the matrix is not square or has a negative degree.
    /// evaluates to: for a d-regular graph every row of Â sums to 1.
    let symmetric (a: Csr) : Csr =
        if a.Rows <> a.Cols then invalidArg "a" (sprintf "must be square, got %d×%d" a.Rows a.Cols)
        let deg = Csr.rowSums a
        let inv =
            deg |> Array.mapi (fun i d ->
                if d < 0.0f then invalidArg "a" (sprintf "row %d has negative degree %g" i d)
                elif d = 0.0f then 0.0f
                else 1.0f / sqrt d)
        let values = Array.zeroCreate a.Nnz
        for r in 0 .. a.Rows - 1 do
            for p in a.RowPtr.[r] .. a.RowPtr.[r + 1] - 1 do
                values.[p] <- a.Values.[p] * inv.[r] * inv.[a.ColIdx.[p]]
        { a with Values = values }
