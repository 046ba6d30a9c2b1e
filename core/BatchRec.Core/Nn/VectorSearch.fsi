namespace BatchRec.Core.Nn

open TorchSharp
open BatchRec.Core

/// The k nearest neighbours of each query row, flat: row q's neighbours are Items.[q*K .. q*K+K-1] by decreasing
/// cosine similarity, their similarities in Scores alike. A row with fewer than K neighbours (fewer candidates, a
/// query of zeros, or an HNSW search that found fewer) is padded with item -1 and score NaN.
type Neighbours =
    {
        /// Neighbours per query row (the k asked for, at least 0).
        K: int
        /// Row indices into the vectors searched, -1 for padding. Length queries × K.
        Items: int[]
        /// Cosine similarity of the query to each neighbour, NaN for padding. Length queries × K.
        Scores: float32[]
        /// True when found by exact search, false by the HNSW graph.
        Exact: bool
    }

/// An HNSW graph (USearch, float32, cosine metric) over the candidate rows of a matrix that are not all zeros,
/// keyed by row index (VectorSearch.build). Disposing it frees the native index.
[<Sealed>]
type HnswIndex =
    interface System.IDisposable

    /// Rows in the graph.
    member Count: int

    /// For each row index in `queries` (into the matrix the graph was built from), its k nearest rows in the graph:
    /// the graph is asked for k + 1 rows and the query itself is dropped; the k kept are sorted by decreasing
    /// similarity (1 − USearch's cosine distance), equal similarities to the lower index. Queries run on every core;
    /// a query of zeros gets no neighbours.
    member Search: queries: int[] * k: int -> Neighbours

/// Cosine k-nearest-neighbour search over the rows of a [n × dim] row-major float32 matrix, for a subset of rows
/// (candidates) and queries given by row index; a query never gets itself. Exact top-k (O(n · queries · dim)) for
/// small sets, an HNSW graph (Malkov and Yashunin 2018) built by USearch above `search.exactBelow`.
///
/// A row of zeros has no direction, so no cosine: it is never a neighbour, and as a query it gets none (all
/// padding), on both paths.
[<RequireQualifiedAccess>]
module VectorSearch =
    /// `exact` with score blocks of at most min(1024, blockValues / candidates) query rows (at least one); tests take
    /// small blocks to cross block boundaries.
    val exactInBlocks:
        blockValues: int ->
        device: torch.Device ->
        dim: int ->
        vectors: float32[] ->
        candidates: bool[] ->
        queries: int[] ->
        k: int ->
            Neighbours

    /// Exact cosine top-k: for each row index in `queries`, the k rows j with candidates.[j] (j ≠ the query, j not
    /// all zeros) of highest cosine similarity, equal similarities to the lower index. Similarities are float32
    /// products of L2-normalised rows on `device`, one block of queries × candidates at a time (at most 16 M values:
    /// 64 MiB on the device and once more in managed memory), each block's tensors disposed with it; the selection
    /// runs on the CPU cores. `vectors` has candidates.Length rows; queries need not be candidates.
    val exact:
        device: torch.Device ->
        dim: int ->
        vectors: float32[] ->
        candidates: bool[] ->
        queries: int[] ->
        k: int ->
            Neighbours

    /// The HNSW graph of the candidate rows (not all zeros) of `vectors` ([candidates.Length × dim] row-major) with
    /// settings.Connectivity, ExpansionAdd and ExpansionSearch, built on settings.Threads threads: 1 adds the rows in
    /// index order (the same graph on every run), more add them concurrently (the graph then depends on the threads'
    /// interleaving). `vectors` is read again by Search, so it must not change while the index lives.
    val build: settings: SearchConfig -> dim: int -> vectors: float32[] -> candidates: bool[] -> HnswIndex

    /// Approximate cosine top-k through an HNSW graph (USearch, float32, cosine metric) over the candidate rows
    /// that are not all zeros, keyed by row index, with settings.Connectivity, ExpansionAdd and ExpansionSearch;
    /// built on settings.Threads threads (1: in row order, reproducible), searched on every core. Each query asks
    /// the graph for k + 1 rows and drops itself; the k kept are sorted by decreasing similarity (1 − USearch's
    /// cosine distance), equal similarities to the lower index. The index is disposed before returning.
    val approximate:
        settings: SearchConfig ->
        dim: int ->
        vectors: float32[] ->
        candidates: bool[] ->
        queries: int[] ->
        k: int ->
            Neighbours

    /// `exact` when the number of candidates is at most settings.ExactBelow, else `approximate`.
    val nearest:
        settings: SearchConfig ->
        device: torch.Device ->
        dim: int ->
        vectors: float32[] ->
        candidates: bool[] ->
        queries: int[] ->
        k: int ->
            Neighbours
