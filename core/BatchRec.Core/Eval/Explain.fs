namespace BatchRec.Core.Eval

#nowarn "9" // native pointers: the reasons kernel reads pinned factor memory without bounds checks

open System
open System.Numerics
open System.Runtime.InteropServices
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop
open BatchRec.Core.Graph
open BatchRec.Core.Nn

[<RequireQualifiedAccess>]
module Explain =
    let inverseNorms (itemFactors: float32[]) (dim: int) : float32[] =
        let n = itemFactors.Length / dim
        let out = Array.zeroCreate n

        for i in 0 .. n - 1 do
            let row = ReadOnlySpan<float32>(itemFactors, i * dim, dim)
            let s = SpMM.dot row row

            if s > 0.0f then
                out.[i] <- 1.0f / sqrt s

        out

    let inline private load (p: nativeptr<float32>) (offset: int) : Vector<float32> =
        Unsafe.Read<Vector<float32>>(NativePtr.toVoidPtr (NativePtr.add p offset))

    let inline private fma (x: Vector<float32>) (y: Vector<float32>) (acc: Vector<float32>) =
        Vector.FusedMultiplyAdd(x, y, acc)

    /// Keeps, per lane, the larger similarity acc · inv[item] (the dot products over the history item's norm) and its
    /// history item (strictly larger: ties keep the earlier item).
    let inline private keep
        (inv: nativeptr<float32>)
        (best: nativeptr<Vector<float32>>)
        (bestItem: nativeptr<Vector<int>>)
        (v: int)
        (acc: Vector<float32>)
        (item: int)
        =
        let acc = acc * Vector<float32>(NativePtr.get inv item)
        let b = NativePtr.get best v
        let better = Vector.GreaterThan(acc, b)
        NativePtr.set best v (Vector.ConditionalSelect(better, acc, b))

        NativePtr.set
            bestItem
            v
            (Vector.ConditionalSelect(Vector.AsVectorInt32 better, Vector<int>(item), NativePtr.get bestItem v))

    /// One history item h against all nv vectors of recommendations, one vector at a time (any nv; the odd last
    /// row of scanUser, and its path beyond 4 vectors).
    let private scanRow
        (factors: nativeptr<float32>)
        (inv: nativeptr<float32>)
        (dim: int)
        (h: int)
        (rt: nativeptr<float32>)
        (nv: int)
        (best: nativeptr<Vector<float32>>)
        (bestItem: nativeptr<Vector<int>>)
        =
        let lanes = Vector<float32>.Count
        let stride = nv * lanes
        let ph = NativePtr.add factors (h * dim)

        for v in 0 .. nv - 1 do
            let mutable acc = Vector<float32>.Zero

            for j in 0 .. dim - 1 do
                acc <- fma (Vector<float32>(NativePtr.get ph j)) (load rt (j * stride + v * lanes)) acc

            keep inv best bestItem v acc h

    /// One user's scan: every history item (history.ColIdx.[h0 .. h1-1], item rows of the factors) against the nv vectors
    /// of recommendations in rt (d × nv·lanes, row j = the recommendations' j-th components). Two history rows per
    /// pass for nv ≤ 4, each vector count with its own loop so the accumulators stay in registers and no lane is
    /// computed for nothing; fused multiply-adds, no bounds checks (every index is within the arrays by
    /// construction: h < I, j < d, v < nv).
    let private scanUser
        (factors: nativeptr<float32>)
        (inv: nativeptr<float32>)
        (dim: int)
        (cols: int[])
        (h0: int)
        (h1: int)
        (rt: nativeptr<float32>)
        (nv: int)
        (best: nativeptr<Vector<float32>>)
        (bestItem: nativeptr<Vector<int>>)
        =
        let lanes = Vector<float32>.Count
        let stride = nv * lanes
        let mutable q = h0
        // pairs of history rows
        while q + 1 < h1 do
            let hA, hB = cols.[q], cols.[q + 1]
            let pa, pb = NativePtr.add factors (hA * dim), NativePtr.add factors (hB * dim)

            match nv with
            | 1 ->
                let mutable a0 = Vector<float32>.Zero
                let mutable b0 = Vector<float32>.Zero

                for j in 0 .. dim - 1 do
                    let xa, xb =
                        Vector<float32>(NativePtr.get pa j), Vector<float32>(NativePtr.get pb j)

                    let v0 = load rt (j * stride)
                    a0 <- fma xa v0 a0
                    b0 <- fma xb v0 b0

                keep inv best bestItem 0 a0 hA
                keep inv best bestItem 0 b0 hB
            | 2 ->
                let mutable a0 = Vector<float32>.Zero
                let mutable a1 = Vector<float32>.Zero
                let mutable b0 = Vector<float32>.Zero
                let mutable b1 = Vector<float32>.Zero

                for j in 0 .. dim - 1 do
                    let xa, xb =
                        Vector<float32>(NativePtr.get pa j), Vector<float32>(NativePtr.get pb j)

                    let o = j * stride
                    let v0, v1 = load rt o, load rt (o + lanes)
                    a0 <- fma xa v0 a0
                    a1 <- fma xa v1 a1
                    b0 <- fma xb v0 b0
                    b1 <- fma xb v1 b1

                keep inv best bestItem 0 a0 hA
                keep inv best bestItem 1 a1 hA
                keep inv best bestItem 0 b0 hB
                keep inv best bestItem 1 b1 hB
            | 3 ->
                let mutable a0 = Vector<float32>.Zero
                let mutable a1 = Vector<float32>.Zero
                let mutable a2 = Vector<float32>.Zero
                let mutable b0 = Vector<float32>.Zero
                let mutable b1 = Vector<float32>.Zero
                let mutable b2 = Vector<float32>.Zero

                for j in 0 .. dim - 1 do
                    let xa, xb =
                        Vector<float32>(NativePtr.get pa j), Vector<float32>(NativePtr.get pb j)

                    let o = j * stride
                    let v0, v1, v2 = load rt o, load rt (o + lanes), load rt (o + 2 * lanes)
                    a0 <- fma xa v0 a0
                    a1 <- fma xa v1 a1
                    a2 <- fma xa v2 a2
                    b0 <- fma xb v0 b0
                    b1 <- fma xb v1 b1
                    b2 <- fma xb v2 b2

                keep inv best bestItem 0 a0 hA
                keep inv best bestItem 1 a1 hA
                keep inv best bestItem 2 a2 hA
                keep inv best bestItem 0 b0 hB
                keep inv best bestItem 1 b1 hB
                keep inv best bestItem 2 b2 hB
            | 4 ->
                let mutable a0 = Vector<float32>.Zero
                let mutable a1 = Vector<float32>.Zero
                let mutable a2 = Vector<float32>.Zero
                let mutable a3 = Vector<float32>.Zero
                let mutable b0 = Vector<float32>.Zero
                let mutable b1 = Vector<float32>.Zero
                let mutable b2 = Vector<float32>.Zero
                let mutable b3 = Vector<float32>.Zero

                for j in 0 .. dim - 1 do
                    let xa, xb =
                        Vector<float32>(NativePtr.get pa j), Vector<float32>(NativePtr.get pb j)

                    let o = j * stride

                    let v0, v1, v2, v3 =
                        load rt o, load rt (o + lanes), load rt (o + 2 * lanes), load rt (o + 3 * lanes)

                    a0 <- fma xa v0 a0
                    a1 <- fma xa v1 a1
                    a2 <- fma xa v2 a2
                    a3 <- fma xa v3 a3
                    b0 <- fma xb v0 b0
                    b1 <- fma xb v1 b1
                    b2 <- fma xb v2 b2
                    b3 <- fma xb v3 b3

                keep inv best bestItem 0 a0 hA
                keep inv best bestItem 1 a1 hA
                keep inv best bestItem 2 a2 hA
                keep inv best bestItem 3 a3 hA
                keep inv best bestItem 0 b0 hB
                keep inv best bestItem 1 b1 hB
                keep inv best bestItem 2 b2 hB
                keep inv best bestItem 3 b3 hB
            | _ ->
                scanRow factors inv dim hA rt nv best bestItem
                scanRow factors inv dim hB rt nv best bestItem

            q <- q + 2
        // an odd last row
        if q < h1 then
            scanRow factors inv dim cols.[q] rt nv best bestItem

    // ---- 512-bit kernel (AVX-512): up to 32 recommendations per user, four history rows per pass ----

    let inline private load16 (p: nativeptr<float32>) (offset: int) : Vector512<float32> =
        Unsafe.Read<Vector512<float32>>(NativePtr.toVoidPtr (NativePtr.add p offset))

    let inline private bcast (p: nativeptr<float32>) (j: int) = Vector512.Create(NativePtr.get p j)

    let inline private fma16 (x: Vector512<float32>) (y: Vector512<float32>) (acc: Vector512<float32>) =
        Vector512.FusedMultiplyAdd(x, y, acc)

    /// keep for 16 lanes: the larger similarity acc · inv[item] and its history item per lane, strictly larger only.
    let inline private keep16
        (inv: nativeptr<float32>)
        (best: nativeptr<Vector512<float32>>)
        (bestItem: nativeptr<Vector512<int>>)
        (v: int)
        (acc: Vector512<float32>)
        (item: int)
        =
        let acc = acc * Vector512.Create(NativePtr.get inv item)
        let b = NativePtr.get best v
        let better = Vector512.GreaterThan(acc, b)
        NativePtr.set best v (Vector512.ConditionalSelect(better, acc, b))

        NativePtr.set
            bestItem
            v
            (Vector512.ConditionalSelect(better.AsInt32(), Vector512.Create(item), NativePtr.get bestItem v))

    /// scanUser with 16-lane vectors for nv = 1 or 2 (k ≤ 32; rt is d × 16·nv): four history rows per pass, so each
    /// row of rt loaded serves four rows, then one row at a time. The same sums in the same order as scanUser (one
    /// fused multiply-add per component, j ascending), so both kernels give the same similarities and the same items.
    let private scanUser16
        (factors: nativeptr<float32>)
        (inv: nativeptr<float32>)
        (dim: int)
        (cols: int[])
        (h0: int)
        (h1: int)
        (rt: nativeptr<float32>)
        (nv: int)
        (best: nativeptr<Vector512<float32>>)
        (bestItem: nativeptr<Vector512<int>>)
        =
        let mutable q = h0

        if nv = 1 then
            while q + 3 < h1 do
                let hA, hB, hC, hD = cols.[q], cols.[q + 1], cols.[q + 2], cols.[q + 3]
                let pa, pb = NativePtr.add factors (hA * dim), NativePtr.add factors (hB * dim)
                let pc, pd = NativePtr.add factors (hC * dim), NativePtr.add factors (hD * dim)
                let mutable a = Vector512<float32>.Zero
                let mutable b = Vector512<float32>.Zero
                let mutable c = Vector512<float32>.Zero
                let mutable d = Vector512<float32>.Zero

                for j in 0 .. dim - 1 do
                    let r = load16 rt (j * 16)
                    a <- fma16 (bcast pa j) r a
                    b <- fma16 (bcast pb j) r b
                    c <- fma16 (bcast pc j) r c
                    d <- fma16 (bcast pd j) r d

                keep16 inv best bestItem 0 a hA
                keep16 inv best bestItem 0 b hB
                keep16 inv best bestItem 0 c hC
                keep16 inv best bestItem 0 d hD
                q <- q + 4
        else
            while q + 3 < h1 do
                let hA, hB, hC, hD = cols.[q], cols.[q + 1], cols.[q + 2], cols.[q + 3]
                let pa, pb = NativePtr.add factors (hA * dim), NativePtr.add factors (hB * dim)
                let pc, pd = NativePtr.add factors (hC * dim), NativePtr.add factors (hD * dim)
                let mutable a0 = Vector512<float32>.Zero
                let mutable a1 = Vector512<float32>.Zero
                let mutable b0 = Vector512<float32>.Zero
                let mutable b1 = Vector512<float32>.Zero
                let mutable c0 = Vector512<float32>.Zero
                let mutable c1 = Vector512<float32>.Zero
                let mutable d0 = Vector512<float32>.Zero
                let mutable d1 = Vector512<float32>.Zero

                for j in 0 .. dim - 1 do
                    let r0, r1 = load16 rt (j * 32), load16 rt (j * 32 + 16)
                    let xa = bcast pa j
                    a0 <- fma16 xa r0 a0
                    a1 <- fma16 xa r1 a1
                    let xb = bcast pb j
                    b0 <- fma16 xb r0 b0
                    b1 <- fma16 xb r1 b1
                    let xc = bcast pc j
                    c0 <- fma16 xc r0 c0
                    c1 <- fma16 xc r1 c1
                    let xd = bcast pd j
                    d0 <- fma16 xd r0 d0
                    d1 <- fma16 xd r1 d1

                keep16 inv best bestItem 0 a0 hA
                keep16 inv best bestItem 1 a1 hA
                keep16 inv best bestItem 0 b0 hB
                keep16 inv best bestItem 1 b1 hB
                keep16 inv best bestItem 0 c0 hC
                keep16 inv best bestItem 1 c1 hC
                keep16 inv best bestItem 0 d0 hD
                keep16 inv best bestItem 1 d1 hD
                q <- q + 4
        // the last 0-3 rows, one at a time
        let stride = nv * 16

        while q < h1 do
            let h = cols.[q]
            let ph = NativePtr.add factors (h * dim)

            for v in 0 .. nv - 1 do
                let mutable acc = Vector512<float32>.Zero

                for j in 0 .. dim - 1 do
                    acc <- fma16 (bcast ph j) (load16 rt (j * stride + v * 16)) acc

                keep16 inv best bestItem v acc h

            q <- q + 1

    let wideKernel (maxK: int) =
        Vector512.IsHardwareAccelerated && maxK <= 32

    /// The per-user driver shared by both kernels: per user, the recommended rows transposed into a d × k' block
    /// (k' = k rounded up to whole vectors of `lanes`, padded lanes zero), the best similarity per lane reset to -∞,
    /// `scan` over the user's history, then each row's item read off its lane.
    let inline private perUser
        (threads: int)
        (factors: float32[])
        (inv: float32[])
        (dim: int)
        (history: Csr)
        (block: TopK)
        (lanes: int)
        (maxNv: int)
        ([<InlineIfLambda>] reset: 'V[] -> 'W[] -> int -> unit)
        ([<InlineIfLambda>] itemOf: 'W[] -> int -> int)
        ([<InlineIfLambda>] scan:
            nativeptr<float32>
                -> nativeptr<float32>
                -> int
                -> int
                -> nativeptr<float32>
                -> int
                -> nativeptr<'V>
                -> nativeptr<'W>
                -> unit)
        : int[] =
        if inv.Length * dim <> factors.Length then
            invalidArg "inv" (sprintf "%d inverse norms for %d items" inv.Length (factors.Length / dim))

        let result = Array.create block.Items.Length -1
        let pinned = GCHandle.Alloc(factors, GCHandleType.Pinned)
        let pinnedInv = GCHandle.Alloc(inv, GCHandleType.Pinned)

        try
            let factorsPtr: nativeptr<float32> =
                NativePtr.ofNativeInt (pinned.AddrOfPinnedObject())

            let invPtr: nativeptr<float32> =
                NativePtr.ofNativeInt (pinnedInv.AddrOfPinnedObject())

            Parallel.For(
                0,
                block.Users.Length,
                Workers.options threads,
                (fun () ->
                    Array.zeroCreate<float32>(dim * maxNv * lanes),
                    Array.zeroCreate<'V> maxNv,
                    Array.zeroCreate<'W> maxNv),
                (fun b _ (rt: float32[], best: 'V[], bestItem: 'W[]) ->
                    let u = block.Users.[b]
                    let h0, h1 = history.RowPtr.[u], history.RowPtr.[u + 1]
                    let p0, p1 = block.Offsets.[b], block.Offsets.[b + 1]
                    let k = p1 - p0

                    if k > 0 && h1 > h0 then
                        let nv = (k + lanes - 1) / lanes
                        let stride = nv * lanes
                        // Rᵀ [dim × stride], padded lanes zero
                        Array.Clear(rt, 0, dim * stride)

                        for p in p0 .. p1 - 1 do
                            let src = block.Items.[p] * dim

                            for j in 0 .. dim - 1 do
                                rt.[j * stride + (p - p0)] <- factors.[src + j]

                        reset best bestItem nv
                        use rtp = fixed rt
                        use bp = fixed best
                        use bip = fixed bestItem
                        scan factorsPtr invPtr h0 h1 rtp nv bp bip

                        for p in p0 .. p1 - 1 do
                            result.[p] <- itemOf bestItem (p - p0)

                    (rt, best, bestItem)),
                (fun _ -> ())
            )
            |> ignore
        finally
            pinned.Free()
            pinnedInv.Free()

        result

    let private maxRows (block: TopK) =
        let mutable m = 0

        for b in 0 .. block.Users.Length - 1 do
            m <- max m (block.Offsets.[b + 1] - block.Offsets.[b])

        m

    let reasonsPortable
        (threads: int)
        (factors: float32[])
        (inv: float32[])
        (dim: int)
        (history: Csr)
        (block: TopK)
        : int[] =
        let lanes = Vector<float32>.Count
        let maxNv = max 1 ((maxRows block + lanes - 1) / lanes)

        perUser
            threads
            factors
            inv
            dim
            history
            block
            lanes
            maxNv
            (fun best bestItem nv ->
                for v in 0 .. nv - 1 do
                    best.[v] <- Vector<float32>(Single.NegativeInfinity)
                    bestItem.[v] <- Vector<int>(-1))
            (fun bestItem l -> bestItem.[l / lanes].[l % lanes])
            (fun factorsPtr invPtr h0 h1 rt nv best bestItem ->
                scanUser factorsPtr invPtr dim history.ColIdx h0 h1 rt nv best bestItem)

    let reasons (threads: int) (factors: float32[]) (inv: float32[]) (dim: int) (history: Csr) (block: TopK) : int[] =
        let maxK = maxRows block

        if not (wideKernel maxK) then
            reasonsPortable threads factors inv dim history block
        else
            perUser
                threads
                factors
                inv
                dim
                history
                block
                16
                (max 1 ((maxK + 15) / 16))
                (fun (best: Vector512<float32>[]) (bestItem: Vector512<int>[]) nv ->
                    for v in 0 .. nv - 1 do
                        best.[v] <- Vector512.Create(Single.NegativeInfinity)
                        bestItem.[v] <- Vector512.Create(-1))
                (fun bestItem l -> bestItem.[l / 16].[l % 16])
                (fun factorsPtr invPtr h0 h1 rt nv best bestItem ->
                    scanUser16 factorsPtr invPtr dim history.ColIdx h0 h1 rt nv best bestItem)

    let contributions (threads: int) (weights: float32[]) (numItems: int) (history: Csr) (block: TopK) : int[] =
        if int64 weights.Length <> int64 history.Cols * int64 numItems then
            invalidArg
                "weights"
                (sprintf "%d weights for %d history items × %d items" weights.Length history.Cols numItems)

        let result = Array.create block.Items.Length -1

        Parallel.For(
            0,
            block.Users.Length,
            Workers.options threads,
            fun b ->
                let u = block.Users.[b]
                let h0, h1 = history.RowPtr.[u], history.RowPtr.[u + 1]

                for p in block.Offsets.[b] .. block.Offsets.[b + 1] - 1 do
                    let r = int64 block.Items.[p]
                    let mutable best = 0.0f
                    let mutable bestItem = -1

                    for q in h0 .. h1 - 1 do
                        let i = history.ColIdx.[q]
                        let w = weights.[int (int64 i * int64 numItems + r)]

                        if w > best then
                            best <- w
                            bestItem <- i

                    result.[p] <- bestItem
        )
        |> ignore

        result
