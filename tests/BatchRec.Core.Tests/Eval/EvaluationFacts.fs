/// The evaluation user sample and per-user values (Evaluation).
module BatchRec.Core.Tests.EvaluationFacts

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Eval

open BatchRec.Core.Tests.Generators

let private metricOf (name: string) =
    (Choice.tryParse RankingMetric.Names name).Value

[<Property>]
let ``the evaluation sample is a fixed, ascending subset of the users with truth``
    (pairs: (byte * byte) list)
    (max: byte)
    =
    let users = pairs |> List.map (fun (u, _) -> int u % 50) |> Array.ofList
    let items = pairs |> List.map (fun (_, i) -> int i % 30) |> Array.ofList
    let truth = Bipartite.userItems 50 30 users items

    let all =
        [|
            for u in 0..49 do
                if truth.RowPtr.[u + 1] > truth.RowPtr.[u] then
                    yield u
        |]

    let maxUsers = int max % 60
    let s = Evaluation.sampleUsers truth maxUsers
    let expectedLength = if maxUsers = 0 then all.Length else min maxUsers all.Length

    s.Length = expectedLength
    && s = Array.sort (Array.distinct s)
    && s |> Array.forall (fun u -> Array.contains u all)
    && s = Evaluation.sampleUsers truth maxUsers

[<Fact>]
let ``evaluating a sample of all users equals the full evaluation, and a smaller sample ranks only its users`` () =
    use scope = torch.NewDisposeScope()
    let rng = Random(7)

    let ue =
        torch.tensor(Array.init (30 * 4) (fun _ -> float32 (rng.NextDouble()))).reshape(30L, 4L)

    let ie =
        torch.tensor(Array.init (25 * 4) (fun _ -> float32 (rng.NextDouble()))).reshape(25L, 4L)

    let truth =
        Bipartite.userItems 30 25 (Array.init 60 (fun e -> e % 30)) (Array.init 60 (fun e -> (e * 7) % 25))

    let none = Csr.ofEdges 30 25 [||] [||] [||]
    let full = Evaluation.evaluate ue ie none truth [ 5 ] 4
    Assert.Equal<MetricValue list>(full, Evaluation.evaluateSample ue ie none truth [ 5 ] 4 30)
    let sample = Evaluation.sampleUsers truth 10
    let byHand = Evaluation.evaluateUsers ue ie none truth [ 5 ] 3 sample
    Assert.Equal<MetricValue list>(byHand, Evaluation.evaluateSample ue ie none truth [ 5 ] 4 10)

[<Fact>]
let ``the per-user values average to the evaluation's figure for every metric`` () =
    use scope = torch.NewDisposeScope()
    let rng = Random(11)

    let ue =
        torch.tensor(Array.init (30 * 4) (fun _ -> float32 (rng.NextDouble()))).reshape(30L, 4L)

    let ie =
        torch.tensor(Array.init (25 * 4) (fun _ -> float32 (rng.NextDouble()))).reshape(25L, 4L)

    let truth =
        Bipartite.userItems 30 25 (Array.init 60 (fun e -> e % 30)) (Array.init 60 (fun e -> (e * 7) % 25))

    let history =
        Bipartite.userItems 30 25 (Array.init 40 (fun e -> e % 30)) (Array.init 40 (fun e -> (e * 3 + 1) % 25))

    let sample = Evaluation.sampleUsers truth 0
    let figures = Evaluation.evaluateUsers ue ie history truth [ 5 ] 7 sample

    for m in figures do
        // chunks of 4 users: the per-user values do not depend on how users are grouped
        let perUser =
            Evaluation.perUserWith None ue ie history truth (metricOf m.Metric) m.K 4 sample

        Assert.Equal(sample.Length, perUser.Length)
        Assert.Equal(m.Value, Array.average perUser, 12)

        Assert.Equal<float[]>(
            perUser,
            Evaluation.perUserWith None ue ie history truth (metricOf m.Metric) m.K 100 sample
        )

[<Fact>]
let ``a user without truth items scores 0 per user`` () =
    use scope = torch.NewDisposeScope()
    // 2 users, 3 items, 1-dim factors: items score 3, 2, 1; user 0's truth is item 1 (rank 2: MRR 1/2), user 1 has none
    let ue = torch.ones ([| 2L; 1L |])
    let ie = torch.tensor([| 3.0f; 2.0f; 1.0f |]).reshape(3L, 1L)
    let truth = Bipartite.userItems 2 3 [| 0 |] [| 1 |]
    let none = Csr.ofEdges 2 3 [||] [||] [||]
    Assert.Equal<float[]>([| 0.5; 0.0 |], Evaluation.perUserWith None ue ie none truth RankingMetric.Mrr 3 8 [| 0; 1 |])

[<Fact>]
let ``evaluation averages hand-derived per-user metrics over users with ground truth`` () =
    use scope = torch.NewDisposeScope()
    // 3 users; scores rank items 0 > 1 > 2 > 3 for everyone
    let ue = torch.ones ([| 3L; 1L |])
    let ie = torch.tensor([| 4.0f; 3.0f; 2.0f; 1.0f |]).reshape(4L, 1L)
    let exclude = Bipartite.userItems 3 4 [| 0 |] [| 0 |] // user 0 trained on item 0
    // truth: user 0 → {2} (ranked 2nd after masking item 0); user 1 → {0, 3}; user 2 → none
    let truth = Bipartite.userItems 3 4 [| 0; 1; 1 |] [| 2; 0; 3 |]
    let ms = Evaluation.evaluate ue ie exclude truth [ 1; 2 ] 2

    let get m k =
        (ms |> List.find (fun x -> x.Metric = m && x.K = k)).Value

    Assert.Equal((0.0 + 1.0) / 2.0, get "hit" 1, 12)
    Assert.Equal((1.0 / 2.0 + 1.0) / 2.0, get "mrr" 2, 12)
    Assert.Equal((1.0 + 0.5) / 2.0, get "recall" 2, 12) // user 0: 1/1, user 1: 1/2
    Assert.Equal((0.5 + 0.5) / 2.0, get "precision" 2, 12)
    let ndcgU0 = (1.0 / Math.Log2 3.0) / 1.0
    let ndcgU1 = 1.0 / (1.0 + 1.0 / Math.Log2 3.0)
    Assert.Equal((ndcgU0 + ndcgU1) / 2.0, get "ndcg" 2, 12)
