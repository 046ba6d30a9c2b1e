namespace BatchRec.Core.Nn

open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

type Tensor = torch.Tensor

/// Conversions between the core's arrays and TorchSharp tensors, and the device choice.
[<RequireQualifiedAccess>]
module Tensors =
    /// The device for a preference: cpu, cuda (fails if no CUDA device is visible) or auto (CUDA when TorchSharp
    /// sees one, else CPU). Called once by the shell, then passed down.
    let chooseDevice (preference: DeviceChoice) : torch.Device =
        match preference with
        | DeviceChoice.Cpu -> torch.CPU
        | DeviceChoice.Cuda ->
            if torch.cuda.is_available () then
                torch.CUDA
            else
                invalidArg
                    "preference"
                    "train.device is 'cuda' but TorchSharp sees no CUDA device (is the CUDA libtorch package referenced? build with -p:TorchBackend=cuda)"
        | DeviceChoice.Auto -> if torch.cuda.is_available () then torch.CUDA else torch.CPU

    /// An int64 index tensor on `device`. Shape [n].
    let indices (device: torch.Device) (xs: int[]) : Tensor =
        torch.tensor (Array.map int64 xs, dtype = torch.int64, device = device)

    /// A sparse COO float32 tensor [Rows, Cols] holding the CSR matrix `m` on `device`. Its indices are in
    /// coalesced order, but TorchSharp has no way to mark it so: libtorch coalesces it again when it needs to.
    let sparse (device: torch.Device) (m: Csr) : Tensor =
        let src, dst, v = Csr.toEdges m
        use scope = torch.NewDisposeScope()
        // CSR order is row-major with unique (row, col): already the coalesced COO order.
        let idx =
            torch
                .tensor(Array.append (Array.map int64 src) (Array.map int64 dst), dtype = torch.int64)
                .reshape(2L, int64 m.Nnz) // [2, nnz]

        let vals = torch.tensor (v, dtype = torch.float32) // [nnz]

        let t: Tensor =
            torch.sparse_coo_tensor(idx, vals, [| int64 m.Rows; int64 m.Cols |]).``to``(device)

        t.MoveToOuterDisposeScope()

    /// A float32 tensor's values in row-major order, copied to the CPU. Reads the contiguous storage as one
    /// span (TorchSharp's element accessor is far slower).
    let toArray (t: Tensor) : float32[] =
        if t.numel () = 0L then
            [||]
        else
            use scope = torch.NewDisposeScope() // the detached, CPU and contiguous intermediates
            let c = t.detach().cpu().contiguous()

            let c =
                if c.dtype = torch.float32 then
                    c
                else
                    c.to_type (torch.float32)

            System.Runtime.InteropServices.MemoryMarshal
                .Cast<byte, float32>(System.Span<byte>.op_Implicit(c.bytes))
                .ToArray()

/// Tensor arithmetic whose scalar operands stay reachable until libtorch has read them. TorchSharp 0.107 turns a
/// number (and the implicit alpha = 1 of `a + b` and `a - b`) into a Scalar object whose finalizer frees the native
/// value, and nothing keeps that object alive during the native call: a garbage collection triggered on another
/// thread can free it while libtorch reads it. We saw it twice in long trainings under memory pressure, as
/// "Expected false to be true ... toFloat (Scalar.h)" from an add. The training and propagation code uses these
/// operators instead of + - * / with implicit Scalars: `a .+ b`, `a .- b`, `t .* 0.5`, `t ./ 4.0`.
[<AutoOpen>]
module Ops =
    /// alpha = 1, rooted for the life of the process (a module value is a static field).
    let one: Scalar = (1.0).ToScalar()

    let inline private keep (s: Scalar) (r: Tensor) =
        System.GC.KeepAlive s
        r

    /// a + b (tensors, broadcasting).
    let (.+) (a: Tensor) (b: Tensor) : Tensor = a.add (b, one)
    /// a - b (tensors, broadcasting).
    let (.-) (a: Tensor) (b: Tensor) : Tensor = a.sub (b) // (no Scalar involved)

    /// t · v for a number v.
    let (.*) (t: Tensor) (v: float) : Tensor =
        let s = v.ToScalar()
        keep s (t.mul (s))

    /// t / v for a number v.
    let (./) (t: Tensor) (v: float) : Tensor =
        let s = v.ToScalar()
        keep s (t.div (s))

    /// a += b in place.
    let addInPlace (a: Tensor) (b: Tensor) : Tensor = a.add_ (b, one)

    /// t /= v in place.
    let divInPlace (t: Tensor) (v: float) : Tensor =
        let s = v.ToScalar()
        keep s (t.div_ (s))
