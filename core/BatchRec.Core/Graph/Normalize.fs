namespace BatchRec.Core.Graph

[<RequireQualifiedAccess>]
module Normalize =
    let symmetric (a: Csr) : Csr =
        if a.Rows <> a.Cols then
            invalidArg "a" (sprintf "must be square, got %d×%d" a.Rows a.Cols)

        let deg = Csr.rowSums a

        let inv =
            deg
            |> Array.mapi (fun i d ->
                if d < 0.0f then
                    invalidArg "a" (sprintf "row %d has negative degree %g" i d)
                elif d = 0.0f then
                    0.0f
                else
                    1.0f / sqrt d)

        let values = Array.zeroCreate a.Nnz

        for r in 0 .. a.Rows - 1 do
            for p in a.RowPtr.[r] .. a.RowPtr.[r + 1] - 1 do
                values.[p] <- a.Values.[p] * inv.[r] * inv.[a.ColIdx.[p]]

        { a with Values = values }
