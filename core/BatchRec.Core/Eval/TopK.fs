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

type TopK =
    {
        Users: int[]
        Offsets: int[]
        Items: int[]
        Scores: float32[]
    }

type ItemItem = { Weights: torch.Tensor; History: Csr }

[<RequireQualifiedAccess>]
module TopK =
    let inline private worse (s1: float32) (i1: int) (s2: float32) (i2: int) = s1 < s2 || (s1 = s2 && i1 > i2)

    /// Restores the min-heap property below position c of a heap of n entries (root = the worst kept).
    let private siftDown (hs: Span<float32>) (hi: Span<int>) (n: int) (start: int) =
        let s, j = hs.[start], hi.[start]
        let mutable c = start
        let mutable moving = true

        while moving do
            let l = 2 * c + 1

            if l >= n then
                moving <- false
            else
                let m =
                    if l + 1 < n && worse hs.[l + 1] hi.[l + 1] hs.[l] hi.[l] then
                        l + 1
                    else
                        l

                if worse hs.[m] hi.[m] s j then
                    hs.[c] <- hs.[m]
                    hi.[c] <- hi.[m]
                    c <- m
                else
                    moving <- false

        hs.[c] <- s
        hi.[c] <- j

    /// Offers (s, j) to a min-heap of the best kk kept so far (n of them; root = the worst kept), ordered by score,
    /// then lower item index first.
    let private offer (hs: Span<float32>) (hi: Span<int>) (n: byref<int>) (kk: int) (s: float32) (j: int) =
        if n < kk then
            let mutable c = n
            n <- n + 1
            let mutable moving = true

            while moving && c > 0 do
                let parent = (c - 1) / 2

                if worse s j hs.[parent] hi.[parent] then
                    hs.[c] <- hs.[parent]
                    hi.[c] <- hi.[parent]
                    c <- parent
                else
                    moving <- false

            hs.[c] <- s
            hi.[c] <- j
        elif worse hs.[0] hi.[0] s j then
            hs.[0] <- s
            hi.[0] <- j
            siftDown hs hi kk 0

    /// Offers the scores row[j0 .. j1-1] (items c0 + j) one by one to the heap (hs/hi, n kept, at most kk), skipping
    /// NaN and -∞ (the excluded items' mark); floor tracks the heap's minimum once it is full.
    let private offerRange
        (row: nativeptr<float32>)
        (c0: int)
        (j0: int)
        (j1: int)
        (hs: Span<float32>)
        (hi: Span<int>)
        (n: byref<int>)
        (kk: int)
        (floor: byref<Numerics.Vector<float32>>)
        =
        for j in j0 .. j1 - 1 do
            let s = NativeInterop.NativePtr.get row j
            // s > -∞ is false for NaN and -∞; once the heap is full only a strictly higher score can enter (a later
            // item loses every tie)
            if s > Single.NegativeInfinity && (n < kk || s > hs.[0]) then
                offer hs hi &n kk s (c0 + j)

                if n = kk then
                    floor <- Numerics.Vector<float32>(hs.[0])

    /// Scans items [c0, c0 + cn) of one user's score row (`row` points at item c0's score, the user's excluded items
    /// already set to -∞) into that user's heap (hs/hi, n kept so far, at most kk). Once the heap is full, whole SIMD
    /// vectors whose lanes are all ≤ the heap's minimum are skipped with one comparison (exact: a later item never
    /// wins a tie against a kept one, whose index is lower); any other vector is offered lane by lane.
    let private scanSegment
        (row: nativeptr<float32>)
        (c0: int)
        (cn: int)
        (hs: Span<float32>)
        (hi: Span<int>)
        (n: byref<int>)
        (kk: int)
        =
        let lanes = Numerics.Vector<float32>.Count

        let mutable floor =
            Numerics.Vector<float32>(if n = kk then hs.[0] else Single.PositiveInfinity)

        let mutable j = 0
        // fill the heap first
        while n < kk && j < cn do
            offerRange row c0 j (j + 1) hs hi &n kk &floor
            j <- j + 1

        while j + lanes <= cn do
            let v =
                Runtime.CompilerServices.Unsafe.Read<Numerics.Vector<float32>>(
                    NativeInterop.NativePtr.toVoidPtr (NativeInterop.NativePtr.add row j)
                )

            if Numerics.Vector.GreaterThanAny(v, floor) then
                offerRange row c0 j (j + lanes) hs hi &n kk &floor

            j <- j + lanes

        offerRange row c0 j cn hs hi &n kk &floor

    /// The slot kernel's worst kept entry among the 32 slots at sc/ix (unused slots hold +∞, so never the worst):
    /// the lowest score, and among equal lowest scores the highest item index. Vector minimum, then the lanes that
    /// hold it; a scalar pass only when several do.
    let inline private worstSlot (sc: nativeptr<float32>) (ix: nativeptr<int>) =
        let a = Unsafe.Read<Vector512<float32>>(NativePtr.toVoidPtr sc)
        let b = Unsafe.Read<Vector512<float32>>(NativePtr.toVoidPtr (NativePtr.add sc 16))
        let m16 = Vector512.Min(a, b)
        let m8 = Vector256.Min(m16.GetLower(), m16.GetUpper())
        let m4 = Vector128.Min(m8.GetLower(), m8.GetUpper())
        let m2 = Vector128.Min(m4, Vector128.Shuffle(m4, Vector128.Create(2, 3, 0, 1)))
        let m1 = Vector128.Min(m2, Vector128.Shuffle(m2, Vector128.Create(1, 0, 3, 2)))
        let low = Vector512.Create(m1.ToScalar())

        let lanes =
            Vector512.Equals(a, low).ExtractMostSignificantBits()
            ||| (Vector512.Equals(b, low).ExtractMostSignificantBits() <<< 16)

        if BitOperations.PopCount lanes = 1 then
            BitOperations.TrailingZeroCount lanes
        else
            let mutable bits = lanes &&& (lanes - 1UL)
            let mutable w = BitOperations.TrailingZeroCount lanes

            while bits <> 0UL do
                let l = BitOperations.TrailingZeroCount bits

                if NativePtr.get ix l > NativePtr.get ix w then
                    w <- l

                bits <- bits &&& (bits - 1UL)

            w

    /// scanSegment for kk ≤ 32 with 512-bit vectors (slotKernel): the kept entries are unordered slots, not a heap.
    /// An offer replaces the worst slot and finds the new worst with one vector minimum (worstSlot), where the heap
    /// sifts through dependent, unpredictable branches; 16 scores are compared with the worst at once, and only
    /// lanes above it are visited. Items arrive in ascending order, so a later item never wins a tie against a kept
    /// one: strictly higher scores enter, as in the heap. sc/ix are the row's 32 slots, kept between column tiles
    /// (Kept: scores +∞ and items -1 beyond n, so a padded slot is never the worst).
    let private scanSlots
        (row: nativeptr<float32>)
        (c0: int)
        (cn: int)
        (sc: nativeptr<float32>)
        (ix: nativeptr<int>)
        (n: byref<int>)
        (kk: int)
        =
        let mutable j = 0
        // fill the slots first (NaN and -∞ never enter)
        while n < kk && j < cn do
            let s = NativePtr.get row j

            if s > Single.NegativeInfinity then
                NativePtr.set sc n s
                NativePtr.set ix n (c0 + j)
                n <- n + 1

            j <- j + 1

        if n = kk then
            let mutable w = worstSlot sc ix
            let mutable floor = Vector512.Create(NativePtr.get sc w)

            while j + 16 <= cn do
                let v = Unsafe.Read<Vector512<float32>>(NativePtr.toVoidPtr (NativePtr.add row j))
                // NaN and -∞ compare false; the floor may rise while this vector's lanes are visited
                let mutable bits = Vector512.GreaterThan(v, floor).ExtractMostSignificantBits()

                while bits <> 0UL do
                    let l = BitOperations.TrailingZeroCount bits
                    let s = NativePtr.get row (j + l)

                    if s > NativePtr.get sc w then
                        NativePtr.set sc w s
                        NativePtr.set ix w (c0 + j + l)
                        w <- worstSlot sc ix
                        floor <- Vector512.Create(NativePtr.get sc w)

                    bits <- bits &&& (bits - 1UL)

                j <- j + 16

            while j < cn do
                let s = NativePtr.get row j

                if s > NativePtr.get sc w then
                    NativePtr.set sc w s
                    NativePtr.set ix w (c0 + j)
                    w <- worstSlot sc ix

                j <- j + 1

    let slotKernel (k: int) =
        Vector512.IsHardwareAccelerated && k <= 32

    /// Every row's kept entries between column tiles: kk per row for a heap; 32 slots per row for the slot kernel,
    /// padded (scores +∞, items -1), in arrays on the pinned heap so the kernel reads them as vectors in place.
    type private Kept(count: int, kk: int, slots: bool) =
        let stride = if slots then 32 else kk
        let scores = GC.AllocateArray<float32>(count * stride, true)
        let items = GC.AllocateArray<int>(count * stride, true)

        do
            if slots then
                Array.Fill(scores, Single.PositiveInfinity)
                Array.Fill(items, -1)

        member _.Stride = stride
        member _.Scores = scores
        member _.Items = items

        member _.ScoresAt() : nativeptr<float32> =
            if scores.Length = 0 then
                NativePtr.nullPtr
            else
                NativePtr.ofNativeInt (Marshal.UnsafeAddrOfPinnedArrayElement(scores, 0))

        member _.ItemsAt() : nativeptr<int> =
            if items.Length = 0 then
                NativePtr.nullPtr
            else
                NativePtr.ofNativeInt (Marshal.UnsafeAddrOfPinnedArrayElement(items, 0))

    /// Adds the item–item part to one row of scores: row[0 .. cn) += Σ_{p ∈ history row u} W[history.ColIdx.[p], c0 .. c0 + cn)
    /// (W row-major, numItems columns, at `w`; the history's values are ignored). O(|history row| · cn).
    let private addItemItem
        (w: nativeint)
        (numItems: int)
        (history: Csr)
        (u: int)
        (c0: int)
        (cn: int)
        (row: nativeptr<float32>)
        =
        let lanes = Vector<float32>.Count

        for p in history.RowPtr.[u] .. history.RowPtr.[u + 1] - 1 do
            let src: nativeptr<float32> =
                NativePtr.ofNativeInt (w + nativeint (int64 history.ColIdx.[p] * int64 numItems + int64 c0) * 4n)

            let mutable j = 0

            while j + lanes <= cn do
                let a = Unsafe.Read<Vector<float32>>(NativePtr.toVoidPtr (NativePtr.add row j))
                let b = Unsafe.Read<Vector<float32>>(NativePtr.toVoidPtr (NativePtr.add src j))
                Unsafe.Write(NativePtr.toVoidPtr (NativePtr.add row j), a + b)
                j <- j + lanes

            while j < cn do
                NativePtr.set row j (NativePtr.get row j + NativePtr.get src j)
                j <- j + 1

    /// An item–item part as (weights address, history) for the CPU kernels: `Weights` must be a contiguous float32
    /// CPU tensor [History.Cols, numItems] (numItems = the items ranked).
    let private itemItemAt (numItems: int) (ii: ItemItem option) : struct (nativeint * Csr) voption =
        match ii with
        | None -> ValueNone
        | Some ii ->
            if
                ii.Weights.device.``type`` <> DeviceType.CPU
                || ii.Weights.dtype <> torch.float32
                || not (ii.Weights.is_contiguous ())
                || ii.Weights.shape <> [| int64 ii.History.Cols; int64 numItems |]
            then
                invalidArg
                    "ii"
                    (sprintf
                        "item–item weights must be a contiguous float32 CPU tensor [%d, %d] (history items × items ranked), got %A"
                        ii.History.Cols
                        numItems
                        ii.Weights.shape)

            ValueSome(struct (SpMM.address ii.Weights, ii.History))

    /// Marks user u's excluded items among [c0, c0 + cn) -∞ in its score row (`row` = item c0's score; exPos.[r] =
    /// where the last tile stopped in u's ascending exclusion row), then scans the row into row r's kept entries:
    /// unordered slots (scanSlots) or a heap (scanSegment).
    let inline private maskAndScan
        (slots: bool)
        (row: nativeptr<float32>)
        (c0: int)
        (cn: int)
        (exclude: Csr)
        (u: int)
        (r: int)
        (exPos: int[])
        (kept: Kept)
        (rowLen: int[])
        (kk: int)
        =
        let mutable ex = exPos.[r]
        let exEnd = exclude.RowPtr.[u + 1]

        while ex < exEnd && exclude.ColIdx.[ex] < c0 + cn do
            NativePtr.set row (exclude.ColIdx.[ex] - c0) Single.NegativeInfinity
            ex <- ex + 1

        exPos.[r] <- ex
        let mutable n = rowLen.[r]

        if slots then
            scanSlots
                row
                c0
                cn
                (NativePtr.add (kept.ScoresAt()) (r * 32))
                (NativePtr.add (kept.ItemsAt()) (r * 32))
                &n
                kk
        else
            scanSegment row c0 cn (Span<float32>(kept.Scores, r * kk, kk)) (Span<int>(kept.Items, r * kk, kk)) &n kk

        rowLen.[r] <- n

    /// Orders each row's kept entries best first (equal scores: lower item first) and packs them CSR-like: a heap is
    /// sorted in place (the worst to the end each time), unordered slots by insertion sort (at most 32).
    let private finish (threads: int) (slots: bool) (users: int[]) (kk: int) (kept: Kept) (rowLen: int[]) : TopK =
        let count = users.Length
        let stride = kept.Stride
        let rowScores, rowItems = kept.Scores, kept.Items

        Threading.Tasks.Parallel.For(
            0,
            count,
            Workers.options threads,
            fun r ->
                let hs = Span<float32>(rowScores, r * stride, stride)
                let hi = Span<int>(rowItems, r * stride, stride)

                if slots then
                    for a in 1 .. rowLen.[r] - 1 do
                        let s, i = hs.[a], hi.[a]
                        let mutable b = a

                        while b > 0 && worse hs.[b - 1] hi.[b - 1] s i do
                            hs.[b] <- hs.[b - 1]
                            hi.[b] <- hi.[b - 1]
                            b <- b - 1

                        hs.[b] <- s
                        hi.[b] <- i
                else
                    for last in rowLen.[r] - 1 .. -1 .. 1 do
                        let s, i = hs.[last], hi.[last]
                        hs.[last] <- hs.[0]
                        hi.[last] <- hi.[0]
                        hs.[0] <- s
                        hi.[0] <- i
                        siftDown hs hi last 0
        )
        |> ignore

        let offsets = Array.zeroCreate (count + 1)

        for r in 0 .. count - 1 do
            offsets.[r + 1] <- offsets.[r] + rowLen.[r]

        let items = Array.zeroCreate offsets.[count]
        let outScores = Array.zeroCreate offsets.[count]

        for r in 0 .. count - 1 do
            Array.blit rowItems (r * stride) items offsets.[r] rowLen.[r]
            Array.blit rowScores (r * stride) outScores offsets.[r] rowLen.[r]

        {
            Users = Array.copy users
            Offsets = offsets
            Items = items
            Scores = outScores
        }

    /// One CPU selection's state, shared by both product paths: k capped at the items, the kept entries (none when
    /// only the products are wanted), each row's count kept and its position in its exclusion row; Result orders
    /// and packs them on at most `threads` workers (0: one per core), or gives an empty result when `scan` is false.
    type private Selection(users: int[], numItems: int, k: int, slots: bool, exclude: Csr, scan: bool, threads: int) =
        let count = users.Length
        let kk = min k numItems
        let slots = slots && kk <= 32
        let kept = Kept((if scan then count else 0), kk, slots)
        let rowLen = Array.zeroCreate<int> count
        let exPos = Array.init count (fun r -> exclude.RowPtr.[users.[r]])

        /// Masks and scans row r's scores for items [c0, c0 + cn) (maskAndScan).
        member inline _.Scan(row: nativeptr<float32>, c0: int, cn: int, r: int) =
            maskAndScan slots row c0 cn exclude users.[r] r exPos kept rowLen kk

        member _.Result() : TopK =
            if scan then
                finish threads slots users kk kept rowLen
            else
                {
                    Users = Array.copy users
                    Offsets = Array.zeroCreate (count + 1)
                    Items = [||]
                    Scores = [||]
                }

    /// Masked top-k of rows · Iᵀ on the CPU (row r = users.[r]) with libtorch's products, never holding more than a
    /// rowTile × colTile block of scores: for each tile of rows, the items are taken colTile at a time (one addmm of
    /// the rows with those items' factors, on libtorch's threads, into one reused buffer small enough to stay in
    /// cache), then the tile's rows are masked and scanned in parallel (maskAndScan), each row's kept entries carried
    /// over from one column tile to the next. A score that is itself -∞ or NaN is never selected (as in
    /// topKUsersTorch). Tiling the items, not the users, keeps each product's packed operand small: the rows
    /// (rowTile × d), not Iᵀ. O(n · I · d) for the products, O(n · I) typical for the selection. `rows` and
    /// `itemEmb` are float32 CPU tensors. The path where MKL's sgemm is not found (productSelectBlas). With `scan`
    /// false only the products are computed; then the result is empty. `computed`.[0] gains the number of scores
    /// computed.
    let private productSelectTorch
        (computed: int64[])
        (scan: bool)
        (slots: bool)
        (rowTile: int)
        (colTile: int)
        (rows: Tensor)
        (itemEmb: Tensor)
        (ii: struct (nativeint * Csr) voption)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        let count = users.Length
        let numItems = int itemEmb.shape.[0]
        let selection = Selection(users, numItems, k, slots, exclude, scan, 0)
        let rowTile = max 1 (min rowTile count)
        let colTile = max 1 (min colTile numItems)
        use buffer = torch.empty ([| int64 (rowTile * colTile) |], dtype = torch.float32) // read as float32 below
        let address = SpMM.address buffer

        for r0 in 0..rowTile .. count - 1 do
            let rn = min rowTile (count - r0)
            use part = rows.narrow (0L, int64 r0, int64 rn)

            for c0 in 0..colTile .. numItems - 1 do
                let cn = min colTile (numItems - c0)
                use flat = buffer.narrow (0L, 0L, int64 (rn * cn))
                use out = flat.view (int64 rn, int64 cn)
                use items = itemEmb.narrow (0L, int64 c0, int64 cn)
                use itemsT = items.t ()

                if itemEmb.shape.[1] = 0L then
                    out.zero_ () |> ignore // no factors (EASE alone)
                else
                    out.addmm_ (part, itemsT, beta = 0.0f, alpha = 1.0f) |> ignore // out = part · items' factorsᵀ (beta 0: old contents ignored)

                match ii with
                | ValueSome(struct (w, history)) ->
                    Threading.Tasks.Parallel.For(
                        0,
                        rn,
                        fun t ->
                            addItemItem
                                w
                                numItems
                                history
                                users.[r0 + t]
                                c0
                                cn
                                (NativePtr.add (NativePtr.ofNativeInt<float32> address) (t * cn))
                    )
                    |> ignore
                | ValueNone -> ()

                computed.[0] <- computed.[0] + int64 (rn * cn)

                if scan then
                    Threading.Tasks.Parallel.For(
                        0,
                        rn,
                        fun t ->
                            selection.Scan(
                                NativePtr.add (NativePtr.ofNativeInt<float32> address) (t * cn),
                                c0,
                                cn,
                                r0 + t
                            )
                    )
                    |> ignore

        selection.Result()

    let blasBlockRowsFor (threads: int) (count: int) =
        let workers = Workers.count threads
        max 8 (min 256 ((count + 2 * workers - 1) / (2 * workers)))

    let blasBlockRows (count: int) = blasBlockRowsFor 0 count

    /// productSelectTorch with the products fused into the workers: the rows are cut into blocks of blockRows, and
    /// each worker thread takes whole blocks; for each column tile of colTile items it computes its block's scores
    /// with MKL's sgemm on its own thread (CpuBlas, one MKL thread per worker) into its own buffer, and masks and
    /// scans them right away, while they are in that core's cache. No product waits for another's threads, and no
    /// tile crosses cores. The same products as libtorch's addmm (MKL's sgemm underneath), and the same selection.
    /// With `scan` false only the products are computed (the benchmark's "the scorer's own products"); then the
    /// result is empty. `computed`.[0] gains the number of scores computed. `uAddr` = the users' rows (n × dim
    /// float32, row-major, row r = users.[r]), `iAddr` = the item factors (numItems × dim), both to stay put while it runs.
    /// At most `threads` workers (0: one per core).
    let private productSelectBlasAt
        (computed: int64[])
        (gemm: CpuBlas.Gemm)
        (threads: int)
        (scan: bool)
        (slots: bool)
        (blockRows: int)
        (colTile: int)
        (uAddr: nativeint)
        (iAddr: nativeint)
        (numItems: int)
        (dim: int)
        (ii: struct (nativeint * Csr) voption)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        let count = users.Length
        let selection = Selection(users, numItems, k, slots, exclude, scan, threads)
        let blockRows = max 1 (min blockRows count)
        let colTile = max 1 (min colTile numItems)
        let blocks = (count + blockRows - 1) / blockRows

        if count > 0 && numItems > 0 then
            Threading.Tasks.Parallel.For(
                0,
                blocks,
                Workers.options threads,
                (fun () -> gemm.Open(blockRows * colTile)),
                (fun b _ (w: CpuBlas.Worker) ->
                    let r0 = b * blockRows
                    let rn = min blockRows (count - r0)

                    for c0 in 0..colTile .. numItems - 1 do
                        let cn = min colTile (numItems - c0)
                        // scores [rn × cn], row-major: rows r0.. of U times items c0.. of I, transposed
                        if dim > 0 then
                            w.Scores(
                                uAddr + nativeint r0 * nativeint dim * 4n,
                                rn,
                                iAddr + nativeint c0 * nativeint dim * 4n,
                                cn,
                                dim
                            )
                        else
                            NativeMemory.Clear(
                                NativePtr.toVoidPtr (NativePtr.ofNativeInt<float32> w.Buffer),
                                unativeint (rn * cn) * 4un
                            ) // EASE alone

                        match ii with
                        | ValueSome(struct (wAddr, history)) ->
                            for t in 0 .. rn - 1 do
                                addItemItem
                                    wAddr
                                    numItems
                                    history
                                    users.[r0 + t]
                                    c0
                                    cn
                                    (NativePtr.add (NativePtr.ofNativeInt<float32> w.Buffer) (t * cn))
                        | ValueNone -> ()

                        Threading.Interlocked.Add(&computed.[0], int64 (rn * cn)) |> ignore

                        if scan then
                            for t in 0 .. rn - 1 do
                                selection.Scan(
                                    NativePtr.add (NativePtr.ofNativeInt<float32> w.Buffer) (t * cn),
                                    c0,
                                    cn,
                                    r0 + t
                                )

                    w),
                (fun (w: CpuBlas.Worker) -> (w :> IDisposable).Dispose())
            )
            |> ignore

        selection.Result()

    /// productSelectBlasAt on float32 CPU tensors (`rows` = the users' rows, [n × d]; `itemEmb` [I × d]).
    let private productSelectBlas
        (computed: int64[])
        (gemm: CpuBlas.Gemm)
        (scan: bool)
        (slots: bool)
        (blockRows: int)
        (colTile: int)
        (rows: Tensor)
        (itemEmb: Tensor)
        (ii: struct (nativeint * Csr) voption)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        use rowsC = rows.contiguous ()
        use itemsC = itemEmb.contiguous ()
        let dim = int itemEmb.shape.[1]
        let address (t: Tensor) = if dim = 0 then 0n else SpMM.address t

        productSelectBlasAt
            computed
            gemm
            0
            scan
            slots
            blockRows
            colTile
            (address rowsC)
            (address itemsC)
            (int itemEmb.shape.[0])
            dim
            ii
            exclude
            k
            users

    type CpuSelect =
        {
            Blas: bool
            Slots: bool
        }

        static member Default(k: int) =
            {
                Blas = CpuBlas.gemm.Value.IsSome
                Slots = slotKernel k
            }

    let private productSelect
        (how: CpuSelect)
        (rowTile: int)
        (colTile: int)
        (rows: Tensor)
        (itemEmb: Tensor)
        (ii: ItemItem option)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        let ii = itemItemAt (int itemEmb.shape.[0]) ii

        match (if how.Blas then CpuBlas.gemm.Value else None) with
        | Some gemm -> productSelectBlas [| 0L |] gemm true how.Slots rowTile colTile rows itemEmb ii exclude k users
        | None -> productSelectTorch [| 0L |] true how.Slots rowTile colTile rows itemEmb ii exclude k users

    let topKUsersTorchWith
        (ii: ItemItem option)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        let device = userEmb.device
        let numItems = int (itemEmb.shape.[0])
        let count = users.Length
        let kk = min k numItems
        use scope = torch.NewDisposeScope()
        use userIndex = Tensors.indices device users
        use userRows = userEmb.index_select (0L, userIndex)
        use itemsT = itemEmb.t ()

        let scores =
            if itemEmb.shape.[1] = 0L then
                torch.zeros ([| int64 count; int64 numItems |], dtype = torch.float32, device = device)
            else
                userRows.mm (itemsT) // [count, I]

        match ii with
        | Some ii ->
            // + H[users] · W: the users' binary history rows as a sparse [count, I] matrix
            let h = Tensors.sparse device (Csr.binaryRows ii.History users)

            addInPlace scores (h.mm (ii.Weights)) |> ignore
        | None -> ()
        // mask: the exclusion rows of these users, as (local row, item) index pairs
        let total =
            users |> Array.sumBy (fun u -> exclude.RowPtr.[u + 1] - exclude.RowPtr.[u])

        if total > 0 then
            let rows = Array.zeroCreate total
            let cols = Array.zeroCreate total
            let mutable q = 0

            for r in 0 .. count - 1 do
                let u = users.[r]

                for p in exclude.RowPtr.[u] .. exclude.RowPtr.[u + 1] - 1 do
                    rows.[q] <- r
                    cols.[q] <- exclude.ColIdx.[p]
                    q <- q + 1

            use minusInfinity = torch.tensor (Single.NegativeInfinity)
            use rowIndex = Tensors.indices device rows
            use colIndex = Tensors.indices device cols
            scores.index_put_ (minusInfinity, [| rowIndex; colIndex |]) |> ignore

        let struct (vals, idx) = scores.topk (kk, 1) // [count, kk] each
        let v = Tensors.toArray vals
        let ix = (idx.cpu().contiguous()).data<int64>().ToArray()
        let offsets = Array.zeroCreate (count + 1)
        let items = ResizeArray<int>(count * kk)
        let outScores = ResizeArray<float32>(count * kk)

        for r in 0 .. count - 1 do
            for j in 0 .. kk - 1 do
                let s = v.[r * kk + j]

                if not (Single.IsNegativeInfinity s) then
                    items.Add(int ix.[r * kk + j])
                    outScores.Add s

            offsets.[r + 1] <- items.Count

        {
            Users = Array.copy users
            Offsets = offsets
            Items = items.ToArray()
            Scores = outScores.ToArray()
        }

    let topKUsersTorch (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (users: int[]) : TopK =
        topKUsersTorchWith None userEmb itemEmb exclude k users

    /// Rows and items of one CPU score tile (users, items) on the libtorch path: 1024 × 1024 floats = 4 MiB, small
    /// enough to stay in the cache between the product that writes it and the scan that reads it; smaller tiles pay
    /// for packing the items again in every product, one tile of all items leaves the cache. The sgemm path takes
    /// blasBlockRows rows × the same 1024 items per worker. The sizes tried and their times: bench/README.md, "Tile
    /// sizes".
    let private rowTile, colTile = 1024, 1024

    let topKUsersCpuWith
        (how: CpuSelect)
        (rowTile: int)
        (colTile: int)
        (ii: ItemItem option)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        if rowTile <= 0 || colTile <= 0 then
            invalidArg "rowTile" (sprintf "tiles must be positive, got %d × %d" rowTile colTile)

        use index = Tensors.indices userEmb.device users
        use rows = userEmb.index_select (0L, index)
        productSelect how rowTile colTile rows itemEmb ii exclude k users

    let topKUsersCpu
        (how: CpuSelect)
        (rowTile: int)
        (colTile: int)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        topKUsersCpuWith how rowTile colTile None userEmb itemEmb exclude k users

    let topKUsersTiled
        (rowTile: int)
        (colTile: int)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        topKUsersCpu (CpuSelect.Default k) rowTile colTile userEmb itemEmb exclude k users

    /// The rows per product of the default CPU path for a block of `count` users.
    let private defaultRowTile (count: int) =
        if CpuBlas.gemm.Value.IsSome then
            blasBlockRows count
        else
            rowTile

    let topKUsersWith
        (ii: ItemItem option)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (k: int)
        (users: int[])
        : TopK =
        if userEmb.device.``type`` <> DeviceType.CPU then
            topKUsersTorchWith ii userEmb itemEmb exclude k users
        else
            topKUsersCpuWith
                (CpuSelect.Default k)
                (defaultRowTile users.Length)
                colTile
                ii
                userEmb
                itemEmb
                exclude
                k
                users

    let topKUsers (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (users: int[]) : TopK =
        topKUsersWith None userEmb itemEmb exclude k users

    let topKBlockWith
        (ii: ItemItem option)
        (userEmb: Tensor)
        (itemEmb: Tensor)
        (exclude: Csr)
        (k: int)
        (start: int)
        (count: int)
        : TopK =
        let users = Array.init count (fun r -> start + r)

        if userEmb.device.``type`` <> DeviceType.CPU then
            topKUsersTorchWith ii userEmb itemEmb exclude k users
        else
            use rows = userEmb.narrow (0L, int64 start, int64 count)
            productSelect (CpuSelect.Default k) (defaultRowTile count) colTile rows itemEmb ii exclude k users

    let topKBlock (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (start: int) (count: int) : TopK =
        topKBlockWith None userEmb itemEmb exclude k start count

    let blasAvailable () = CpuBlas.gemm.Value.IsSome

    let topKBlockArraysWith
        (threads: int)
        (numUsers: int)
        (numItems: int)
        (userFactors: float32[])
        (itemFactors: float32[])
        (dim: int)
        (itemWeights: float32[])
        (history: Csr)
        (exclude: Csr)
        (k: int)
        (start: int)
        (count: int)
        : TopK =
        let gemm =
            CpuBlas.gemm.Value
            |> Option.defaultWith (fun () -> invalidOp "MKL's sgemm is not available: use topKBlock")

        if
            dim < 0
            || userFactors.Length <> numUsers * dim
            || itemFactors.Length <> numItems * dim
        then
            invalidArg
                "dim"
                (sprintf
                    "factor arrays of %d and %d floats are not %d and %d rows of %d"
                    userFactors.Length
                    itemFactors.Length
                    numUsers
                    numItems
                    dim)

        if
            itemWeights.Length <> 0
            && int64 itemWeights.Length <> int64 numItems * int64 numItems
        then
            invalidArg
                "itemWeights"
                (sprintf "%d item–item weights for %d items (want %d² or none)" itemWeights.Length numItems numItems)

        if start < 0 || count < 0 || start + count > numUsers then
            invalidArg "start" (sprintf "users [%d, %d) are not inside 0..%d" start (start + count) numUsers)

        let users = Array.init count (fun r -> start + r)
        let pu = GCHandle.Alloc(userFactors, GCHandleType.Pinned)
        let pi = GCHandle.Alloc(itemFactors, GCHandleType.Pinned)
        let pw = GCHandle.Alloc(itemWeights, GCHandleType.Pinned)

        try
            let uAddr = pu.AddrOfPinnedObject() + nativeint start * nativeint dim * 4n

            let ii =
                if itemWeights.Length = 0 then
                    ValueNone
                else
                    ValueSome(struct (pw.AddrOfPinnedObject(), history))

            productSelectBlasAt
                [| 0L |]
                gemm
                threads
                true
                (slotKernel k)
                (blasBlockRowsFor threads count)
                colTile
                uAddr
                (pi.AddrOfPinnedObject())
                numItems
                dim
                ii
                exclude
                k
                users
        finally
            pu.Free()
            pi.Free()
            pw.Free()

    let topKBlockArrays
        (threads: int)
        (userFactors: float32[])
        (itemFactors: float32[])
        (dim: int)
        (exclude: Csr)
        (k: int)
        (start: int)
        (count: int)
        : TopK =
        if dim <= 0 || userFactors.Length % dim <> 0 || itemFactors.Length % dim <> 0 then
            invalidArg
                "dim"
                (sprintf
                    "factor arrays of %d and %d floats are not rows of %d"
                    userFactors.Length
                    itemFactors.Length
                    dim)

        topKBlockArraysWith
            threads
            (userFactors.Length / dim)
            (itemFactors.Length / dim)
            userFactors
            itemFactors
            dim
            [||]
            exclude
            exclude
            k
            start
            count

    let cpuProducts (userEmb: Tensor) (itemEmb: Tensor) : int64 =
        let count = int userEmb.shape.[0]
        let numItems = int itemEmb.shape.[0]
        let none = Csr.ofEdges count numItems [||] [||] [||]
        let users = Array.init count id
        let computed = [| 0L |]

        match CpuBlas.gemm.Value with
        | Some gemm ->
            productSelectBlas
                computed
                gemm
                false
                false
                (blasBlockRows count)
                colTile
                userEmb
                itemEmb
                ValueNone
                none
                1
                users
            |> ignore
        | None ->
            productSelectTorch computed false false rowTile colTile userEmb itemEmb ValueNone none 1 users
            |> ignore

        computed.[0]

    let topK (userEmb: Tensor) (itemEmb: Tensor) (exclude: Csr) (k: int) (chunk: int) : seq<TopK> =
        if chunk <= 0 then
            invalidArg "chunk" (sprintf "must be > 0, got %d" chunk)

        let numUsers = int (userEmb.shape.[0])

        seq {
            for start in 0..chunk .. numUsers - 1 do
                yield topKBlock userEmb itemEmb exclude k start (min chunk (numUsers - start))
        }
