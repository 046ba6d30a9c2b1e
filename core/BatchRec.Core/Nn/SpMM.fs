namespace BatchRec.Core.Nn

#nowarn "9" // native pointers: the kernel reads and writes tensor memory in place

open System
open System.Numerics
open System.Runtime.InteropServices
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop
open TorchSharp
open BatchRec.Core.Graph

[<RequireQualifiedAccess>]
module SpMM =
    let internal address (t: torch.Tensor) : nativeint =
        let span = t.bytes
        use p = fixed span
        NativePtr.toNativeInt p

    let internal dot (a: ReadOnlySpan<float32>) (b: ReadOnlySpan<float32>) : float32 =
        let av = MemoryMarshal.Cast<float32, Vector<float32>> a
        let bv = MemoryMarshal.Cast<float32, Vector<float32>> b
        let mutable acc = Vector<float32>.Zero

        for j in 0 .. av.Length - 1 do
            acc <- acc + av.[j] * bv.[j]

        let mutable s = Vector.Dot(acc, Vector<float32>.One)

        for j in av.Length * Vector<float32>.Count .. a.Length - 1 do
            s <- s + a.[j] * b.[j]

        s

    let internal multiplyValues (a: Csr) (values: float32[]) (perm: int[] option) (x: torch.Tensor) : torch.Tensor =
        if x.dim () <> 2L || int x.shape.[0] <> a.Cols then
            invalidArg "x" (sprintf "must be [%d, d], got %A" a.Cols x.shape)

        let d = int x.shape.[1]
        // No dispose scope here: the backward pass runs on autograd's thread, outside the caller's scope.
        use xd = x.detach ()
        use xc = xd.contiguous () // [C, d]
        let y = torch.empty ([| int64 a.Rows; int64 d |], dtype = torch.float32) // [R, d]
        let xPtr, yPtr = address xc, address y
        let lanes = Vector<float32>.Count
        let chunk = 512

        Parallel.For(
            0,
            (a.Rows + chunk - 1) / chunk,
            fun c ->
                let xs = NativePtr.ofNativeInt<float32> xPtr
                let ys = NativePtr.ofNativeInt<float32> yPtr

                for r in c * chunk .. (min a.Rows ((c + 1) * chunk)) - 1 do
                    let yrow = Span<float32>(NativePtr.toVoidPtr (NativePtr.add ys (r * d)), d)
                    yrow.Clear()
                    let yv = MemoryMarshal.Cast<float32, Vector<float32>> yrow
                    let tail = yv.Length * lanes

                    for p in a.RowPtr.[r] .. a.RowPtr.[r + 1] - 1 do
                        let w =
                            values
                                .[match perm with
                                  | Some t -> t.[p]
                                  | None -> p]

                        let xrow =
                            ReadOnlySpan<float32>(NativePtr.toVoidPtr (NativePtr.add xs (a.ColIdx.[p] * d)), d)

                        let xv = MemoryMarshal.Cast<float32, Vector<float32>> xrow

                        for j in 0 .. yv.Length - 1 do
                            yv.[j] <- yv.[j] + xv.[j] * w

                        for j in tail .. d - 1 do
                            yrow.[j] <- yrow.[j] + xrow.[j] * w
        )
        |> ignore

        y

    let multiply (a: Csr) (x: torch.Tensor) : torch.Tensor = multiplyValues a a.Values None x

type internal CsrOperand(a: Csr) =
    member _.Csr = a

type internal SymmetricSpMMFunction() =
    inherit torch.autograd.SingleTensorFunction<SymmetricSpMMFunction>()
    override _.Name = "SymmetricSpMM"

    override _.forward(ctx, vars) =
        ctx.save_data ("a", vars.[0])
        SpMM.multiply (vars.[0] :?> CsrOperand).Csr (vars.[1] :?> torch.Tensor)

    override _.backward(ctx, grad) =
        let a = (ctx.get_data "a" :?> CsrOperand).Csr
        Collections.Generic.List<torch.Tensor>([ Unchecked.defaultof<torch.Tensor>; SpMM.multiply a grad ]) // one gradient per input: none for the CSR operand

[<Sealed>]
type Propagator private (csr: Csr, sparse: torch.Tensor option) =
    member _.Apply(x: torch.Tensor) : torch.Tensor =
        match sparse with
        | Some s -> s.mm x
        | None -> SymmetricSpMMFunction.apply (CsrOperand csr, x)

    member _.Csr = csr

    interface IDisposable with
        member _.Dispose() =
            sparse |> Option.iter (fun s -> s.Dispose())

    static member Create(device: torch.Device, a: Csr) =
        if a.Rows <> a.Cols || Csr.transpose a <> a then
            invalidArg "a" "the adjacency must be square and symmetric"

        if device.``type`` = DeviceType.CPU then
            new Propagator(a, None)
        else
            new Propagator(a, Some(Tensors.sparse device a))
