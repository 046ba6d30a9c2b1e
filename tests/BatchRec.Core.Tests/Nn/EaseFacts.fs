/// EASE (Nn/Ease.fs): the Gram matrix, the closed form against its defining equations, the item–item part of the
/// top-K against a brute-force score, the exact "largest contribution" reason, and the trainer's λ choice.
module BatchRec.Core.Tests.EaseFacts

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval
open BatchRec.Core.Train

let private tol = 1e-4

let private binary (users: int) (items: int) (pairs: (int * int) list) =
    Bipartite.userItems users items (pairs |> List.map fst |> Array.ofList) (pairs |> List.map snd |> Array.ofList)

let private toArray2D (t: torch.Tensor) =
    let n = int t.shape.[0]
    let m = int t.shape.[1]
    let a = Tensors.toArray t
    Array2D.init n m (fun i j -> float a.[i * m + j])

[<Fact>]
let ``gram counts the users two items share, the diagonal each item's users`` () =
    // users: 0 → {0, 1}, 1 → {1, 2}, 2 → {1}; item 3 has nobody
    // G = XᵀX: G[1,1] = 3 (three users), G[0,1] = 1 (user 0), G[1,2] = 1 (user 1), G[0,2] = 0, row 3 all zero
    let x = binary 3 4 [ 0, 0; 0, 1; 1, 1; 1, 2; 2, 1 ]
    use g = Ease.gram x

    let expected =
        array2D
            [
                [ 1.; 1.; 0.; 0. ]
                [ 1.; 3.; 1.; 0. ]
                [ 0.; 1.; 1.; 0. ]
                [ 0.; 0.; 0.; 0. ]
            ]

    Assert.Equal<float[,]>(expected, toArray2D g)

[<Fact>]
let ``addFeatureGram adds the weight once per shared feature`` () =
    // features: item 0 → {a}, item 1 → {a, b}, item 2 → {b}; FᵀF[0,1] = 1 (a), [1,2] = 1 (b), [1,1] = 2, [0,2] = 0
    let x = binary 1 3 []
    use g = Ease.gram x
    let f = Csr.ofEdges 3 2 [| 0; 1; 1; 2 |] [| 0; 0; 1; 1 |] [| 1f; 1f; 1f; 1f |]
    Ease.addFeatureGram g f 0.25

    let expected =
        array2D [ [ 0.25; 0.25; 0. ]; [ 0.25; 0.5; 0.25 ]; [ 0.; 0.25; 0.25 ] ]

    Assert.Equal<float[,]>(expected, toArray2D g)

type EaseCase =
    {
        Users: int
        Items: int
        Pairs: (int * int) list
        Lambda: float
    }

type EaseArbs =
    static member EaseCase() =
        gen {
            let! users = Gen.choose (1, 12)
            let! items = Gen.choose (1, 25)
            let! n = Gen.choose (0, users * items)
            let! us = Gen.listOfLength n (Gen.choose (0, users - 1))
            let! its = Gen.listOfLength n (Gen.choose (0, items - 1))
            let! lambda = Gen.elements [ 0.5; 1.0; 3.0; 10.0; 50.0 ]

            return
                {
                    Users = users
                    Items = items
                    Pairs = List.zip us its
                    Lambda = lambda
                }
        }
        |> Arb.fromGen

[<Property(Arbitrary = [| typeof<EaseArbs> |], MaxTest = 100)>]
let ``EASE's B has a zero diagonal and satisfies (G + λI)·B = G off the diagonal, consuming G`` (c: EaseCase) =
    // B = I − P·diag(1/diag P) with P = (G + λI)⁻¹ gives (G + λI)·B = (G + λI) − diag(1/diag P): off the diagonal
    // that is G itself. Checked in float64 from the float32 result.
    use scope = torch.NewDisposeScope()
    let x = binary c.Users c.Items c.Pairs
    let g = Ease.gram x
    let gv = toArray2D g
    use b = Ease.fit g c.Lambda // consumes g
    let bv = toArray2D b
    let n = c.Items
    let scale = 1.0 + float (Array2D.length1 gv) // entries of G are at most the user count
    let mutable ok = true

    for i in 0 .. n - 1 do
        if abs bv.[i, i] > 0.0 then
            ok <- false

        for j in 0 .. n - 1 do
            if i <> j then
                let lhs =
                    Seq.sum (seq { for k in 0 .. n - 1 -> (gv.[i, k] + (if i = k then c.Lambda else 0.0)) * bv.[k, j] })

                if abs (lhs - gv.[i, j]) > tol * scale * float c.Users then
                    ok <- false

    ok && g.IsInvalid // consumed

