namespace BatchRec.Core.Graph

open System

/// One sampled propagation layer: a rectangular matrix from the layer's source nodes S_{l-1} (columns) to its
/// target nodes S_l (rows), both in local indices of the sample's node list (Graph.NeighbourSampling).
type Block =
    {
        /// [|S_l| × |S_{l-1}|], local indices; entry (i, j) holds Â_ij · deg_i / k_i (see NeighbourSampling.sample).
        Matrix: Csr
        /// For each stored entry of Matrix, its position in the graph's CSR (to look up edge weights and Â).
        Positions: int[]
    }

/// The blocks of one mini-batch, DGL style. Nodes = S_0 (global ids); S_l is the prefix of Nodes of length
/// Blocks.[l-1].Matrix.Rows, so S_L (the seeds, in the order given) ⊆ … ⊆ S_1 ⊆ S_0, each a prefix of the next.
type SampledBlocks =
    {
        Nodes: int[]
        /// Blocks.[l-1] is layer l: X⁽ˡ⁾[S_l] = Blocks.[l-1].Matrix · X⁽ˡ⁻¹⁾[S_{l-1}].
        Blocks: Block[]
        /// |S_L|: the seeds are Nodes.[0 .. SeedCount-1].
        SeedCount: int
    }

/// Neighbour sampling for mini-batch propagation over a graph too large to propagate whole per batch.
///
/// For seeds S_L and fan-outs [f_1..f_L], from l = L down to 1: every target i ∈ S_l draws k_i = min(deg_i, f_l)
/// distinct neighbours N_s(i) uniformly without replacement (Floyd's algorithm, O(k_i²), k_i ≤ f_l); S_{l-1} = S_l
/// followed by the newly reached nodes in order of discovery. Block l holds
///
///     B_l[i, j] = Â_ij · deg_i / k_i   for j ∈ N_s(i),   0 otherwise,
///
/// and since P(j ∈ N_s(i)) = k_i / deg_i, E[Σ_j B_l[i, j] x_j] = Σ_j Â_ij x_j: an unbiased estimate of the
/// full-graph row (Horvitz–Thompson). When k_i = deg_i the row is exactly Â's row.
[<RequireQualifiedAccess>]
module NeighbourSampling =
    /// Samples the blocks for `seeds` (distinct node ids) over the adjacency `adj` (square CSR, Â; its values are
    /// copied into the blocks, rescaled by deg/k), with `fanouts` [f_1..f_L] (L = 0: no blocks, Nodes = seeds).
    /// Deterministic for the state of `rng`. O(|S_L| · Π_l (1 + f_l)) time and memory, never O(graph) (the global →
    /// local map is a Dictionary over the sampled nodes).
    /// Throws ArgumentException naming `adj` if it is not square, `seeds` for an id out of range or a repeated id,
    /// `fanouts` for an entry < 1.
    /// evaluates to: for Â the path 0 – 1 – 2 and seeds [|1|], fanouts [|2|]: Nodes = [|1; 0; 2|], one block
    /// [1 × 3] with row 0 = {(1, Â_10), (2, Â_12)}.
    val sample: adj: Csr -> seeds: int[] -> fanouts: int[] -> rng: Random -> SampledBlocks
