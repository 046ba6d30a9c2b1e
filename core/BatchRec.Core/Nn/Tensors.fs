namespace BatchRec.Core.Nn

open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

type Tensor = torch.Tensor

[<RequireQualifiedAccess>]
module Tensors =
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

    let indices (device: torch.Device) (xs: int[]) : Tensor =
        torch.tensor (Array.map int64 xs, dtype = torch.int64, device = device)

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

[<AutoOpen>]
module Ops =
    let one: Scalar = (1.0).ToScalar()

    let inline private keep (s: Scalar) (r: Tensor) =
        System.GC.KeepAlive s
        r

    let (.+) (a: Tensor) (b: Tensor) : Tensor = a.add (b, one)
    let (.-) (a: Tensor) (b: Tensor) : Tensor = a.sub (b) // (no Scalar involved)

    let (.*) (t: Tensor) (v: float) : Tensor =
        let s = v.ToScalar()
        keep s (t.mul (s))

    let (./) (t: Tensor) (v: float) : Tensor =
        let s = v.ToScalar()
        keep s (t.div (s))

    let addInPlace (a: Tensor) (b: Tensor) : Tensor = a.add_ (b, one)

    let divInPlace (t: Tensor) (v: float) : Tensor =
        let s = v.ToScalar()
        keep s (t.div_ (s))
