/// The blend of a factor model with EASE (Blend.blendWith).
module BatchRec.Core.Tests.BlendFacts

open System
open Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval
open BatchRec.Core.Train
open BatchRec.Core.Tests.Generators

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
        TopK.topKUsersWith
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
