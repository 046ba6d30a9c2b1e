namespace BatchRec.Core.Nn

#nowarn "9" // native pointers: the kernels read and write tensor memory in place

open System
open System.Numerics
open System.Runtime.InteropServices
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop
open TorchSharp
open BatchRec.Core.Graph

type internal PatternOperand(m: Csr, transpose: int[]) =
    member _.Csr = m
    member _.Transpose = transpose

[<RequireQualifiedAccess>]
module WeightedSpMM =
    let private chunk = 256

    let internal multiply (m: Csr) (perm: int[] option) (v: torch.Tensor) (x: torch.Tensor) : torch.Tensor =
        SpMM.multiplyValues m (Tensors.toArray v) perm x

    let internal edgeDots (m: Csr) (gy: torch.Tensor) (x: torch.Tensor) : torch.Tensor =
        let d = int x.shape.[1]
        use xd = x.detach ()
        use xc = xd.contiguous ()
        use gd = gy.detach ()
        use gc = gd.contiguous ()
        let g = torch.empty ([| int64 m.Nnz |], dtype = torch.float32)
        let xPtr, gyPtr, gPtr = SpMM.address xc, SpMM.address gc, SpMM.address g

        Parallel.For(
            0,
            (m.Rows + chunk - 1) / chunk,
            fun c ->
                let xs = NativePtr.ofNativeInt<float32> xPtr
                let gys = NativePtr.ofNativeInt<float32> gyPtr
                let gs = NativePtr.ofNativeInt<float32> gPtr

                for r in c * chunk .. (min m.Rows ((c + 1) * chunk)) - 1 do
                    let grow = ReadOnlySpan<float32>(NativePtr.toVoidPtr (NativePtr.add gys (r * d)), d)

                    for p in m.RowPtr.[r] .. m.RowPtr.[r + 1] - 1 do
                        let xrow =
                            ReadOnlySpan<float32>(NativePtr.toVoidPtr (NativePtr.add xs (m.ColIdx.[p] * d)), d)

                        NativePtr.set gs p (SpMM.dot grow xrow)
        )
        |> ignore

        g

type internal WeightedSpMMFunction() =
    inherit torch.autograd.SingleTensorFunction<WeightedSpMMFunction>()
    override _.Name = "WeightedSpMM"

    override _.forward(ctx, vars) =
        let op = vars.[0] :?> PatternOperand
        let v = vars.[1] :?> torch.Tensor
        let x = vars.[2] :?> torch.Tensor
        ctx.save_data ("op", op)
        ctx.save_for_backward (Collections.Generic.List<torch.Tensor>([ v; x ]))
        WeightedSpMM.multiply op.Csr None v x

    override _.backward(ctx, grad) =
        let op = ctx.get_data "op" :?> PatternOperand
        let saved = ctx.get_saved_variables ()
        let v, x = saved.[0], saved.[1]
        let gv = WeightedSpMM.edgeDots op.Csr grad x
        let gx = WeightedSpMM.multiply op.Csr (Some op.Transpose) v grad
        Collections.Generic.List<torch.Tensor>([ Unchecked.defaultof<torch.Tensor>; gv; gx ])

type internal BlockOperand(m: Csr) =
    let rowPtrT = Array.zeroCreate (m.Cols + 1)

    do
        for c in m.ColIdx do
            rowPtrT.[c + 1] <- rowPtrT.[c + 1] + 1

    do
        for c in 0 .. m.Cols - 1 do
            rowPtrT.[c + 1] <- rowPtrT.[c + 1] + rowPtrT.[c]
    // perm.[q] = the entry of B that is entry q of Bᵀ (rows of Bᵀ ascending: B's rows are visited in order)
    let colT, perm =
        let next = Array.sub rowPtrT 0 m.Cols
        let colT = Array.zeroCreate m.Nnz
        let perm = Array.zeroCreate m.Nnz

        for r in 0 .. m.Rows - 1 do
            for p in m.RowPtr.[r] .. m.RowPtr.[r + 1] - 1 do
                let q = next.[m.ColIdx.[p]]
                colT.[q] <- r
                perm.[q] <- p
                next.[m.ColIdx.[p]] <- q + 1

        colT, perm

    member _.Csr = m

    member _.Transposed =
        {
            Rows = m.Cols
            Cols = m.Rows
            RowPtr = rowPtrT
            ColIdx = colT
            Values = perm |> Array.map (fun p -> m.Values.[p])
        }

    member _.Perm = perm

