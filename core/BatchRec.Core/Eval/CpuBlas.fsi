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

/// How many threads a CPU kernel of scoring (the fused top-K, the reasons) runs on: `threads` > 0 caps them
/// (score.threads), 0 = one per core.
[<RequireQualifiedAccess>]
module Workers =

    /// The Parallel.For options for at most `threads` workers (0: one per core, the scheduler's default).
    val options: threads: int -> Threading.Tasks.ParallelOptions

    /// The number of workers `threads` gives.
    val count: threads: int -> int

/// MKL's single-precision matrix product (Fortran `sgemm_`) and its per-thread thread count
/// (`MKL_Set_Num_Threads_Local`), as libtorch's CPU library exports them: the sgemm under libtorch's own addmm, callable
/// from any thread with one MKL thread each, so each worker computes its own block of scores (TopK's sgemm path).
/// `gemm` is None where the library or a symbol is missing, where a check product comes out wrong, or where the
/// environment sets BATCHREC_CPU_BLAS=0; then TopK uses libtorch's addmm.
[<RequireQualifiedAccess>]
module CpuBlas =

    /// sgemm_'s Fortran signature: every argument by pointer (transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc).
    [<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
    type SgemmFn =
        delegate of
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint *
            nativeint ->
                unit

    /// MKL_Set_Num_Threads_Local: sets the calling thread's MKL thread count, returns the previous one.
    [<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
    type SetThreadsLocalFn = delegate of int -> int

    /// One worker thread's use of sgemm: its MKL thread count set to 1 for this thread only (restored on Dispose,
    /// which must run on the same thread), a 64-byte aligned score buffer of `floats` floats, and the argument block
    /// that Fortran's convention passes by pointer (8-byte slots, zero above the value: right for 32- and 64-bit
    /// integer interfaces alike).
    type Worker =
        interface IDisposable

        /// Sets this thread's MKL thread count to 1 and allocates the buffer; sgemm and setLocal from Gemm.
        new: sgemm: SgemmFn * setLocal: SetThreadsLocalFn * floats: int -> Worker

        /// The score buffer.
        member Buffer: nativeint

        /// Buffer[t · cn + j] = Σ_d u[t, d] · items[j, d] for t < rows, j < cn: u and items row-major with `dim`
        /// columns, rows · cn ≤ floats. In column-major terms the buffer is Sᵀ (cn × rows) = items (cn × dim) · Uᵀ
        /// (dim × rows), and the row-major items are the column-major dim × cn matrix, hence transa = 'T'.
        member Scores: u: nativeint * rows: int * items: nativeint * cn: int * dim: int -> unit

    /// The resolved functions; Open makes a Worker on the calling thread.
    type Gemm =

        /// The two resolved functions (from `gemm`).
        new: sgemm: SgemmFn * setLocal: SetThreadsLocalFn -> Gemm

        /// A Worker with a buffer of `floats` floats on the calling thread (dispose it on the same thread).
        member Open: floats: int -> Worker

    /// sgemm and the thread count from the loaded libtorch CPU library, checked; None where unavailable.
    val gemm: Lazy<Gemm option>
