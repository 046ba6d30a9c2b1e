namespace BatchRec.Core.Graph

open System

type Csr =
    {
        Rows: int
        Cols: int
        RowPtr: int[]
        ColIdx: int[]
        Values: float32[]
    }

    member this.Nnz = this.ColIdx.Length

[<RequireQualifiedAccess>]
module Csr =
    let ofEdges (rows: int) (cols: int) (src: int[]) (dst: int[]) (values: float32[]) : Csr =
        if rows < 0 then
            invalidArg "rows" (sprintf "must be >= 0, got %d" rows)

        if cols < 0 then
            invalidArg "cols" (sprintf "must be >= 0, got %d" cols)

        if src.Length <> dst.Length then
            invalidArg "dst" (sprintf "length %d differs from src length %d" dst.Length src.Length)

        if src.Length <> values.Length then
            invalidArg "values" (sprintf "length %d differs from src length %d" values.Length src.Length)

        for e in 0 .. src.Length - 1 do
            if src.[e] < 0 || src.[e] >= rows then
                invalidArg "src" (sprintf "edge %d: row %d outside 0..%d" e src.[e] (rows - 1))

            if dst.[e] < 0 || dst.[e] >= cols then
                invalidArg "dst" (sprintf "edge %d: column %d outside 0..%d" e dst.[e] (cols - 1))
        // Sort edge positions by (row, col): counting sort on rows, then sort each row's columns.
        let counts = Array.zeroCreate (rows + 1)

        for r in src do
            counts.[r + 1] <- counts.[r + 1] + 1

        for r in 0 .. rows - 1 do
            counts.[r + 1] <- counts.[r + 1] + counts.[r]

        let order = Array.zeroCreate src.Length
        let next = Array.copy counts

        for e in 0 .. src.Length - 1 do
            let r = src.[e]
            order.[next.[r]] <- e
            next.[r] <- next.[r] + 1

        let rowPtr = Array.zeroCreate (rows + 1)
        let colIdx = ResizeArray<int>(src.Length)
        let vals = ResizeArray<float32>(src.Length)
        let keys = Array.zeroCreate 0 |> ref

        for r in 0 .. rows - 1 do
            let lo, hi = counts.[r], counts.[r + 1]
            let seg = Array.sub order lo (hi - lo)
            keys.Value <- seg |> Array.map (fun e -> dst.[e])
            Array.Sort(keys.Value, seg)
            let mutable i = 0

            while i < seg.Length do
                let c = dst.[seg.[i]]
                let mutable v = values.[seg.[i]]
                i <- i + 1

                while i < seg.Length && dst.[seg.[i]] = c do
                    v <- v + values.[seg.[i]]
                    i <- i + 1

                colIdx.Add c
                vals.Add v

            rowPtr.[r + 1] <- colIdx.Count

        {
            Rows = rows
            Cols = cols
            RowPtr = rowPtr
            ColIdx = colIdx.ToArray()
            Values = vals.ToArray()
        }

    let toEdges (m: Csr) : int[] * int[] * float32[] =
        let src = Array.zeroCreate m.Nnz

        for r in 0 .. m.Rows - 1 do
            for p in m.RowPtr.[r] .. m.RowPtr.[r + 1] - 1 do
                src.[p] <- r

        src, Array.copy m.ColIdx, Array.copy m.Values

    let rowCounts (m: Csr) =
        Array.init m.Rows (fun r -> m.RowPtr.[r + 1] - m.RowPtr.[r])

    let rowSums (m: Csr) =
        Array.init m.Rows (fun r ->
            let mutable s = 0.0f

            for p in m.RowPtr.[r] .. m.RowPtr.[r + 1] - 1 do
                s <- s + m.Values.[p]

            s)

    let row (m: Csr) (r: int) =
        Array.sub m.ColIdx m.RowPtr.[r] (m.RowPtr.[r + 1] - m.RowPtr.[r])

    let binaryRows (m: Csr) (rows: int[]) =
        let src = ResizeArray<int>()
        let dst = ResizeArray<int>()

        rows
        |> Array.iteri (fun k r ->
            for p in m.RowPtr.[r] .. m.RowPtr.[r + 1] - 1 do
                src.Add k
                dst.Add m.ColIdx.[p])

        ofEdges rows.Length m.Cols (src.ToArray()) (dst.ToArray()) (Array.create src.Count 1.0f)

    let contains (m: Csr) (r: int) (c: int) =
        let lo, hi = m.RowPtr.[r], m.RowPtr.[r + 1]
        hi > lo && Array.BinarySearch(m.ColIdx, lo, hi - lo, c) >= 0

    let transpose (m: Csr) =
        let src, dst, v = toEdges m
        ofEdges m.Cols m.Rows dst src v
