module BatchRec.Core.Tests.SimilarItemsFacts

open System
open Xunit
open FsCheck
open FsCheck.Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Eval
open BatchRec.Core.Train

/// Split graphs whose train split is `pairs` (user, item) over `users` × `items`; the other splits are empty.
let private graphsOf (users: int) (items: int) (pairs: (int * int) list) =
    let src = pairs |> List.map fst |> List.toArray
    let dst = pairs |> List.map snd |> List.toArray
    let train = Csr.ofEdges users items src dst (Array.create src.Length 1.0f)
    let empty = Csr.ofEdges users items [||] [||] [||]

    {
        Train = train
        TrainWeighted = train
        Valid = empty
        Test = empty
        TrainValid = train
        All = train
        Cold = empty
        HeldOut = Array.zeroCreate items
    }

let private model kind items dim factors weights =
    {
        Kind = kind
        NumUsers = 3
        NumItems = items
        Dim = dim
        UserFactors = Array.zeroCreate (3 * dim)
        ItemFactors = factors
        ItemWeights = weights
        BestEpoch = 0
        EpochsRun = 0
        BestValid = 0.0
        StoppedEarly = false
        SecondsPerEpoch = 0.0
        Tuning = []
    }

let private features (items: int) (textDim: int) (text: float32[]) (hasText: bool[]) (tags: string[][]) =
    let attributes, names = NodeFeatures.attributesOfTags tags

    { NodeFeatures.none 3 items with
        TextDim = textDim
        ItemText = text
        ItemHasText = hasText
        ItemAttributes = attributes
        AttributeNames = names
    }

let private none items =
    features items 0 [||] (Array.zeroCreate items) (Array.create items [||])

let private search = Config.Default.Search
let private cpu = torch.CPU

/// Row i as (item, score) pairs, padding left out.
let private row (s: SimilarItems) (i: int) =
    [ for r in 0 .. s.Count i - 1 -> s.Items.[i * s.K + r], s.Scores.[i * s.K + r] ]

let private near (expected: (int * float) list) (actual: (int * float32) list) =
    Assert.Equal<int list>(List.map fst expected, List.map fst actual)

    for (_, e), (_, a) in List.zip expected actual do
        Assert.Equal(e, float a, 4)

[<Fact>]
let ``item weights: the positive weights of each row, best first, ties to the lower item; no positive weight falls back to popularity``
    ()
    =
    // users 0 and 1: item counts 1, 2, 2, 1
    let g = graphsOf 2 4 [ 0, 0; 0, 1; 0, 2; 1, 1; 1, 2; 1, 3 ]

    let w =
        [|
            0.0f
            0.5f
            0.2f
            -0.1f // row 0
            0.3f
            0.0f
            0.3f
            0.1f // row 1: items 0 and 2 tie
            -0.2f
            -0.1f
            0.0f
            0.0f // row 2: nothing positive
            0.0f
            0.0f
            0.7f
            0.0f // row 3: one
        |]

    let s = SimilarItems.compute search 0 cpu g (model "ease" 4 0 [||] w) (none 4) 2
    near [ 1, 0.5; 2, 0.2 ] (row s 0)
    near [ 0, 0.3; 2, 0.3 ] (row s 1)
    // popularity: item 1 (2 of 2), then items 0 and 3 (1 of 2) tie and go to the lower
    near [ 1, 1.0; 0, 0.5 ] (row s 2)
    near [ 2, 0.7 ] (row s 3)
    Assert.Equal(-1, s.Items.[3 * 2 + 1])
    Assert.True(Single.IsNaN s.Scores.[3 * 2 + 1])

    Assert.Equal<SimilarityKind list>(
        [
            SimilarityKind.ItemWeights
            SimilarityKind.ItemWeights
            SimilarityKind.Popularity
            SimilarityKind.ItemWeights
        ],
        List.ofArray s.Kinds
    )

[<Fact>]
let ``embeddings: cosine of the item factors among warm items; a new item gets the items whose text reads most like its own``
    ()
    =
    // items 0..3 warm, item 4 has no training interaction
    let g = graphsOf 2 5 [ 0, 0; 0, 1; 1, 2; 1, 3 ]
    let factors = [| 1.0f; 0.0f; 1.0f; 1.0f; 0.0f; 1.0f; -1.0f; 0.0f; 5.0f; 5.0f |]
    let text = [| 1.0f; 0.0f; 0.0f; 1.0f; 1.0f; 1.0f; -1.0f; 0.0f; 1.0f; 0.1f |]
    let f = features 5 2 text (Array.create 5 true) (Array.create 5 [||])
    let s = SimilarItems.compute search 0 cpu g (model "lightgcn" 5 2 factors [||]) f 2
    let r2 = 1.0 / sqrt 2.0
    // item 4's untrained factors (5, 5) are no candidate of a non-GAT model; a cosine of 0 or below is no likeness
    near [ 1, r2 ] (row s 0)
    near [ 0, r2; 2, r2 ] (row s 1)
    Assert.Equal(SimilarityKind.EmbeddingCosine, s.Kinds.[0])
    // item 3 (-1, 0) has no positive cosine, neither of its factors nor of its text (-1, 0): the most popular items
    // (items 0..3 have one interaction each: the lower two)
    near [ 0, 1.0; 1, 1.0 ] (row s 3)
    Assert.Equal(SimilarityKind.Popularity, s.Kinds.[3])
    // text cosines of item 4 (1, 0.1): item 0 0.995, item 2 0.774, item 1 0.0995
    near [ 0, 1.0 / sqrt 1.01; 2, 1.1 / (sqrt 1.01 * sqrt 2.0) ] (row s 4)
    Assert.Equal(SimilarityKind.Text, s.Kinds.[4])