[<Fact>]
let ``fit refuses a non-positive lambda`` () =
    use g = Ease.gram (binary 1 2 [ 0, 0 ])
    Assert.Throws<ArgumentException>(fun () -> Ease.fit g 0.0 |> ignore) |> ignore

[<Property(Arbitrary = [| typeof<EaseArbs> |], MaxTest = 100)>]
let ``the top-K with an item-item part is the exact top-K of factors plus the history's weight rows``
    (c: EaseCase)
    (dim: NonNegativeInt)
    (blas: bool)
    =
    // scores s(u, j) = ⟨U_u, I_j⟩ + Σ_{i ∈ H(u)} W[i, j] with small integer factors and weights, so every score is
    // exact in float32; dim 0 is EASE alone. Ties to the lower item; the user's own items excluded.
    use scope = torch.NewDisposeScope()
    let d = dim.Get % 4
    let rng = Random(c.Users * 31 + c.Items)
    let u = Array.init (c.Users * d) (fun _ -> float32 (rng.Next(-2, 3)))
    let i = Array.init (c.Items * d) (fun _ -> float32 (rng.Next(-2, 3)))
    let w = Array.init (c.Items * c.Items) (fun _ -> float32 (rng.Next(-3, 4)))
    let history = binary c.Users c.Items c.Pairs
    let ue = torch.tensor(u).reshape(int64 c.Users, int64 d)
    let ie = torch.tensor(i).reshape(int64 c.Items, int64 d)
    let wt = torch.tensor(w).reshape(int64 c.Items, int64 c.Items)
    let users = Array.init c.Users id |> Array.rev
    let k = 1 + (c.Items / 3)

    let expected =
        [|
            for user in users ->
                [|
                    for item in 0 .. c.Items - 1 do
                        if not (Csr.contains history user item) then
                            let f =
                                Seq.sum (seq { for e in 0 .. d - 1 -> float u.[user * d + e] * float i.[item * d + e] })

                            let h =
                                Seq.sum (seq { for h in Csr.row history user -> float w.[h * c.Items + item] })

                            yield item, f + h
                |]
                |> Array.sortBy (fun (item, score) -> -score, item)
                |> Array.truncate k
        |]

    let ii = Some { Weights = wt; History = history }

    let cpu =
        TopK.topKUsersCpuWith
            {
                Blas = blas && TopK.blasAvailable ()
                Slots = TopK.slotKernel k
            }
            2
            7
            ii
            ue
            ie
            history
            k
            users

    let torchPath = TopK.topKUsersTorchWith ii ue ie history k users

    let same (t: TopK) =
        t.Offsets = Array.scan (+) 0 (expected |> Array.map Array.length)
        && t.Scores = (expected |> Array.collect (Array.map (snd >> float32)))

    same cpu
    && cpu.Items = (expected |> Array.collect (Array.map fst))
    && same torchPath

