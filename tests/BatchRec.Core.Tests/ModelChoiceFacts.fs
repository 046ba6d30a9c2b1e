/// The losses beyond BPR, the blend of a factor model with EASE, and the config of model variants and model.kind auto.
module BatchRec.Core.Tests.ModelChoiceFacts

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

let private cfgOf (json: string) =
    match Config.parse json with
    | Ok c -> c
    | Error es -> failwithf "%A" es

let private t (rows: float32[][]) =
    torch.tensor(Array.concat rows).reshape(int64 rows.Length, int64 rows.[0].Length)

[<Fact>]
let ``the sampled softmax is log(e^pos + sum e^neg) - pos, a negative equal to the positive masked out`` () =
    use scope = torch.NewDisposeScope()
    // one pair: u = (1, 0), positive item 7 = (1, 0); negatives item 3 = (0, 1) and item 7 itself (masked); τ = 1, dot scores
    // pos = 1, the kept negative scores 0: L = log(e¹ + e⁰) − 1
    let c = cfgOf """{ "train": { "loss": "softmax", "temperature": 1.0 } }"""

    let loss =
        FactorTraining.batchLoss
            c.Train
            false
            (t [| [| 1f; 0f |] |])
            (t [| [| 1f; 0f |] |])
            (t [| [| 0f; 1f |]; [| 1f; 0f |] |])
            (torch.tensor ([| 7L |]))
            (torch.tensor ([| 3L; 7L |]))

    Assert.Equal(Math.Log(Math.E + 1.0) - 1.0, float (loss.item<float32>()), 5)

[<Fact>]
let ``the softmax divides by the temperature and averages over the batch`` () =
    use scope = torch.NewDisposeScope()
    // two pairs, τ = 0.5, one negative (item 9) for both: pair 1 pos 2, neg 0 → log(e⁴ + e⁰) − 4; pair 2 pos 0, neg 1 → log(e⁰ + e²) − 0
    let c = cfgOf """{ "train": { "loss": "softmax", "temperature": 0.5 } }"""

    let loss =
        FactorTraining.batchLoss
            c.Train
            false
            (t [| [| 1f; 0f |]; [| 0f; 1f |] |])
            (t [| [| 2f; 0f |]; [| 1f; 0f |] |])
            (t [| [| 0f; 1f |] |])
            (torch.tensor ([| 1L; 2L |]))
            (torch.tensor ([| 9L |]))

    let expected =
        ((Math.Log(Math.Exp 4.0 + 1.0) - 4.0) + Math.Log(1.0 + Math.Exp 2.0)) / 2.0

    Assert.Equal(expected, float (loss.item<float32>()), 5)

[<Fact>]
let ``BPR with cosine scores compares cosines divided by the temperature`` () =
    use scope = torch.NewDisposeScope()
    // u = (2, 0), positive (3, 0): cos 1; negative (0, 5): cos 0; τ = 0.5 → L = −log σ(2) = log(1 + e⁻²)
    let c =
        cfgOf """{ "model": { "score": "cosine" }, "train": { "temperature": 0.5 } }"""

    let noItems: int64[] = [||]

    let loss =
        FactorTraining.batchLoss
            c.Train
            true
            (t [| [| 2f; 0f |] |])
            (t [| [| 3f; 0f |] |])
            (t [| [| 0f; 5f |] |])
            (torch.tensor ([| 0L |]))
            (torch.tensor (noItems))

    Assert.Equal(Math.Log(1.0 + Math.Exp -2.0), float (loss.item<float32>()), 5)