type internal BlockSpMMFunction() =
    inherit torch.autograd.SingleTensorFunction<BlockSpMMFunction>()
    override _.Name = "BlockSpMM"

    override _.forward(ctx, vars) =
        let op = vars.[0] :?> BlockOperand
        let v = vars.[1] :?> torch.Tensor
        let x = vars.[2] :?> torch.Tensor
        ctx.save_data ("op", op)
        ctx.save_data ("vgrad", box v.requires_grad)
        ctx.save_for_backward (Collections.Generic.List<torch.Tensor>([ v; x ]))
        WeightedSpMM.multiply op.Csr None v x

    override _.backward(ctx, grad) =
        let op = ctx.get_data "op" :?> BlockOperand
        let saved = ctx.get_saved_variables ()
        let v, x = saved.[0], saved.[1]

        let gv =
            if unbox<bool>(ctx.get_data "vgrad") then
                WeightedSpMM.edgeDots op.Csr grad x
            else
                Unchecked.defaultof<torch.Tensor>

        let gx = SpMM.multiplyValues op.Transposed (Tensors.toArray v) (Some op.Perm) grad
        Collections.Generic.List<torch.Tensor>([ Unchecked.defaultof<torch.Tensor>; gv; gx ])

[<RequireQualifiedAccess>]
module BlockProduct =
    let apply
        (kernels: bool)
        (m: Csr)
        (rows: torch.Tensor)
        (cols: torch.Tensor)
        (v: torch.Tensor)
        (x: torch.Tensor)
        : torch.Tensor =
        if kernels && x.device.``type`` = DeviceType.CPU && x.dtype = torch.float32 then
            BlockSpMMFunction.apply (BlockOperand m, v, x)
        else
            use scope = torch.NewDisposeScope()
            let msg = x.index_select (0L, cols) * v.unsqueeze (1L) // [nnz, d]

            let y =
                torch
                    .zeros([| int64 m.Rows; x.shape.[1] |], dtype = x.dtype, device = x.device)
                    .index_add(0L, rows, msg, one) // [R, d]

            y.MoveToOuterDisposeScope()

[<RequireQualifiedAccess>]
module internal AttentionKernel =
    let private floats (t: torch.Tensor) = Tensors.toArray t

    let forward
        (m: Csr)
        (w: float32[])
        (logPrior: float32[])
        (s: torch.Tensor)
        (t: torch.Tensor)
        (c: torch.Tensor)
        : float32[] =
        let h = int s.shape.[1]
        let sv, tv, cv = floats s, floats t, floats c
        let a = Array.zeroCreate (m.Nnz * h)

        Parallel.For(
            0,
            m.Rows,
            fun r ->
                let p0, p1 = m.RowPtr.[r], m.RowPtr.[r + 1]

                if p1 > p0 then
                    for k in 0 .. h - 1 do
                        let mutable mx = Single.NegativeInfinity

                        for p in p0 .. p1 - 1 do
                            let pre = sv.[r * h + k] + tv.[m.ColIdx.[p] * h + k] + cv.[k] * w.[p]
                            let z = (if pre > 0.0f then pre else 0.2f * pre) + logPrior.[p]
                            a.[p * h + k] <- z

                            if z > mx then
                                mx <- z

                        let mutable sum = 0.0f

                        for p in p0 .. p1 - 1 do
                            let e = exp (a.[p * h + k] - mx)
                            a.[p * h + k] <- e
                            sum <- sum + e

                        for p in p0 .. p1 - 1 do
                            a.[p * h + k] <- a.[p * h + k] / sum
        )
        |> ignore

        a

    let backward
        (m: Csr)
        (transpose: int[])
        (w: float32[])
        (s: float32[])
        (t: float32[])
        (c: float32[])
        (a: float32[])
        (ga: float32[])
        (h: int)
        =
        let gpre = Array.zeroCreate (m.Nnz * h)
        let gs = Array.zeroCreate (m.Rows * h)
        let gcRows = Array.zeroCreate (m.Rows * h)

        Parallel.For(
            0,
            m.Rows,
            fun r ->
                let p0, p1 = m.RowPtr.[r], m.RowPtr.[r + 1]

                for k in 0 .. h - 1 do
                    let mutable dot = 0.0f

                    for p in p0 .. p1 - 1 do
                        dot <- dot + a.[p * h + k] * ga.[p * h + k]

                    let mutable rowSum = 0.0f
                    let mutable cSum = 0.0f

                    for p in p0 .. p1 - 1 do
                        let gz = a.[p * h + k] * (ga.[p * h + k] - dot)
                        let pre = s.[r * h + k] + t.[m.ColIdx.[p] * h + k] + c.[k] * w.[p]
                        let g = if pre > 0.0f then gz else 0.2f * gz
                        gpre.[p * h + k] <- g
                        rowSum <- rowSum + g
                        cSum <- cSum + g * w.[p]

                    gs.[r * h + k] <- rowSum
                    gcRows.[r * h + k] <- cSum
        )
        |> ignore

        let gt = Array.zeroCreate (m.Rows * h)

        Parallel.For(
            0,
            m.Rows,
            fun j ->
                for k in 0 .. h - 1 do
                    let mutable acc = 0.0f

                    for q in m.RowPtr.[j] .. m.RowPtr.[j + 1] - 1 do
                        acc <- acc + gpre.[transpose.[q] * h + k]

                    gt.[j * h + k] <- acc
        )
        |> ignore

        let gc =
            Array.init h (fun k -> Seq.sum (seq { for r in 0 .. m.Rows - 1 -> gcRows.[r * h + k] }))

        gs, gt, gc

