namespace BatchRec.Core.Eval

open System
open System.Numerics
open System.Runtime.InteropServices
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop
open BatchRec.Core.Graph
open BatchRec.Core.Nn

/// "Because you interacted with X": for each recommended item, the item of the user's history whose final
/// embedding is most similar to it (cosine similarity of the trained item embeddings, the same vectors the
/// score is a dot product of). Ties go to the lower item index.
[<RequireQualifiedAccess>]
module Explain =

    /// 1/‖row‖ for each row of item factors [I × d] (0 for a zero row). The reasons compare a recommendation r
    /// with each history item h by (r · h) / ‖h‖: for a fixed r that orders the history as cos(r, h) does (‖r‖ is
    /// the same for every h), so no normalised copy of the factors is needed, only these I floats.
    val inverseNorms: itemFactors: float32 array -> dim: int -> float32 array

    /// Whether `reasons` uses the 512-bit kernel for a block whose longest list has maxK rows: on AVX-512 hardware
    /// and maxK ≤ 32 (scanUser16's four-row pass holds one or two 16-lane vectors; beyond that the portable kernel,
    /// which takes any number of vectors).
    val wideKernel: maxK: int -> bool

    /// `reasons` with the portable kernel (System.Numerics.Vector<T>, any width, any k): what `reasons` uses where
    /// wideKernel is false, and the reference the 512-bit kernel is tested against.
    val reasonsPortable:
        threads: int ->
        factors: float32 array ->
        inv: float32 array ->
        dim: int ->
        history: Csr ->
        block: TopK ->
            int array

    /// The reason item for every row of a top-K block: history = the user's items in `history` (rows = users);
    /// -1 when the user has no history. `factors` = the item factors [I × d], `inv` = inverseNorms of them.
    /// O(Σ_rows |history| · d).
    ///
    /// Per user, the recommended rows are transposed into a d × k' block (k' = k rounded up to whole SIMD vectors),
    /// so that one history row updates k' dot products at once: s[0..k') += h[j] · Rᵀ[j, 0..k') for j < d, with no
    /// horizontal sums; each is scaled by 1/‖h‖ (for a fixed recommendation this orders the history as the cosine
    /// does), and the best similarity and its item are kept per lane with a vector compare. A history
    /// item replaces the best so far only when strictly more similar, so ties keep the earlier item in the user's
    /// (ascending) history. Users in parallel, on at most `threads` workers (0: one per core; score.threads). With
    /// AVX-512 and k ≤ 32 the 512-bit kernel (four history rows per pass), else reasonsPortable; both compute the
    /// same sums in the same order, so they return the same items.
    val reasons:
        threads: int ->
        factors: float32 array ->
        inv: float32 array ->
        dim: int ->
        history: Csr ->
        block: TopK ->
            int array

    /// The reason item of every row of a top-K block for a model with an item–item part W (row-major
    /// [history items × items], TopK.ItemItem): the user's history item i with the largest contribution W[i, r] to
    /// the recommended item r's score. For EASE, whose score is the sum of these contributions, that is exact: the
    /// history item that added the most. Ties go to the earlier (lower) history item; -1 when the user has no history
    /// or no history item adds a positive amount. Users in parallel on at most `threads` workers (0: one per core).
    /// O(Σ_rows |history|).
    val contributions:
        threads: int -> weights: float32 array -> numItems: int -> history: Csr -> block: TopK -> int array