[<Fact>]
let ``blendWith keeps the weight that scores best on validation and folds it into the user factors`` () =
    use scope = torch.NewDisposeScope()
    // 30 users, 12 items in two halves; each user holds out one item of its half. The factors know the halves, the
    // EASE weights are noise: a large factor weight must win, and the model's scores are c·⟨u, i⟩ + Σ_h W[h, ·]
    let users, items = 30, 12
    let rng = Random(5)

    let train, valid =
        Collections.Generic.List<int * int>(), Collections.Generic.List<int * int>()

    for u in 0 .. users - 1 do
        let half = if u % 2 = 0 then 0 else 6
        let mine = Array.init 6 (fun k -> half + k) |> Array.sortBy (fun _ -> rng.Next())

        for k in 0..2 do
            train.Add(u, mine.[k])

        valid.Add(u, mine.[3])

    let csr (ps: Collections.Generic.List<int * int>) =
        Bipartite.userItems users items [| for (u, _) in ps -> u |] [| for (_, i) in ps -> i |]

    let g =
        {
            Train = csr train
            TrainWeighted = csr train
            Valid = csr valid
            Test = csr valid
            TrainValid = csr train
            All = csr train
            Cold = Bipartite.userItems users items [||] [||]
            HeldOut = Array.zeroCreate items
        }

    let uf =
        Array.init (users * 2) (fun k -> if (k / 2) % 2 = k % 2 then 1.0f else 0.0f) // user of half h: 1 on axis h

    let itf =
        Array.init (items * 2) (fun k -> if (k / 2) / 6 = k % 2 then 1.0f else 0.0f) // item of half h: 1 on axis h

    let w = Array.init (items * items) (fun _ -> float32 (rng.NextDouble() - 0.5))

    let m =
        {
            Kind = "lightgcn"
            NumUsers = users
            NumItems = items
            Dim = 2
            UserFactors = uf
            ItemFactors = itf
            ItemWeights = [||]
            BestEpoch = 1
            EpochsRun = 1
            BestValid = 0.0
            StoppedEarly = false
            SecondsPerEpoch = 0.0
            Tuning = []
        }

    let c = cfgOf """{ "blend": { "itemItem": "ease", "weights": [0.01, 100] } }"""
    let seen = Collections.Generic.List<TuningPoint>()

    let b =
        Blend.blendWith c torch.CPU g m w [] seen.Add Threading.CancellationToken.None

    Assert.Equal<string list>([ "blend=0.01"; "blend=100" ], [ for p in seen -> p.Setting ])
    Assert.True(seen.[1].Valid > seen.[0].Valid)
    Assert.Equal(seen.[1].Valid, b.BestValid)
    Assert.Equal<float32[]>(w, b.ItemWeights)
    // the user factors are the originals times one positive constant c
    let ratio = b.UserFactors.[0] / uf.[0]
    Assert.True(ratio > 0.0f)
    Assert.All(Array.zip b.UserFactors uf, fun (x, y) -> Assert.Equal(y * ratio, x, 4))
    // and the published scores are c·⟨u, i⟩ + the history's weight rows: the top item of user 0 matches brute force
    let score u i =
        float ratio
        * float (uf.[u * 2] * itf.[i * 2] + uf.[u * 2 + 1] * itf.[i * 2 + 1])
        + Seq.sum (seq { for h in Csr.row g.Train u -> float w.[h * items + i] })

    let best =
        [|
            for i in 0 .. items - 1 do
                if not (Csr.contains g.Train 0 i) then
                    yield i
        |]
        |> Array.maxBy (score 0)

    let top =
        Ranking.topKUsersWith
            (Some
                {
                    Weights = torch.tensor(w).reshape(int64 items, int64 items)
                    History = g.Train
                })
            (torch.tensor(b.UserFactors).reshape(int64 users, 2L))
            (torch.tensor(itf).reshape(int64 items, 2L))
            g.Train
            1
            [| 0 |]

    Assert.Equal(best, top.Items.[0])

[<Fact>]
let ``a variant KIND:LABEL takes its kind and only its own overrides`` () =
    let c =
        cfgOf
            """{ "model": { "kind": "auto" }, "compare": { "gat-text:no-blend": { "train": { "learningRate": 0.01 } }, "gat-text": { "blend": { "itemItem": "ease" } } } }"""

    let v = Config.forModel c "gat-text:no-blend"
    Assert.Equal(ModelKind.GatText, v.Model.Kind)
    Assert.Equal(0.01, v.Train.LearningRate)
    Assert.Equal(ItemItemPart.None, v.Blend.ItemItem)
    let g = Config.forModel c "gat-text"
    Assert.Equal(ItemItemPart.Ease, g.Blend.ItemItem)
    Assert.Equal(0.002, g.Train.LearningRate)
    Assert.Equal(2, g.Compare.Count) // kept for later lookups
    Assert.True(Config.isModelName "gat-text:no-blend")
    Assert.False(Config.isModelName "gat-text:")
    Assert.False(Config.isModelName "gat-text:Upper")
    Assert.False(Config.isModelName "gpt:x")