type internal AttentionOperand(m: Csr, transpose: int[], weight: float32[], logPrior: float32[]) =
    member _.Csr = m
    member _.Transpose = transpose
    member _.Weight = weight
    member _.LogPrior = logPrior

type internal AttentionFunction() =
    inherit torch.autograd.SingleTensorFunction<AttentionFunction>()
    override _.Name = "GatAttention"

    override _.forward(ctx, vars) =
        let op = vars.[0] :?> AttentionOperand
        let s = vars.[1] :?> torch.Tensor
        let t = vars.[2] :?> torch.Tensor
        let c = vars.[3] :?> torch.Tensor
        let a = AttentionKernel.forward op.Csr op.Weight op.LogPrior s t c
        let out = torch.tensor (a, ReadOnlySpan<int64>([| int64 op.Csr.Nnz; s.shape.[1] |]))
        ctx.save_data ("op", op)
        ctx.save_for_backward (Collections.Generic.List<torch.Tensor>([ s; t; c; out ]))
        out

    override _.backward(ctx, grad) =
        let op = ctx.get_data "op" :?> AttentionOperand
        let saved = ctx.get_saved_variables ()
        let floats (x: torch.Tensor) = Tensors.toArray x
        let s, t, c, a = saved.[0], saved.[1], saved.[2], saved.[3]
        let h = int s.shape.[1]

        let gs, gt, gc =
            AttentionKernel.backward
                op.Csr
                op.Transpose
                op.Weight
                (floats s)
                (floats t)
                (floats c)
                (floats a)
                (floats grad)
                h

        let n = int64 op.Csr.Rows

        Collections.Generic.List<torch.Tensor>(
            [
                Unchecked.defaultof<torch.Tensor>
                torch.tensor (gs, ReadOnlySpan<int64>([| n; int64 h |]))
                torch.tensor (gt, ReadOnlySpan<int64>([| n; int64 h |]))
                torch.tensor (gc)
            ]
        )

[<RequireQualifiedAccess>]
module RowSoftmax =
    let apply (m: Csr) (rows: torch.Tensor) (z: torch.Tensor) : torch.Tensor =
        use scope = torch.NewDisposeScope()
        let h = z.shape.[1]
        let zs = Tensors.toArray z // [nnz × H] row-major
        let hh = int h
        let mx = Array.zeroCreate (m.Rows * hh)

        Parallel.For(
            0,
            m.Rows,
            fun r ->
                for k in 0 .. hh - 1 do
                    let mutable best = Single.NegativeInfinity

                    for p in m.RowPtr.[r] .. m.RowPtr.[r + 1] - 1 do
                        best <- max best zs.[p * hh + k]

                    mx.[r * hh + k] <- if Single.IsNegativeInfinity best then 0.0f else best
        )
        |> ignore

        let mx = torch.tensor(mx, device = z.device).reshape(int64 m.Rows, h) // [R, H]
        let ez = (z - mx.index_select (0L, rows)).exp() // [nnz, H]

        let sums =
            torch.zeros([| int64 m.Rows; h |], dtype = z.dtype, device = z.device).index_add(0L, rows, ez, one) // [R, H]

        let a = ez / sums.index_select (0L, rows)
        a.MoveToOuterDisposeScope()

