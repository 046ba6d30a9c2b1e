module BatchRec.Core.Tests.MetricFacts

open System
open Xunit
open BatchRec.Core.Eval

let tol = 1e-12

let close (expected: float) (actual: float) =
    Assert.True(abs (expected - actual) < tol, sprintf "expected %.15g, got %.15g" expected actual)

[<Fact>]
let ``perfect ranking scores 1 on every metric`` () =
    let hits = [| true; true; true |]
    close 1.0 (Metrics.recall 3 hits 3)
    close 1.0 (Metrics.ndcg 3 hits 3)
    close 1.0 (Metrics.mrr 3 hits)
    close 1.0 (Metrics.hit 3 hits)
    close 1.0 (Metrics.precision 3 hits)

[<Fact>]
let ``empty ranking scores 0 on every metric`` () =
    let hits = [| false; false; false |]

    for m in Metrics.all do
        close 0.0 (Metrics.compute m 3 hits 2)

[<Fact>]
let ``hand-derived values for hits at ranks 2 and 4 of 5 relevant`` () =
    // ranked list: miss, hit, miss, hit, miss; 5 relevant items in the ground truth
    let hits = [| false; true; false; true; false |]
    close (2.0 / 5.0) (Metrics.recall 5 hits 5)
    close (1.0 / 5.0) (Metrics.recall 3 hits 5)
    close (2.0 / 5.0) (Metrics.precision 5 hits)
    close (1.0 / 2.0) (Metrics.mrr 5 hits)
    close 0.0 (Metrics.mrr 1 hits)
    close 1.0 (Metrics.hit 2 hits)
    close 0.0 (Metrics.hit 1 hits)
    let dcg = 1.0 / Math.Log2 3.0 + 1.0 / Math.Log2 5.0

    let idcg =
        1.0
        + 1.0 / Math.Log2 3.0
        + 1.0 / Math.Log2 4.0
        + 1.0 / Math.Log2 5.0
        + 1.0 / Math.Log2 6.0

    close (dcg / idcg) (Metrics.ndcg 5 hits 5)

[<Fact>]
let ``ndcg's ideal DCG is capped at k`` () =
    // one hit at rank 1 of k = 2, with 10 relevant items: IDCG@2 = 1 + 1/log2 3
    close (1.0 / (1.0 + 1.0 / Math.Log2 3.0)) (Metrics.ndcg 2 [| true; false |] 10)

[<Fact>]
let ``published DCG example (Wikipedia, binary gains)`` () =
    // relevances 3,2,3,0,1,2 binarised: 1,1,1,0,1,1; DCG@6 = 1 + 1/log2 3 + 1/2 + 0 + 1/log2 6 + 1/log2 7
    let hits = [| true; true; true; false; true; true |]

    let dcg =
        1.0 + 1.0 / Math.Log2 3.0 + 0.5 + 1.0 / Math.Log2 6.0 + 1.0 / Math.Log2 7.0

    let idcg =
        1.0 + 1.0 / Math.Log2 3.0 + 0.5 + 1.0 / Math.Log2 5.0 + 1.0 / Math.Log2 6.0

    close (dcg / idcg) (Metrics.ndcg 6 hits 5)

[<Fact>]
let ``recall rejects an empty ground truth`` () =
    Assert.Throws<ArgumentException>(fun () -> Metrics.recall 5 [| true |] 0 |> ignore)
    |> ignore
