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

[<RequireQualifiedAccess>]
module Workers =
    let options (threads: int) =
        Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = (if threads > 0 then threads else -1))

    let count (threads: int) =
        if threads > 0 then
            threads
        else
            max 1 Environment.ProcessorCount

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

        member _.Buffer = buffer

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