[<Fact>]
let ``the in-place scorer adds the item-item part: each score is the sum of the history's rows`` () =
    use scope = torch.NewDisposeScope()

    if TopK.blasAvailable () then
        let users, items = 5, 9
        let rng = Random(7)
        let w = Array.init (items * items) (fun _ -> float32 (rng.Next(-5, 6)))
        let history = binary users items [ 0, 1; 0, 2; 1, 3; 2, 0; 2, 8; 4, 4 ]
        // users 1..3 (user 3 has no history: nine tied zeros, the lower items first) against the sums by hand; not
        // against libtorch's path, whose topk keeps an arbitrary subset of items tied at the cut
        let actual =
            TopK.topKBlockArraysWith 0 users items [||] [||] 0 w history history 4 1 3

        let byHand =
            [|
                for user in 1..3 do
                    yield!
                        [|
                            for j in 0 .. items - 1 do
                                if not (Csr.contains history user j) then
                                    yield j, Seq.sum (seq { for h in Csr.row history user -> w.[h * items + j] })
                        |]
                        |> Array.sortBy (fun (j, v) -> -v, j)
                        |> Array.truncate 4
            |]

        Assert.Equal<int[]>(byHand |> Array.map fst, actual.Items)
        Assert.Equal<float32[]>(byHand |> Array.map snd, actual.Scores)

[<Fact>]
let ``the reason of an item-item score is the history item that added the most, ties to the lower item`` () =
    // user 0 has items {0, 1, 2}; recommended 3 and 4. W[·, 3] over the history = 0.5, 2.0, 2.0 → item 1 (tie with 2,
    // lower first); W[·, 4] = -1, -2, -0.5 → nothing adds a positive amount → -1
    let items = 5
    let w = Array.zeroCreate<float32>(items * items)
    let set i j v = w.[i * items + j] <- v
    set 0 3 0.5f
    set 1 3 2.0f
    set 2 3 2.0f
    set 0 4 -1.0f
    set 1 4 -2.0f
    set 2 4 -0.5f
    let history = binary 1 items [ 0, 0; 0, 1; 0, 2 ]

    let block =
        {
            Users = [| 0 |]
            Offsets = [| 0; 2 |]
            Items = [| 3; 4 |]
            Scores = [| 4.5f; -3.5f |]
        }

    Assert.Equal<int[]>([| 1; -1 |], Explain.contributions 0 w items history block)

[<Fact>]
let ``remapFactors re-indexes the item-item weights by rows and columns, zero for new items`` () =
    // old items 0..2; the new snapshot's items are [old 2, new, old 0]
    let w = [| 0f; 1f; 2f; 10f; 11f; 12f; 20f; 21f; 22f |]

    let m =
        {
            Kind = "ease"
            NumUsers = 1
            NumItems = 3
            Dim = 0
            UserFactors = [||]
            ItemFactors = [||]
            ItemWeights = w
            BestEpoch = 1
            EpochsRun = 1
            BestValid = 0.0
            StoppedEarly = false
            SecondsPerEpoch = 0.0
            Tuning = []
        }

    let r = Pipeline.remapFactors m [| 0; -1 |] [| 2; -1; 0 |]
    Assert.Equal(2, r.NumUsers)
    Assert.Equal(3, r.NumItems)
    Assert.Equal<float32[]>([| 22f; 0f; 20f; 0f; 0f; 0f; 2f; 0f; 0f |], r.ItemWeights)

let private easeConfig (json: string) =
    match Config.parse json with
    | Ok c -> c
    | Error es -> failwithf "%A" es

