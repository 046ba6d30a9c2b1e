namespace BatchRec.Core.Graph

[<RequireQualifiedAccess>]
module Bipartite =
    let adjacency (numUsers: int) (numItems: int) (users: int[]) (items: int[]) : Csr =
        if users.Length <> items.Length then
            invalidArg "items" (sprintf "length %d differs from users length %d" items.Length users.Length)

        let n = numUsers + numItems
        let e = users.Length
        let src = Array.zeroCreate (2 * e)
        let dst = Array.zeroCreate (2 * e)

        for k in 0 .. e - 1 do
            if items.[k] < 0 || items.[k] >= numItems then
                invalidArg "items" (sprintf "pair %d: item %d outside 0..%d" k items.[k] (numItems - 1))

            src.[k] <- users.[k]
            dst.[k] <- numUsers + items.[k]
            src.[e + k] <- numUsers + items.[k]
            dst.[e + k] <- users.[k]

        let m = Csr.ofEdges n n src dst (Array.create (2 * e) 1.0f)

        { m with
            Values = Array.create m.Nnz 1.0f
        } // binarise repeated pairs

    let userItems (numUsers: int) (numItems: int) (users: int[]) (items: int[]) : Csr =
        let m = Csr.ofEdges numUsers numItems users items (Array.create users.Length 1.0f)

        { m with
            Values = Array.create m.Nnz 1.0f
        }