[<Sealed>]
type EdgeSet(device: torch.Device, g: HeteroGraph, kernels: bool) =
    let src, dst, prior = Csr.toEdges g.Norm
    let rows = Tensors.indices device src
    let cols = Tensors.indices device dst
    let rowScale = Csr.rowSums g.Norm

    let logPrior =
        torch.tensor (prior |> Array.map (fun p -> float32 (Math.Log(float (max p 1e-30f)))), device = device)

    let priorT = torch.tensor (prior, device = device)
    let scale = torch.tensor (src |> Array.map (fun r -> rowScale.[r]), device = device)
    let weight = torch.tensor (g.EdgeWeight, device = device)
    let op = PatternOperand(g.Norm, g.Transpose)

    let attnOp =
        AttentionOperand(
            g.Norm,
            g.Transpose,
            g.EdgeWeight,
            prior |> Array.map (fun p -> float32 (Math.Log(float (max p 1e-30f))))
        )

    let onCpu = kernels && device.``type`` = DeviceType.CPU
    new(device: torch.Device, g: HeteroGraph) = new EdgeSet(device, g, true)
    member _.Graph = g
    member _.Nodes = g.Nodes
    member _.Nnz = g.Norm.Nnz
    member _.Rows = rows
    member _.Cols = cols
    member _.LogPrior = logPrior
    member _.Prior = priorT
    member _.RowScale = scale
    member _.Weight = weight

    member _.Propagate(v: torch.Tensor, x: torch.Tensor) : torch.Tensor =
        if onCpu then
            WeightedSpMMFunction.apply (op, v, x)
        else
            // any other device: gather–scale–scatter with libtorch's own autograd
            use scope = torch.NewDisposeScope()
            let msg = x.index_select (0L, cols) * v.unsqueeze (1L) // [nnz, d]

            let y =
                torch
                    .zeros([| int64 g.Nodes; x.shape.[1] |], dtype = x.dtype, device = x.device)
                    .index_add(0L, rows, msg, one)

            y.MoveToOuterDisposeScope()

    member this.Attention(s: torch.Tensor, t: torch.Tensor, c: torch.Tensor) : torch.Tensor =
        if onCpu then
            AttentionFunction.apply (attnOp, s, t, c)
        else
            use scope = torch.NewDisposeScope()

            let z =
                torch.nn.functional.leaky_relu (
                    s.index_select (0L, rows)
                    .+ t.index_select (0L, cols)
                    .+ weight.unsqueeze (1L) * c.unsqueeze (0L),
                    0.2
                )
                .+ logPrior.unsqueeze (1L)

            (this.RowSoftmax z).MoveToOuterDisposeScope()

    member _.RowSoftmax(z: torch.Tensor) : torch.Tensor = RowSoftmax.apply g.Norm rows z

    interface IDisposable with
        member _.Dispose() =
            for t in [ rows; cols; logPrior; priorT; scale; weight ] do
                t.Dispose()

[<RequireQualifiedAccess>]
module GatLayer =
    let attention (edges: EdgeSet) (wa: torch.Tensor) (c: torch.Tensor) (x: torch.Tensor) : torch.Tensor =
        use scope = torch.NewDisposeScope()
        let h = c.shape.[0]
        let st = x.mm (wa) // [N, 2H]
        let s = st.narrow (1L, 0L, h)
        let t = st.narrow (1L, h, h)
        (edges.Attention(s, t, c)).MoveToOuterDisposeScope()

    let coefficients (edges: EdgeSet) (a: torch.Tensor) : torch.Tensor = a.mean ([| 1L |]) * edges.RowScale