[<Fact>]
let ``an unknown model or an override whose blend does not fit its kind is named with its model key`` () =
    let keys json =
        match Config.parse json with
        | Ok _ -> []
        | Error es -> es |> List.map (fun e -> e.Key)

    Assert.Equal<string list>([ "compare.nonsense" ], keys """{ "compare": { "nonsense": { } } }""")

    Assert.Equal<string list>(
        [ "compare.ease:x.blend.itemItem" ],
        keys """{ "model": { "kind": "auto" }, "compare": { "ease:x": { "blend": { "itemItem": "ease" } } } }"""
    )

[<Fact>]
let ``auto candidates must be distinct model kinds, each valid with the base config`` () =
    let errs json =
        match Config.parse json with
        | Ok _ -> []
        | Error es -> es |> List.map (fun e -> e.Key, e.Message)

    Assert.Contains(
        errs """{ "model": { "kind": "auto" }, "auto": { "candidates": ["ease", "ease"] } }""",
        fun (k, _) -> k = "auto.candidates"
    )

    Assert.Contains(
        errs """{ "model": { "kind": "auto" }, "auto": { "candidates": ["auto"] } }""",
        fun (k, _) -> k = "auto.candidates"
    )
    // a blend in the base config cannot apply to the ease candidate
    Assert.Contains(
        errs """{ "model": { "kind": "auto" }, "blend": { "itemItem": "ease" } }""",
        fun (k, m) -> k = "blend.itemItem" && m.Contains "auto candidate ease"
    )

    Assert.Empty(
        errs """{ "model": { "kind": "auto" }, "compare": { "gat-text": { "blend": { "itemItem": "ease" } } } }"""
    )

[<Fact>]
let ``auto candidates may be variants, and auto.standardErrors is a number of at least 0, 1 by default`` () =
    let errs json =
        match Config.parse json with
        | Ok _ -> []
        | Error es -> es |> List.map (fun e -> e.Key)

    let ok =
        cfgOf
            """{ "model": { "kind": "auto" }, "auto": { "candidates": ["ease", "ease:side"], "standardErrors": 2 },
                        "compare": { "ease:side": { "ease": { "tagWeights": [0, 5] } } } }"""

    Assert.Equal<string list>([ "ease"; "ease:side" ], ok.Auto.Candidates)
    Assert.Equal(2.0, ok.Auto.StandardErrors)
    Assert.Equal(1.0, (cfgOf "{}").Auto.StandardErrors)
    Assert.Equal<string list>([ "auto.standardErrors" ], errs """{ "auto": { "standardErrors": -0.5 } }""")

    Assert.Equal<string list>(
        [ "auto.candidates" ],
        errs """{ "model": { "kind": "auto" }, "auto": { "candidates": ["ease:Side"] } }"""
    )
    // a variant without overrides is its kind with the base config
    Assert.Empty(errs """{ "model": { "kind": "auto" }, "auto": { "candidates": ["ease", "ease:plain"] } }""")

[<Fact>]
let ``the best candidate is the highest validation score, the earlier of equals`` () =
    Assert.Equal("b", CandidateChoice.bestCandidate [ "a", 0.3; "b", 0.4; "c", 0.4 ])
    Assert.Equal("a", CandidateChoice.bestCandidate [ "a", 0.5 ])

    Assert.Throws<ArgumentException>(fun () -> CandidateChoice.bestCandidate [] |> ignore)
    |> ignore