[<Fact>]
let ``the ease trainer scores every lambda on validation and keeps the best one's B`` () =
    // two clusters of items (0-4 and 5-9); each user holds out one item of its cluster for validation
    use scope = torch.NewDisposeScope()
    let users, items = 40, 10
    let rng = Random(3)
    let train, valid = ResizeArray(), ResizeArray()

    for u in 0 .. users - 1 do
        let cluster = if u % 2 = 0 then 0 else 5
        let mine = Array.init 5 (fun k -> cluster + k) |> Array.sortBy (fun _ -> rng.Next())

        for k in 0..3 do
            train.Add(u, mine.[k])

        valid.Add(u, mine.[4])

    let csr (ps: ResizeArray<int * int>) = binary users items (List.ofSeq ps)

    let g =
        {
            Train = csr train
            TrainWeighted = csr train
            Valid = csr valid
            Test = csr valid
            TrainValid = csr train
            All = csr train
            Cold = binary users items []
            HeldOut = Array.zeroCreate items
        }

    let cfg =
        easeConfig """{ "model": { "kind": "ease" }, "ease": { "lambdas": [1, 1000, 5] } }"""

    let seen = ResizeArray()

    let m =
        EaseFit.fit cfg torch.CPU g (NodeFeatures.none users items) seen.Add Threading.CancellationToken.None

    Assert.Equal<string list>(
        [ "lambda=1"; "lambda=1000"; "lambda=5" ],
        seen |> Seq.map (fun (p: TuningPoint) -> p.Setting) |> List.ofSeq
    )

    let best = seen |> Seq.maxBy (fun (p: TuningPoint) -> p.Valid)
    Assert.Equal(best.Valid, m.BestValid)
    Assert.Equal(Seq.findIndex (fun (p: TuningPoint) -> p.Valid = best.Valid) seen + 1, m.BestEpoch)
    // the kept B is the chosen λ's
    let lambda = float (best.Setting.Substring 7)
    use b = Ease.fit (Ease.gram g.Train) lambda
    Assert.Equal<float32[]>(Tensors.toArray b, m.ItemWeights)
    Assert.Equal(0, m.Dim)
    // every user's best unseen item is its own cluster's held-out item: the only unseen item of its cluster
    let none n =
        torch.zeros ([| int64 n; 0L |], dtype = torch.float32)

    let top =
        TopK.topKUsersWith
            (Some { Weights = b; History = g.Train })
            (none users)
            (none items)
            g.Train
            1
            (Array.init users id)

    for u in 0 .. users - 1 do
        Assert.Equal(valid.[u] |> snd, top.Items.[u])

[<Fact>]
let ``the ease trainer refuses a catalogue above ease.maxGiB, naming the items and GiB`` () =
    let cfg =
        easeConfig """{ "model": { "kind": "ease" }, "ease": { "maxGiB": 0.5 } }"""

    let e =
        Assert.Throws<InvalidOperationException>(fun () -> EaseFit.checkEaseBudget cfg 10000)
    // 8 · 10,000² bytes = 0.75 GiB
    Assert.Contains("10000 items", e.Message)
    Assert.Contains("0.75 GiB", e.Message)
    Assert.Contains("ease.maxGiB = 0.5", e.Message)
    EaseFit.checkEaseBudget cfg 8000 // 0.48 GiB: fits

[<Property(Arbitrary = [| typeof<EaseArbs> |], MaxTest = 60)>]
let ``the content map solves its normal equations: A (F_wᵀF_w + μI) = (P G)[:, warm] F_w``
    (c: EaseCase)
    (mu: PositiveInt)
    =
    // I − λP = P G (from P (G + λI) = I): EASE's reconstruction operator; A is the ridge map of the warm items'
    // features onto its warm columns. Checked in float64 from the float32 tensors.
    use scope = torch.NewDisposeScope()
    let x = binary c.Users c.Items c.Pairs
    let g = toArray2D (Ease.gram x)
    let p = Ease.inverse (Ease.gram x) c.Lambda
    let rng = Random(c.Items * 13 + c.Users)
    let d = 3
    let f = Array.init (c.Items * d) (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0))

    let warm =
        [|
            for i in 0 .. c.Items - 1 do
                if i % 3 <> 2 then
                    yield i
        |]

    let mu = float (mu.Get % 20 + 1) / 4.0

    let a =
        toArray2D (Ease.contentMap p c.Lambda warm (torch.tensor(f).reshape(int64 c.Items, int64 d)) mu)

    let pv = toArray2D p
    let n = c.Items
    let fw r k = float f.[warm.[r] * d + k]

    let lhs i k =
        Seq.sum (
            seq {
                for l in 0 .. d - 1 ->
                    a.[i, l]
                    * ((Seq.sum (seq { for r in 0 .. warm.Length - 1 -> fw r l * fw r k }))
                       + (if l = k then mu else 0.0))
            }
        )

    let pg i j =
        Seq.sum (seq { for l in 0 .. n - 1 -> pv.[i, l] * g.[l, j] })

    let rhs i k =
        Seq.sum (seq { for r in 0 .. warm.Length - 1 -> pg i warm.[r] * fw r k })

    let scale = 1.0 + float warm.Length

    warm.Length = 0
    || Seq.forall
        (fun (i, k) -> abs (lhs i k - rhs i k) <= 1e-3 * scale)
        (seq {
            for i in 0 .. n - 1 do
                for k in 0 .. d - 1 -> i, k
        })

