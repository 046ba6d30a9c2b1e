namespace BatchRec.Core.Nn

open TorchSharp
open BatchRec.Core

/// Item–item edges from the language model: each item with text is joined to the k items whose text vectors are
/// most similar to its own (cosine similarity), a semantic item–item graph like LATTICE's and FREEDOM's
/// (Zhang et al. 2021; Zhou et al. 2023), here as the third kind of edge of the GAT's graph, beside user–item and
/// item–attribute (model.textNeighbours).
/// An item nobody has clicked yet is thereby joined to the items whose descriptions read like its own, and the
/// propagation carries their collaborative signal to it.
[<RequireQualifiedAccess>]
module TextKnn =
    /// `neighbours` (below) through exact search with blocks of at most min(1024, blockValues / n) rows (at least
    /// one); tests take small blocks to cross block boundaries.
    val neighboursInBlocks:
        blockValues: int ->
        device: torch.Device ->
        dim: int ->
        text: float32[] ->
        hasText: bool[] ->
        k: int ->
            int[] * int[]

    /// The k nearest other items (cosine similarity of the rows of `text`, [numItems × dim] row-major) of every
    /// item whose `hasText` is true, found by VectorSearch.nearest with `settings` (exact up to
    /// settings.ExactBelow items with text, HNSW above). Items without text, or whose text vector is all zeros,
    /// have none and are nobody's neighbour. On the exact path equal similarities go to the lower item index (the
    /// float32 products themselves can differ in the last bit with the block size or the BLAS's threads, so which
    /// of two equally similar items is kept is fixed per machine and setting, like the rest of training's floating
    /// point). Returns the directed pairs (item, neighbour), item ascending, neighbours by decreasing similarity:
    /// min(k, n - 1) per item on the exact path, at most k on the HNSW path.
    val neighboursWith:
        settings: SearchConfig ->
        device: torch.Device ->
        dim: int ->
        text: float32[] ->
        hasText: bool[] ->
        k: int ->
            int[] * int[]

    /// `neighboursWith` the default search settings (Config.Default.Search).
    val neighbours: device: torch.Device -> dim: int -> text: float32[] -> hasText: bool[] -> k: int -> int[] * int[]
