namespace BatchRec.Core.Graph

/// Compressed sparse rows: row r's entries are ColIdx/Values[RowPtr[r] .. RowPtr[r+1]-1], columns ascending,
/// no duplicate (row, col) pairs. RowPtr has Rows + 1 entries and RowPtr[Rows] = Nnz.
type Csr =
    {
        Rows: int
        Cols: int
        RowPtr: int[]
        ColIdx: int[]
        Values: float32[]
    }

    /// Number of stored entries.
    member Nnz: int

[<RequireQualifiedAccess>]
module Csr =
    /// Builds a rows × cols CSR matrix from COO edges (src[e], dst[e], values[e]); duplicate (row, col) edges are
    /// summed. O(nnz log nnz).
    /// Throws ArgumentException naming the parameter for negative sizes, mismatched lengths or an index out of range.
    /// evaluates to: (Csr.ofEdges 2 2 [|1;0;1|] [|0;1;0|] [|1f;2f;3f|]).Values = [| 2f; 4f |]
    val ofEdges: rows: int -> cols: int -> src: int[] -> dst: int[] -> values: float32[] -> Csr

    /// The entries as COO arrays (src, dst, value), row-major, columns ascending. O(nnz).
    /// evaluates to: Csr.toEdges (Csr.ofEdges 2 2 [|1;0|] [|0;1|] [|5f;6f|]) = ([|0;1|], [|1;0|], [|6f;5f|])
    val toEdges: m: Csr -> int[] * int[] * float32[]

    /// Number of stored entries in each row. O(rows).
    val rowCounts: m: Csr -> int[]

    /// Sum of each row's values. O(nnz).
    val rowSums: m: Csr -> float32[]

    /// Column indices of row r, ascending (a copy). O(degree).
    val row: m: Csr -> r: int -> int[]

    /// The rows `rows` of m, in that order, as a binary rows.Length × m.Cols matrix (row k = m's row rows[k], every
    /// stored value 1). O(Σ degree).
    /// evaluates to: binaryRows (ofEdges 3 2 [|0; 2|] [|1; 0|] [|5f; 7f|]) [|2; 0|] = ofEdges 2 2 [|0; 1|] [|0; 1|] [|1f; 1f|]
    val binaryRows: m: Csr -> rows: int[] -> Csr

    /// Whether (r, c) is stored. O(log degree).
    val contains: m: Csr -> r: int -> c: int -> bool

    /// The transpose. O(nnz log nnz).
    val transpose: m: Csr -> Csr