[<Fact>]
let ``the paired difference is the mean of per-user differences with the sample standard error`` () =
    // d = (1, 0): mean 0.5, sample sd √((0.25 + 0.25) / 1) = 0.7071, se = 0.7071 / √2 = 0.5
    let mean, se = CandidateChoice.pairedDifference [| 1.0; 0.0 |] [| 0.0; 0.0 |]
    Assert.Equal(0.5, mean, 12)
    Assert.Equal(0.5, se, 12)
    // d = (0.3, 0.3, 0.3): no spread, se 0; one user: se 0
    let mean, se =
        CandidateChoice.pairedDifference [| 0.5; 0.6; 0.7 |] [| 0.2; 0.3; 0.4 |]

    Assert.Equal(0.3, mean, 12)
    Assert.Equal(0.0, se, 12)
    Assert.Equal((0.25, 0.0), CandidateChoice.pairedDifference [| 0.5 |] [| 0.25 |])

    Assert.Throws<ArgumentException>(fun () -> CandidateChoice.pairedDifference [| 1.0 |] [| 1.0; 2.0 |] |> ignore)
    |> ignore

[<Fact>]
let ``auto keeps the earlier candidate unless the later one wins by more than the standard errors`` () =
    // gat − ease = (0, 0.5, 0.1): mean 0.2; deviations −0.2, 0.3, −0.1: sd √(0.14 / 2) = 0.2646, se = 0.1528
    let scores = [ "ease", [| 1.0; 0.0; 0.0 |]; "gat", [| 1.0; 0.5; 0.1 |] ]
    Assert.Equal("ease", CandidateChoice.chooseCandidate 2.0 scores) // 0.2 ≤ 2 · 0.1528
    Assert.Equal("gat", CandidateChoice.chooseCandidate 1.0 scores) // 0.2 > 0.1528
    Assert.Equal("gat", CandidateChoice.chooseCandidate 0.0 scores)
    // c is best (means 0, 0.633, 0.667); c − b = (0.2, −0.1, 0): mean 0.033, sd √(0.04667 / 2) = 0.1528, se 0.0882;
    // c − a = (1, 0.5, 0.5): mean 0.667, se 0.167. So b within one se (and half a se), not within a quarter
    let three =
        [ "a", [| 0.0; 0.0; 0.0 |]; "b", [| 0.8; 0.6; 0.5 |]; "c", [| 1.0; 0.5; 0.5 |] ]

    Assert.Equal("b", CandidateChoice.chooseCandidate 1.0 three)
    Assert.Equal("b", CandidateChoice.chooseCandidate 0.5 three)
    Assert.Equal("c", CandidateChoice.chooseCandidate 0.25 three)

    Assert.Throws<ArgumentException>(fun () -> CandidateChoice.chooseCandidate 1.0 [] |> ignore)
    |> ignore

/// Candidates' per-user scores on one set of users: multiples of 1/8, so sums are exact.
type ChoiceCase =
    {
        Scores: (string * float[]) list
        StandardErrors: float
    }

type ChoiceArbs =
    static member Case() =
        gen {
            let! users = Gen.choose (1, 20)
            let! candidates = Gen.choose (1, 5)

            let! scores =
                Gen.listOfLength
                    candidates
                    (Gen.arrayOfLength users (Gen.choose (0, 8) |> Gen.map (fun x -> float x / 8.0)))

            let! k = Gen.choose (0, 12) |> Gen.map (fun x -> float x / 4.0)

            return
                {
                    Scores = scores |> List.mapi (fun i v -> sprintf "m%d" i, v)
                    StandardErrors = k
                }
        }
        |> Arb.fromGen

let private indexOf (case: ChoiceCase) name =
    case.Scores |> List.findIndex (fun (k, _) -> k = name)

[<Property(Arbitrary = [| typeof<ChoiceArbs> |], MaxTest = 300)>]
let ``auto's choice is the earliest candidate within the standard errors of the best, never after the best``
    (c: ChoiceCase)
    =
    let best =
        CandidateChoice.bestCandidate [ for k, v in c.Scores -> k, Array.average v ]

    let bestScores = c.Scores.[indexOf c best] |> snd

    let within (_, v) =
        let mean, se = CandidateChoice.pairedDifference bestScores v in mean <= c.StandardErrors * se

    let chosen = CandidateChoice.chooseCandidate c.StandardErrors c.Scores
    let at = indexOf c chosen

    at <= indexOf c best
    && within c.Scores.[at]
    && (c.Scores |> List.take at |> List.forall (within >> not))
    && CandidateChoice.chooseCandidate 0.0 c.Scores = best

