namespace BatchRec.Core.Eval

#nowarn "9" // native pointers: the top-K selection reads the score tiles in place

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
    let options (threads: int) =
        Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = (if threads > 0 then threads else -1))

    /// The number of workers `threads` gives.
    let count (threads: int) =
        if threads > 0 then
            threads
        else
            max 1 Environment.ProcessorCount

/// MKL's single-precision matrix product (Fortran `sgemm_`) and its per-thread thread count
/// (`MKL_Set_Num_Threads_Local`), as libtorch's CPU library exports them: the sgemm under libtorch's own addmm, callable
/// from any thread with one MKL thread each, so each worker computes its own block of scores (Ranking's sgemm path).
/// `gemm` is None where the library or a symbol is missing, where a check product comes out wrong, or where the
/// environment sets BATCHREC_CPU_BLAS=0; then Ranking uses libtorch's addmm.
[<RequireQualifiedAccess>]
module CpuBlas =
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

    [<UnmanagedFunctionPointer(CallingConvention.Cdecl)>]
    type SetThreadsLocalFn = delegate of int -> int

    /// One worker thread's use of sgemm: its MKL thread count set to 1 for this thread only (restored on Dispose,
    /// which must run on the same thread), a 64-byte aligned score buffer of `floats` floats, and the argument block
    /// that Fortran's convention passes by pointer (8-byte slots, zero above the value: right for 32- and 64-bit
    /// integer interfaces alike).
    type Worker(sgemm: SgemmFn, setLocal: SetThreadsLocalFn, floats: int) =
        let previous = setLocal.Invoke 1

        let buffer =
            NativePtr.toNativeInt (
                NativePtr.ofVoidPtr<byte>(NativeMemory.AlignedAlloc(unativeint (max 1 floats) * 4un, 64un))
            )

        let args =
            NativePtr.toNativeInt (NativePtr.ofVoidPtr<byte>(NativeMemory.AllocZeroed(96un)))

        let mutable disposed = false

        let put (slot: int) (value: int64) =
            Marshal.WriteInt64(args, slot * 8, value)

        /// The score buffer.
        member _.Buffer = buffer

        /// Buffer[t · cn + j] = Σ_d u[t, d] · items[j, d] for t < rows, j < cn: u and items row-major with `dim`
        /// columns, rows · cn ≤ floats. In column-major terms the buffer is Sᵀ (cn × rows) = items (cn × dim) · Uᵀ
        /// (dim × rows), and the row-major items are the column-major dim × cn matrix, hence transa = 'T'.
        member _.Scores(u: nativeint, rows: int, items: nativeint, cn: int, dim: int) =
            if rows * cn > floats then
                invalidArg "rows" (sprintf "%d × %d scores do not fit the buffer of %d" rows cn floats)

            put 0 (int64 'T')
            put 1 (int64 'N')
            put 2 (int64 cn)
            put 3 (int64 rows)
            put 4 (int64 dim)
            put 5 (int64 (BitConverter.SingleToUInt32Bits 1.0f))
            put 6 (int64 dim)
            put 7 (int64 dim)
            put 8 0L // beta = 0: the buffer's old contents are ignored
            put 9 (int64 cn)
            let a = args

            sgemm.Invoke(
                a,
                a + 8n,
                a + 16n,
                a + 24n,
                a + 32n,
                a + 40n,
                items,
                a + 48n,
                u,
                a + 56n,
                a + 64n,
                buffer,
                a + 72n
            )

        interface IDisposable with
            member _.Dispose() =
                if not disposed then
                    disposed <- true
                    setLocal.Invoke previous |> ignore
                    NativeMemory.AlignedFree(NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> buffer))
                    NativeMemory.Free(NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> args))

    /// The resolved functions; Open makes a Worker on the calling thread.
    type Gemm(sgemm: SgemmFn, setLocal: SetThreadsLocalFn) =
        member _.Open(floats: int) = new Worker(sgemm, setLocal, floats)

    /// Checks a resolved sgemm on a 2 × 3 by 3 × 2 product with exact float results.
    let private works (g: Gemm) =
        let u = [| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.0f |] // 2 users × 3
        let items = [| 1.0f; 0.0f; 2.0f; -1.0f; 1.0f; 0.5f |] // 2 items × 3
        let pu = GCHandle.Alloc(u, GCHandleType.Pinned)
        let pi = GCHandle.Alloc(items, GCHandleType.Pinned)

        try
            use w = g.Open 4
            w.Scores(pu.AddrOfPinnedObject(), 2, pi.AddrOfPinnedObject(), 2, 3)
            let got = Array.zeroCreate<float32> 4
            Marshal.Copy(w.Buffer, got, 0, 4)
            got = [| 7.0f; 2.5f; 16.0f; 4.0f |]
        finally
            pu.Free()
            pi.Free()

    /// sgemm and the thread count from the loaded libtorch CPU library, checked; None where unavailable.
    let gemm: Lazy<Gemm option> =
        lazy
            if Environment.GetEnvironmentVariable "BATCHREC_CPU_BLAS" = "0" then
                None
            else
                try
                    torch.InitializeDeviceType DeviceType.CPU // loads libtorch
                    let mutable lib = 0n
                    let mutable f = 0n
                    let mutable g = 0n

                    if
                        NativeLibrary.TryLoad("libtorch_cpu.so", &lib)
                        && NativeLibrary.TryGetExport(lib, "sgemm_", &f)
                        && NativeLibrary.TryGetExport(lib, "MKL_Set_Num_Threads_Local", &g)
                    then
                        let candidate =
                            Gemm(
                                Marshal.GetDelegateForFunctionPointer<SgemmFn> f,
                                Marshal.GetDelegateForFunctionPointer<SetThreadsLocalFn> g
                            )

                        if works candidate then Some candidate else None
                    else
                        None
                with
                | :? DllNotFoundException
                | :? EntryPointNotFoundException
                | :? BadImageFormatException -> None