[<Fact>]
let ``with ease.coldItems content a new item's column comes from its features and the warm columns stay EASE's`` () =
    // items 0-4 in one taste group, 5-9 in another; item 9 has no training interaction but the same feature as 5-8,
    // so the content map ranks it for the second group's users above the first group's items
    use scope = torch.NewDisposeScope()
    let users, items = 40, 10
    let rng = Random(11)
    let train = ResizeArray()

    for u in 0 .. users - 1 do
        let group = if u % 2 = 0 then [| 0..4 |] else [| 5..8 |]

        for i in group do
            if rng.NextDouble() < 0.7 then
                train.Add(u, i)

    let x = binary users items (List.ofSeq train)

    let g =
        {
            Train = x
            TrainWeighted = x
            Valid = x
            Test = x
            TrainValid = x
            All = x
            Cold = binary users items []
            HeldOut = Array.zeroCreate items
        }

    let attrs =
        Csr.ofEdges items 2 [| 0..9 |] [| 0; 0; 0; 0; 0; 1; 1; 1; 1; 1 |] (Array.create 10 1f)

    let features =
        { NodeFeatures.none users items with
            ItemAttributes = attrs
            AttributeNames = [| "a"; "b" |]
        }

    let plain =
        easeConfig """{ "model": { "kind": "ease" }, "ease": { "lambdas": [5] } }"""

    let withContent =
        easeConfig
            """{ "model": { "kind": "ease" }, "ease": { "lambdas": [5], "coldItems": "content", "contentRidges": [1, 10] } }"""

    let b0, _, _ =
        EaseFit.easeWeights plain torch.CPU g features ignore Threading.CancellationToken.None

    let seen = ResizeArray<TuningPoint>()

    let b1, _, points =
        EaseFit.easeWeights withContent torch.CPU g features seen.Add Threading.CancellationToken.None

    Assert.Equal<string list>(
        [
            "lambda=5"
            "content mu=1 (pseudo-new items)"
            "content mu=10 (pseudo-new items)"
            "new items x1"
            "new items x0.1"
            "new items x0.01"
            "new items x0.001"
        ],
        [ for p in points -> p.Setting ]
    )

    Assert.Equal<string list>(
        [ "valid"; "pseudo-new"; "pseudo-new"; "valid"; "valid"; "valid"; "valid" ],
        [ for p in points -> p.Split ]
    )

    let col (b: float32[]) j =
        [| for i in 0 .. items - 1 -> b.[i * items + j] |]

    Assert.All(col b0 9, fun v -> Assert.Equal(0f, v))

    for j in 0..8 do
        Assert.Equal<float32[]>(col b0 j, col b1 j) // warm columns unchanged

    Assert.Equal(0f, b1.[9 * items + 9])
    // item 9 scores higher from item 5's history (same feature) than from item 0's (the other feature)
    Assert.True(b1.[5 * items + 9] > b1.[0 * items + 9])
    // validation here is the train split itself, all masked: every scale ties and the first (x1) is kept; a scale of
    // 0.5 halves the new item's column and nothing else
    let half =
        easeConfig
            """{ "model": { "kind": "ease" }, "ease": { "lambdas": [5], "coldItems": "content", "contentRidges": [1, 10], "coldScales": [0.5] } }"""

    let b2, _, _ =
        EaseFit.easeWeights half torch.CPU g features ignore Threading.CancellationToken.None

    Assert.Equal<float32[]>(col b1 9 |> Array.map (fun v -> 0.5f * v), col b2 9)

    for j in 0..8 do
        Assert.Equal<float32[]>(col b1 j, col b2 j)
