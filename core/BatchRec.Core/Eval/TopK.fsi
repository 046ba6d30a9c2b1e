namespace BatchRec.Core.Eval

open System
open System.Numerics
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop
open TorchSharp
open BatchRec.Core.Graph
open BatchRec.Core.Nn

/// Top-K lists for a block of users, CSR-like: user Users.[b]'s items are Items/Scores[Offsets.[b] .. Offsets.[b+1]-1],
/// best first, scores non-increasing, excluded items never present (so a user may get fewer than K).
type TopK =
    {
        Users: int array
        Offsets: int array
        Items: int array
        Scores: float32 array
    }

/// The item–item part of a score (EASE's B, alone or beside factors): s(u, j) += Σ_{i ∈ History(u)} Weights[i, j].
/// Weights is a float32 tensor [History.Cols, items ranked], row-major (row i = what history item i adds to every
/// ranked item; EASE's B is square), on the device the scores are computed on; History the users' item rows
/// (users × history items, binary: stored values are ignored).
type ItemItem = { Weights: torch.Tensor; History: Csr }

/// Full ranking over all items, chunked over users so memory is O(chunk × items), never users × items.
[<RequireQualifiedAccess>]
module TopK =

    /// Whether the selection keeps k entries in unordered slots (scanSlots: 512-bit vectors and k ≤ 32, one or two
    /// vectors of slots) rather than in a heap (scanSegment: any k, any vector width).
    val slotKernel: k: int -> bool

    /// The rows of one worker's block in productSelectBlas (at most) with `threads` workers (Workers.count):
    /// ⌈n / (2 · workers)⌉, so each worker gets about two blocks, between 8 and 256 rows (256 rows × 1024 items =
    /// 1 MiB of scores, inside one core's cache).
    val blasBlockRowsFor: threads: int -> count: int -> int

    /// blasBlockRowsFor with one worker per core.
    val blasBlockRows: count: int -> int

    /// How the CPU top-K selection runs: products by MKL's sgemm on each worker's own thread, fused with the scan
    /// (Blas), or by libtorch's addmm per tile; kept entries in unordered slots (Slots, k ≤ 32 with AVX-512) or in a
    /// heap. `Default k` is what topKUsers uses.
    type CpuSelect =
        {
            Blas: bool
            Slots: bool
        }

        /// Blas where `gemm` is available, Slots where slotKernel k.
        static member Default: k: int -> CpuSelect

    /// topKUsers on any device: the excluded pairs set to -∞ in the score block, then libtorch's topk, dropping -∞
    /// entries. The reference the CPU selection is tested against, and the path for CUDA (scores stay on the GPU).
    val topKUsersTorchWith:
        ii: ItemItem option -> userEmb: Tensor -> itemEmb: Tensor -> exclude: Csr -> k: int -> users: int array -> TopK

    /// topKUsersTorchWith without an item–item part.
    val topKUsersTorch: userEmb: Tensor -> itemEmb: Tensor -> exclude: Csr -> k: int -> users: int array -> TopK

    /// topKUsers on the CPU, chosen path and explicit tile sizes (rows × items of scores per product; on the sgemm
    /// path, rows per worker block × items): for tests and tuning.
    val topKUsersCpuWith:
        how: CpuSelect ->
        rowTile: int ->
        colTile: int ->
        ii: ItemItem option ->
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        k: int ->
        users: int array ->
            TopK

    /// topKUsersCpuWith without an item–item part.
    val topKUsersCpu:
        how: CpuSelect ->
        rowTile: int ->
        colTile: int ->
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        k: int ->
        users: int array ->
            TopK

    /// topKUsersCpu with the default path for k.
    val topKUsersTiled:
        rowTile: int ->
        colTile: int ->
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        k: int ->
        users: int array ->
            TopK

    /// For the given users (row r = users.[r]): scores = U[users] · Iᵀ ([n, I]) and the top k items of each row
    /// that the user's row of `exclude` does not hold. On the CPU the products a cache-sized tile at a time (by MKL's
    /// sgemm on each worker thread where libtorch exports it, else libtorch's addmm), seen items set to -∞ in the
    /// tile, one scan per row (no index tensors, never the whole n × I block); elsewhere topKUsersTorch. O(n · I · d).
    val topKUsersWith:
        ii: ItemItem option -> userEmb: Tensor -> itemEmb: Tensor -> exclude: Csr -> k: int -> users: int array -> TopK

    /// topKUsersWith without an item–item part.
    val topKUsers: userEmb: Tensor -> itemEmb: Tensor -> exclude: Csr -> k: int -> users: int array -> TopK

    /// topKUsersWith for the users [start, start+count) (a view of the user rows, no copy).
    val topKBlockWith:
        ii: ItemItem option ->
        userEmb: Tensor ->
        itemEmb: Tensor ->
        exclude: Csr ->
        k: int ->
        start: int ->
        count: int ->
            TopK

    /// topKBlockWith without an item–item part.
    val topKBlock: userEmb: Tensor -> itemEmb: Tensor -> exclude: Csr -> k: int -> start: int -> count: int -> TopK

    /// Whether the CPU top-K multiplies with MKL's sgemm (found in libtorch's CPU library, CpuBlas): then
    /// topKBlockArrays can read the factor arrays in place.
    val blasAvailable: unit -> bool

    /// topKBlock on the CPU's sgemm path straight from the factor arrays (row-major, userFactors [U × dim],
    /// itemFactors [I × dim], pinned while it runs), on at most `threads` workers (0: one per core; score.threads):
    /// the same lists, without copying the factors into tensors first. Throws InvalidOperationException where sgemm
    /// is not available (blasAvailable), ArgumentException for a range outside the users.
    val topKBlockArraysWith:
        threads: int ->
        numUsers: int ->
        numItems: int ->
        userFactors: float32 array ->
        itemFactors: float32 array ->
        dim: int ->
        itemWeights: float32 array ->
        history: Csr ->
        exclude: Csr ->
        k: int ->
        start: int ->
        count: int ->
            TopK

    /// topKBlockArraysWith for factors alone (dim > 0).
    val topKBlockArrays:
        threads: int ->
        userFactors: float32 array ->
        itemFactors: float32 array ->
        dim: int ->
        exclude: Csr ->
        k: int ->
        start: int ->
        count: int ->
            TopK

    /// The CPU top-K path's products alone, for every row of userEmb against every item (no masking, no selection):
    /// the benchmark's "scorer's own products". Returns the number of scores computed.
    val cpuProducts: userEmb: Tensor -> itemEmb: Tensor -> int64

    /// topKBlock over all users in chunks of `chunk`, lazily.
    val topK: userEmb: Tensor -> itemEmb: Tensor -> exclude: Csr -> k: int -> chunk: int -> TopK seq
