module BatchRec.Core.Tests.TextKnnFacts

open System
open Xunit
open FsCheck.Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn

/// Items 0..4 in 2-D: 0 = (1, 0), 1 = (0.8, 0.6) [cos to 0: 0.8], 2 = no text, 3 = (0, 1) [cos to 1: 0.6, to 0: 0],
/// 4 = (2, 0) [cos to 0: 1, the same direction at another length]. By hand, with k = 2:
/// 0 → 4 (1.0), 1 (0.8);  1 → 0 (0.8), 4 (0.8: a tie, the lower index first);  3 → 1 (0.6), then 0 and 4 tie at 0
/// (0 first);  4 → 0 (1.0), 1 (0.8); 2 has no text: no neighbours, nobody's neighbour.
[<Fact>]
let ``text neighbours by hand: cosine order, ties to the lower index, items without text left out`` () =
    let text = [| 1f; 0f; 0.8f; 0.6f; 0f; 0f; 0f; 1f; 2f; 0f |]
    let has = [| true; true; false; true; true |]
    let src, dst = TextKnn.neighbours torch.CPU 2 text has 2
    let got = Array.zip src dst |> Array.toList
    Assert.Equal<(int * int) list>([ 0, 4; 0, 1; 1, 0; 1, 4; 3, 1; 3, 0; 4, 0; 4, 1 ], got)

[<Fact>]
let ``k above the number of other items with text gives every other item; no text gives nothing`` () =
    let text = [| 1f; 0f; 0f; 1f; 1f; 1f |]
    let src, dst = TextKnn.neighbours torch.CPU 2 text [| true; true; true |] 10
    Assert.Equal(6, src.Length)
    Assert.True(Array.forall2 (<>) src dst)
    let s0, d0 = TextKnn.neighbours torch.CPU 2 text [| false; false; true |] 3
    Assert.Empty(s0)
    Assert.Empty(d0)
    let s1, _ = TextKnn.neighbours torch.CPU 2 text [| true; true; true |] 0
    Assert.Empty(s1)

/// For random vectors (some items without text, some duplicated so that ties occur): each item with text gets
/// min(k, n - 1) distinct neighbours, never itself nor an item without text, in order of decreasing similarity, and
/// no other item is more similar than its k-th (similarities recomputed here in float64), whatever the block size.
[<Property(MaxTest = 40)>]
let ``text neighbours are the k most similar other items with text`` (seed: int) =
    let rng = Random(seed)
    let nI, dim, k = rng.Next(1, 40), rng.Next(1, 6), rng.Next(1, 6)
    let text = Array.init (nI * dim) (fun _ -> float32 (rng.Next(-3, 4)))

    for i in 0 .. nI - 1 do
        if rng.NextDouble() < 0.2 && i > 0 then
            Array.blit text ((i - 1) * dim) text (i * dim) dim

    let has =
        Array.init nI (fun i ->
            rng.NextDouble() < 0.8
            && Seq.exists (fun c -> text.[i * dim + c] <> 0f) (seq { 0 .. dim - 1 }))

    let cos a b =
        let dot =
            Seq.sum (seq { for c in 0 .. dim - 1 -> float text.[a * dim + c] * float text.[b * dim + c] })

        let na =
            sqrt (Seq.sum (seq { for c in 0 .. dim - 1 -> float text.[a * dim + c] ** 2.0 }))

        let nb =
            sqrt (Seq.sum (seq { for c in 0 .. dim - 1 -> float text.[b * dim + c] ** 2.0 }))

        dot / (na * nb)

    let withText =
        [|
            for i in 0 .. nI - 1 do
                if has.[i] then
                    yield i
        |]

    let expected =
        if withText.Length <= 1 then
            0
        else
            min k (withText.Length - 1)

    let isTopK (src: int[], dst: int[]) =
        withText
        |> Array.forall (fun i ->
            let mine =
                [|
                    for p in 0 .. src.Length - 1 do
                        if src.[p] = i then
                            yield dst.[p]
                |]

            let sims = mine |> Array.map (cos i)
            let kth = if mine.Length = 0 then infinity else Array.last sims

            mine.Length = expected
            && (Array.distinct mine).Length = mine.Length
            && mine |> Array.forall (fun j -> j <> i && has.[j])
            && Array.pairwise sims |> Array.forall (fun (a, b) -> a >= b - 1e-5)
            && withText
               |> Array.forall (fun j -> j = i || Array.contains j mine || cos i j <= kth + 1e-5))
        && src |> Array.forall (fun i -> has.[i])
    // also when the similarities come in blocks of one to a few rows (which of two equally similar items is kept
    // may differ there: the block's float32 products can differ in the last bit)
    isTopK (TextKnn.neighbours torch.CPU dim text has k)
    && isTopK (TextKnn.neighboursInBlocks (rng.Next(1, 3 * nI)) torch.CPU dim text has k)

