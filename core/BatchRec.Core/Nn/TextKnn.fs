namespace BatchRec.Core.Nn

open TorchSharp
open BatchRec.Core

[<RequireQualifiedAccess>]
module TextKnn =
    /// The (item, neighbour) pairs of a search whose query rows are `items`, padding dropped.
    let private pairs (items: int[]) (found: Neighbours) : int[] * int[] =
        let src = ResizeArray()
        let dst = ResizeArray()

        for q in 0 .. items.Length - 1 do
            for p in 0 .. found.K - 1 do
                let j = found.Items.[q * found.K + p]

                if j >= 0 then
                    src.Add items.[q]
                    dst.Add j

        src.ToArray(), dst.ToArray()

    /// The (item, neighbour) pairs of `search` over the items with text, after the argument checks.
    let private via (search: int[] -> Neighbours) (dim: int) (text: float32[]) (hasText: bool[]) (k: int) =
        if k < 0 then
            invalidArg "k" (sprintf "must be >= 0, got %d" k)

        if text.Length <> hasText.Length * dim then
            invalidArg "text" (sprintf "has %d values, expected %d items × %d" text.Length hasText.Length dim)

        let items =
            [|
                for i in 0 .. hasText.Length - 1 do
                    if hasText.[i] then
                        yield i
            |]

        if k = 0 || items.Length = 0 then
            [||], [||]
        else
            pairs items (search items)

    let neighboursInBlocks
        (blockValues: int)
        (device: torch.Device)
        (dim: int)
        (text: float32[])
        (hasText: bool[])
        (k: int)
        : int[] * int[] =
        via (fun items -> VectorSearch.exactInBlocks blockValues device dim text hasText items k) dim text hasText k

    let neighboursWith
        (settings: SearchConfig)
        (device: torch.Device)
        (dim: int)
        (text: float32[])
        (hasText: bool[])
        (k: int)
        : int[] * int[] =
        via (fun items -> VectorSearch.nearest settings device dim text hasText items k) dim text hasText k

    let neighbours (device: torch.Device) (dim: int) (text: float32[]) (hasText: bool[]) (k: int) : int[] * int[] =
        neighboursWith Config.Default.Search device dim text hasText k
