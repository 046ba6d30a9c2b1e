namespace BatchRec.Core.Nn

#nowarn "9" // native pointers: the Gram matrix is accumulated in the tensor's memory

open System
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop
open TorchSharp
open BatchRec.Core.Graph

[<RequireQualifiedAccess>]
module Ease =
    let fitBytes (numItems: int) = 8L * int64 numItems * int64 numItems

    /// Adds 1 to g[i, j] for every pair (i, j) of columns sharing a row of `m` (rows × items), in parallel over i:
    /// row i of g is written by one worker only, from the column-major view (mT, items × rows).
    let private addPairs (g: torch.Tensor) (m: Csr) (weight: float32) =
        let n = m.Cols
        let mT = Csr.transpose m
        let basePtr: nativeptr<float32> = NativePtr.ofNativeInt (SpMM.address g)

        Parallel.For(
            0,
            n,
            fun i ->
                let row = NativePtr.add basePtr (i * n) // i * n < 2³¹: checkSize keeps n at most 23,170

                for p in mT.RowPtr.[i] .. mT.RowPtr.[i + 1] - 1 do
                    let r = mT.ColIdx.[p]

                    for q in m.RowPtr.[r] .. m.RowPtr.[r + 1] - 1 do
                        let j = m.ColIdx.[q]
                        NativePtr.set row j (NativePtr.get row j + weight)
        )
        |> ignore

    let maxItems = BatchRec.Core.Config.easeItemLimit

    let private checkSize (n: int) =
        if n > maxItems then
            invalidArg
                "x"
                (sprintf
                    "%d items: B (4 · %d² bytes) is beyond this implementation, which copies it through one .NET span (at most %d items)"
                    n
                    n
                    maxItems)

    let gram (x: Csr) : torch.Tensor =
        checkSize x.Cols
        let g = torch.zeros ([| int64 x.Cols; int64 x.Cols |], dtype = torch.float32)
        addPairs g x 1.0f
        g

    let addFeatureGram (g: torch.Tensor) (features: Csr) (weight: float) =
        if int64 features.Rows <> g.shape.[0] then
            invalidArg "features" (sprintf "has %d item rows, the Gram matrix %d items" features.Rows g.shape.[0])

        if weight <> 0.0 then
            // FᵀF over items = pairs of items sharing a feature: the feature × item view's rows are the features
            addPairs g (Csr.transpose features) (float32 weight)

    let addTextGram (g: torch.Tensor) (t: torch.Tensor) (beta: float) =
        if t.shape.[0] <> g.shape.[0] then
            invalidArg "t" (sprintf "has %d item rows, the Gram matrix %d items" t.shape.[0] g.shape.[0])

        if beta <> 0.0 then
            use tt = t.t ()
            g.addmm_ (t, tt, beta = 1.0f, alpha = float32 beta) |> ignore

    let inverse (g: torch.Tensor) (lambda: float) : torch.Tensor =
        if not (lambda > 0.0) then
            invalidArg "lambda" (sprintf "must be > 0, got %g" lambda)

        use scope = torch.NewDisposeScope()
        let shift = lambda.ToScalar()
        g.diagonal().add_(shift) |> ignore
        GC.KeepAlive shift

        let l =
            try
                torch.linalg.cholesky (g) // [I, I], lower
            finally
                g.Dispose() // consumed: only L and then P are alive from here

        let p = torch.cholesky_inverse (l) // [I, I], symmetric
        l.Dispose()
        // LAPACK may hand the result back column-major; P is symmetric, so its transpose is the same matrix, row-major
        let p = if p.is_contiguous () then p else p.t ()
        p.MoveToOuterDisposeScope()

    let ofInverse (p: torch.Tensor) : torch.Tensor =
        use scope = torch.NewDisposeScope() // the diagonal views share P's storage: disposed here, not by the finaliser
        let d = p.diagonal().clone() // [I], P_jj > 0 (P is positive definite)
        p.div_(d.unsqueeze (0L)).neg_() |> ignore // B_ij = −P_ij / P_jj
        p.diagonal().zero_() |> ignore
        d.MoveToOuterDisposeScope()

    let fit (g: torch.Tensor) (lambda: float) : torch.Tensor =
        let p = inverse g lambda
        use _d = ofInverse p
        p

    let contentMap (p: torch.Tensor) (lambda: float) (warm: int[]) (f: torch.Tensor) (mu: float) : torch.Tensor =
        if not (mu > 0.0) then
            invalidArg "mu" (sprintf "must be > 0, got %g" mu)

        if f.shape.[0] <> p.shape.[0] then
            invalidArg "f" (sprintf "has %d item rows, P %d items" f.shape.[0] p.shape.[0])

        use scope = torch.NewDisposeScope()
        let w = Tensors.indices p.device warm
        let fw = f.index_select (0L, w) // [W, d]
        let dfe = fw.shape.[1]

        let m =
            torch.linalg.inv (
                fw.t().mm(fw)
                .+ (torch.eye (dfe, dtype = torch.float32, device = p.device) .* mu)
            ) // [d, d]

        let y = fw.mm (m) // [W, d]: F_w M
        // (I − λP)[:, w] · Y = E_w Y − λ P[:, w] Y, E_w Y placing Y's rows at the warm items
        let py = p.index_select(1L, w).mm(y) // [I, d]
        let a = py .* (-lambda)
        a.index_add_ (0L, w, y, one) |> ignore
        a.MoveToOuterDisposeScope()