[<Property(Arbitrary = [| typeof<ChoiceArbs> |], MaxTest = 300)>]
let ``more standard errors never choose a later candidate`` (c: ChoiceCase) =
    indexOf c (CandidateChoice.chooseCandidate (c.StandardErrors + 0.5) c.Scores)
    <= indexOf c (CandidateChoice.chooseCandidate c.StandardErrors c.Scores)

[<Property(Arbitrary = [| typeof<ChoiceArbs> |], MaxTest = 200)>]
let ``a copy of the first candidate is never chosen; a later one better by the same amount for every user always is``
    (c: ChoiceCase)
    =
    let first = snd c.Scores.Head
    let copies = [ "first", first; "copy", Array.copy first ]
    let better = [ "first", first; "better", first |> Array.map (fun x -> x + 0.125) ] // difference 0.125, se 0

    CandidateChoice.chooseCandidate c.StandardErrors copies = "first"
    && CandidateChoice.chooseCandidate c.StandardErrors better = "better"

[<Fact>]
let ``easeMaxItems is the largest catalogue whose two float32 items-squared matrices fit the budget`` () =
    // 8 · n² ≤ 4 GiB ⇔ n ≤ √(2²⁹) = 23,170.47
    Assert.Equal(23170, Config.easeMaxItems 4.0)
    Assert.True(Ease.fitBytes 23170 <= (4L <<< 30) && Ease.fitBytes 23171 > (4L <<< 30))
    // 8 · n² ≤ 1 GiB ⇔ n ≤ √(2²⁷) = 11,585.2; beyond 23,170 items B (4 · n² bytes) no longer fits one span (2³¹ − 1 bytes)
    Assert.Equal(11585, Config.easeMaxItems 1.0)
    Assert.Equal(23170, Config.easeMaxItems 16.0)

    Assert.True(
        4L * 23170L * 23170L <= int64 Int32.MaxValue
        && 4L * 23171L * 23171L > int64 Int32.MaxValue
    )

[<Fact>]
let ``ease refuses more items than B can hold whatever the budget, naming the limit`` () =
    let c = cfgOf """{ "model": { "kind": "ease" }, "ease": { "maxGiB": 64 } }"""
    EaseFit.checkEaseBudget c 23170 // 4.0 GiB, inside 64

    let e =
        Assert.Throws<InvalidOperationException>(fun () -> EaseFit.checkEaseBudget c 23171)

    Assert.Contains("at most 23170 items", e.Message)
    Assert.Contains("23171", e.Message)

[<Fact>]
let ``only gat-text and ease read text: a text-free model's EASE part reads the attributes alone`` () =
    Assert.True(Config.usesText (cfgOf """{ "model": { "kind": "gat-text" } }"""))
    Assert.True(Config.usesText (cfgOf """{ "model": { "kind": "ease" }, "ease": { "coldItems": "content" } }"""))
    Assert.True(Config.usesText (cfgOf """{ "model": { "kind": "ease" }, "ease": { "textWeights": [0, 5] } }"""))
    Assert.False(Config.usesText (cfgOf """{ "model": { "kind": "ease" }, "ease": { "textWeights": [0] } }"""))

    Assert.False(
        Config.usesText (
            cfgOf
                """{ "model": { "kind": "gat" }, "blend": { "itemItem": "ease" }, "ease": { "textWeights": [0, 5], "coldItems": "content" } }"""
        )
    )

    Assert.False(
        Config.usesText (
            cfgOf
                """{ "model": { "kind": "lightgcn" }, "blend": { "itemItem": "ease" }, "ease": { "coldItems": "content" } }"""
        )
    )

[<Fact>]
let ``eval.stopK must be one of eval.ks, the figure models are chosen on being one of the table's`` () =
    match Config.parse """{ "eval": { "ks": [10, 20], "stopK": 5 } }""" with
    | Ok _ -> failwith "accepted stopK 5 outside ks [10; 20]"
    | Error es ->
        let e = Assert.Single(es)
        Assert.Equal("eval.stopK", e.Key)
        Assert.Contains("must be one of eval.ks", e.Message)

    Assert.Equal(20, (cfgOf """{ "eval": { "ks": [10, 20], "stopK": 20 } }""").Eval.StopK)