[<Fact>]
let ``the GAT models' cold items with content are candidates: their embeddings come from it; contentless ones are not``
    ()
    =
    // items 0 and 1 warm; item 2 new with a tag; item 3 new with nothing (its vector is the model's constant part)
    let g = graphsOf 2 4 [ 0, 0; 1, 1 ]
    let factors = [| 1.0f; 0.0f; 0.0f; 1.0f; 0.9f; 0.1f; 1.0f; 0.0f |]
    let f = features 4 0 [||] (Array.zeroCreate 4) [| [||]; [||]; [| "x" |]; [||] |]
    let s = SimilarItems.compute search 0 cpu g (model "gat-text" 4 2 factors [||]) f 2
    Assert.Equal<int list>([ 2 ], row s 0 |> List.map fst) // not item 3, though its vector equals item 0's
    Assert.Equal(SimilarityKind.EmbeddingCosine, s.Kinds.[0])
    // the new items themselves: item 2 by its tag (nobody shares it) falls to popularity, as does item 3
    Assert.Equal(SimilarityKind.Popularity, s.Kinds.[2])
    Assert.Equal<int list>([ 0; 1 ], row s 3 |> List.map fst)

[<Fact>]
let ``popularity model: co-occurrence cosine of the items' users; cold items by shared attributes, then popularity``
    ()
    =
    // users: 0 {0,1}, 1 {0,1,2}, 2 {2,3}; items 4 and 5 are new
    let g = graphsOf 3 6 [ 0, 0; 0, 1; 1, 0; 1, 1; 1, 2; 2, 2; 2, 3 ]
    let tags = [| [| "a"; "b" |]; [| "b" |]; [||]; [||]; [| "a" |]; [||] |]
    let f = features 6 0 [||] (Array.zeroCreate 6) tags

    let s =
        SimilarItems.compute search 0 cpu g (model "popularity" 6 1 (Array.zeroCreate 6) [||]) f 2

    near [ 1, 1.0; 2, 0.5 ] (row s 0) // items 0 and 1 share both users; 0 and 2 one of 2 × 2
    near [ 2, 1.0 / sqrt 2.0 ] (row s 3) // item 3 shares its one user with item 2 only
    Assert.Equal(SimilarityKind.CoOccurrence, s.Kinds.[0])
    near [ 0, 1.0 / sqrt 2.0 ] (row s 4) // tag a: item 0 {a, b}
    Assert.Equal(SimilarityKind.Attributes, s.Kinds.[4])
    near [ 0, 1.0; 1, 1.0 ] (row s 5) // nothing known: items 0, 1, 2 have 2 interactions each, the lower two
    Assert.Equal(SimilarityKind.Popularity, s.Kinds.[5])

[<Fact>]
let ``k below 1 and a model of another size are refused`` () =
    let g = graphsOf 1 2 [ 0, 0; 0, 1 ]
    let m = model "ease" 2 0 [||] (Array.zeroCreate 4)

    Assert.Throws<ArgumentException>(fun () -> SimilarItems.compute search 0 cpu g m (none 2) 0 |> ignore)
    |> ignore

    Assert.Throws<ArgumentException>(fun () ->
        SimilarItems.compute search 0 cpu (graphsOf 1 3 [ 0, 0 ]) m (none 3) 1 |> ignore)
    |> ignore

[<Property(MaxTest = 60)>]
let ``item weights: every row is the brute-force top k of its positive off-diagonal weights`` (seed: int) =
    let rng = Random seed
    let n = rng.Next(1, 12)
    let k = rng.Next(1, 6)
    // every item warm; weights from a few levels so that ties happen
    let g = graphsOf n n [ for i in 0 .. n - 1 -> i, i ]
    let w = Array.init (n * n) (fun _ -> float32 (rng.Next(-3, 4)) / 4.0f)
    let s = SimilarItems.compute search 0 cpu g (model "ease" n 0 [||] w) (none n) k

    [ 0 .. n - 1 ]
    |> List.forall (fun i ->
        let expected =
            [
                for j in 0 .. n - 1 do
                    if j <> i && w.[i * n + j] > 0.0f then
                        yield j, w.[i * n + j]
            ]
            |> List.sortBy (fun (j, v) -> -v, j)
            |> List.truncate k

        match expected with
        | [] ->
            s.Kinds.[i] = SimilarityKind.Popularity
            && row s i |> List.forall (fun (j, _) -> j <> i)
        | _ -> s.Kinds.[i] = SimilarityKind.ItemWeights && row s i = expected)