[<Fact>]
let ``item–item edges join the graph once per unordered pair, both ways, self-pairs dropped`` () =
    // 2 users, 3 items; text pairs (0,1) twice over (once each way), (2,2) a self-pair, (1,2)
    let g =
        HeteroGraph.buildWithItemEdges
            2
            3
            [| 0; 1 |]
            [| 0; 2 |]
            [| 1f; 1f |]
            EdgeWeight.One
            (Csr.ofEdges 3 0 [||] [||] [||])
            [| 0; 1; 2; 1 |]
            [| 1; 0; 2; 2 |]

    let has r c =
        Array.exists (fun p -> g.Norm.ColIdx.[p] = c) [| g.Norm.RowPtr.[r] .. g.Norm.RowPtr.[r + 1] - 1 |]
    // item nodes are 2, 3, 4
    Assert.True(has 2 3 && has 3 2 && has 3 4 && has 4 3)
    Assert.False(has 2 4 || has 4 4 || has 2 2)
    Assert.Equal(2 * (2 + 2), g.Norm.Nnz) // two user–item and two item–item edges, stored both ways
    // Â = D^-1/2 A D^-1/2 over all edges: item 1 (node 3) has degree 2 (items 0 and 2), item 0 (node 2) 2 (user 0, item 1)
    let at r c =
        g.Norm.Values.[Array.find (fun p -> g.Norm.ColIdx.[p] = c) [| g.Norm.RowPtr.[r] .. g.Norm.RowPtr.[r + 1] - 1 |]]

    Assert.Equal(float32 (1.0 / sqrt (2.0 * 2.0)), at 2 3, 6)
    Assert.All(g.EdgeWeight, fun w -> Assert.Equal(1f, w)) // weight "one", and no pair stored twice (repeats would sum)

    let rowOf p =
        Array.findIndex (fun r -> g.Norm.RowPtr.[r] <= p && p < g.Norm.RowPtr.[r + 1]) [| 0 .. g.Nodes - 1 |]

    for p in 0 .. g.Norm.Nnz - 1 do
        Assert.Equal(rowOf p, g.Norm.ColIdx.[g.Transpose.[p]])

    let ex =
        Assert.Throws<ArgumentException>(fun () ->
            HeteroGraph.buildWithItemEdges
                2
                3
                [| 0 |]
                [| 0 |]
                [| 1f |]
                EdgeWeight.One
                (Csr.ofEdges 3 0 [||] [||] [||])
                [| 0 |]
                [| 3 |]
            |> ignore)

    Assert.Contains("(0, 3) outside 0..2", ex.Message)

/// gat-text with model.textNeighbours: the trainer's graph joins items by text, so an item nobody has clicked (item
/// 2: no interactions, no tags) takes part of its final embedding from its text neighbour's learned id embedding:
/// the gradient of its embedding reaches that item's id row. Without text neighbours it does not; gat never has them.
[<Fact>]
let ``a never-clicked item's embedding draws on its text neighbour's id embedding`` () =
    use scope = torch.NewDisposeScope()
    torch.manual_seed 7L |> ignore
    let nU, nI = 2, 3
    let train = Csr.ofEdges nU nI [| 0; 1; 1 |] [| 0; 0; 1 |] [| 1f; 1f; 1f |]
    let empty = Csr.ofEdges nU nI [||] [||] [||]

    let graphs: BatchRec.Core.Train.SplitGraphs =
        {
            Train = train
            TrainWeighted = train
            Valid = empty
            Test = empty
            TrainValid = train
            All = train
            Cold = empty
            HeldOut = Array.zeroCreate nI
        }
    // item 2 reads like item 1 (cosine 0.99), unlike item 0
    let features =
        { NodeFeatures.none nU nI with
            TextDim = 2
            ItemText = [| 1f; 0f; 0f; 1f; 0.1f; 1f |]
            ItemHasText = [| true; true; true |]
        }

    let gradOfItem2 (kind: ModelKind) (k: int) =
        let cfg =
            { BatchRec.Core.Config.Default with
                Model =
                    { BatchRec.Core.Config.Default.Model with
                        Kind = kind
                        Dim = 4
                        Layers = 2
                        TextNeighbours = k
                    }
            }

        let model, owned =
            BatchRec.Core.Train.FactorTraining.createModel cfg torch.CPU graphs features

        use _m = model
        let gat = model :?> GatModel

        let itemItem =
            [|
                for r in nU .. nU + nI - 1 do
                    for p in gat.Graph.Norm.RowPtr.[r] .. gat.Graph.Norm.RowPtr.[r + 1] - 1 do
                        if gat.Graph.Norm.ColIdx.[p] >= nU && gat.Graph.Norm.ColIdx.[p] < nU + nI then
                            yield r - nU, gat.Graph.Norm.ColIdx.[p] - nU
            |]

        let items = (model.Forward false).Items
        items.[2L].sum().backward()
        let g = Tensors.toArray model.IdItems.grad

        for d in owned do
            d.Dispose()

        itemItem, g.[1 * 4 .. 1 * 4 + 3] |> Array.exists (fun v -> v <> 0f)

    let pairs, reaches = gradOfItem2 ModelKind.GatText 1
    Assert.Contains((2, 1), pairs)
    Assert.Contains((1, 2), pairs)
    Assert.True(reaches, "item 2's embedding should depend on item 1's id embedding through their text edge")
    let pairs0, reaches0 = gradOfItem2 ModelKind.GatText 0
    Assert.Empty(pairs0)
    Assert.False(reaches0)
    let pairsGat, _ = gradOfItem2 ModelKind.Gat 1
    Assert.Empty(pairsGat)
