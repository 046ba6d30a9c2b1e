module BatchRec.Core.Tests.VectorSearchFacts

open System
open Xunit
open FsCheck.Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Nn

let private settings = Config.Default.Search

/// Cosine similarity of rows a and b in float64.
let private cosine (dim: int) (v: float32[]) a b =
    let dot =
        Seq.sum (seq { for c in 0 .. dim - 1 -> float v.[a * dim + c] * float v.[b * dim + c] })

    let na =
        sqrt (Seq.sum (seq { for c in 0 .. dim - 1 -> float v.[a * dim + c] ** 2.0 }))

    let nb =
        sqrt (Seq.sum (seq { for c in 0 .. dim - 1 -> float v.[b * dim + c] ** 2.0 }))

    dot / (na * nb)

let private zeroRow (dim: int) (v: float32[]) r =
    Seq.forall (fun c -> v.[r * dim + c] = 0f) (seq { 0 .. dim - 1 })

/// Row q of a result: its items and scores without the padding, checking that the padding is -1 / NaN at the end.
let private row (nb: Neighbours) q =
    let items = nb.Items.[q * nb.K .. q * nb.K + nb.K - 1]
    let scores = nb.Scores.[q * nb.K .. q * nb.K + nb.K - 1]
    let real = items |> Array.takeWhile (fun j -> j >= 0)
    Assert.All(items.[real.Length ..], fun j -> Assert.Equal(-1, j))
    Assert.All(scores.[real.Length ..], fun s -> Assert.True(Single.IsNaN s))
    real, scores.[.. real.Length - 1]

/// Points around `clusters` random centres in `dim` dimensions, seeded.
let private clustered (seed: int) (n: int) (dim: int) (clusters: int) =
    let rng = Random(seed)

    let gauss () =
        sqrt (-2.0 * log (1.0 - rng.NextDouble()))
        * cos (2.0 * Math.PI * rng.NextDouble())

    let centres = Array.init (clusters * dim) (fun _ -> float32 (gauss ()))

    Array.init n (fun _ -> rng.Next clusters)
    |> Array.collect (fun c -> Array.init dim (fun d -> centres.[c * dim + d] + float32 (0.4 * gauss ())))

let private recall (approx: Neighbours) (exact: Neighbours) =
    let rows = exact.Items.Length / exact.K

    [ 0 .. rows - 1 ]
    |> List.averageBy (fun q ->
        let truth = set (fst (row exact q))
        let got = fst (row approx q)
        float (got |> Array.filter truth.Contains |> Array.length) / float truth.Count)

/// Exact search against a brute-force reference in float64, for random small inputs (integer coordinates, so rows of
/// zeros and exact duplicates occur), random candidate and query subsets and k up to beyond the candidates: each
/// query gets min(k, eligible) neighbours (eligible: candidates other than itself, not all zeros; a query of zeros
/// gets none), by decreasing similarity, scores equal to the reference's cosine, nothing eligible left out that is
/// more similar than the k-th; where the reference's similarities have no near-ties the lists are the reference's.
[<Property(MaxTest = 60)>]
let ``exact search is the brute-force top-k`` (seed: int) =
    let rng = Random(seed)
    let n, dim = rng.Next(1, 30), rng.Next(1, 6)
    let k = rng.Next(0, n + 3)
    let v = Array.init (n * dim) (fun _ -> float32 (rng.Next(-2, 3)))
    let candidates = Array.init n (fun _ -> rng.NextDouble() < 0.7)
    let queries = Array.init (rng.Next(0, n + 1)) (fun _ -> rng.Next n)
    let blocks = rng.Next(1, 4 * n)
    let nb = VectorSearch.exactInBlocks blocks torch.CPU dim v candidates queries k
    Assert.True(nb.Exact)
    Assert.Equal(k, nb.K)
    Assert.Equal(queries.Length * k, nb.Items.Length)

    queries
    |> Array.iteri (fun slot q ->
        let eligible =
            [|
                for j in 0 .. n - 1 do
                    if candidates.[j] && j <> q && not (zeroRow dim v j) then
                        yield j
            |]

        let reference =
            if zeroRow dim v q then
                [||]
            else
                eligible
                |> Array.map (fun j -> j, cosine dim v q j)
                |> Array.sortBy (fun (j, s) -> -s, j)
                |> Array.truncate k

        let items, scores = row nb slot
        Assert.Equal(reference.Length, items.Length)
        Assert.Equal(items.Length, (Array.distinct items).Length)
        Assert.All(items, fun j -> Assert.Contains(j, eligible))

        for p in 0 .. items.Length - 1 do
            Assert.True(abs (cosine dim v q items.[p] - float scores.[p]) < 1e-5)

        Assert.True(Array.pairwise scores |> Array.forall (fun (a, b) -> a >= b))

        if items.Length > 0 then
            let kth = cosine dim v q (Array.last items)

            for j in eligible do
                if not (Array.contains j items) then
                    Assert.True(cosine dim v q j <= kth + 1e-6)

        let allSims = eligible |> Array.map (cosine dim v q) |> Array.sort

        if Array.pairwise allSims |> Array.forall (fun (a, b) -> b - a > 1e-4) then
            Assert.Equal<int[]>(Array.map fst reference, items))

    true

/// Ties by hand in 2-D: rows 1 and 3 are the same vector, row 2 is zeros. Query 0 = (1, 0): 1 and 3 tie (cos 0.8),
/// the lower first; row 2 is never returned and, as a query, gets nothing; row 4 is not a candidate.
[<Fact>]
let ``exact search by hand: ties to the lower index, zeros and non-candidates left out`` () =
    let v = [| 1f; 0f; 0.8f; 0.6f; 0f; 0f; 0.8f; 0.6f; 1f; 0f |]
    let candidates = [| true; true; true; true; false |]
    let nb = VectorSearch.exact torch.CPU 2 v candidates [| 0; 2; 4 |] 3
    Assert.Equal<int[]>([| 1; 3 |], fst (row nb 0))
    Assert.Equal(-1, nb.Items.[2])
    Assert.Equal<int[]>([||], fst (row nb 1))
    Assert.Equal<int[]>([| 0; 1; 3 |], fst (row nb 2))
    Assert.Equal(0.8f, nb.Scores.[0], 5)

[<Fact>]
let ``HNSW finds at least 90% of the exact top-10 on clustered vectors, sorted, never the query itself`` () =
    let n, dim = 3000, 32
    let v = clustered 11 n dim 30
    let candidates = Array.create n true
    let queries = Array.init 300 (fun i -> i * 10)
    let s = { settings with ExactBelow = 0 }
    let approx = VectorSearch.nearest s torch.CPU dim v candidates queries 10
    Assert.False(approx.Exact)
    let exact = VectorSearch.exact torch.CPU dim v candidates queries 10
    let r = recall approx exact
    Assert.True(r >= 0.9, sprintf "recall@10 %.3f" r)

    queries
    |> Array.iteri (fun slot q ->
        let items, scores = row approx slot
        Assert.Equal(10, items.Length)
        Assert.DoesNotContain(q, items)
        Assert.True(Array.pairwise scores |> Array.forall (fun (a, b) -> a >= b))

        for p in 0 .. items.Length - 1 do
            Assert.True(abs (cosine dim v q items.[p] - float scores.[p]) < 1e-4))

[<Fact>]
let ``a single-threaded HNSW build gives the same neighbours and scores twice; several threads still find them`` () =
    let n, dim = 2000, 16
    let v = clustered 5 n dim 20
    let candidates = Array.init n (fun i -> i % 7 <> 0)
    let queries = Array.init n id
    let s = { settings with Threads = 1 }
    let a = VectorSearch.approximate s dim v candidates queries 10
    let b = VectorSearch.approximate s dim v candidates queries 10
    Assert.Equal<int[]>(a.Items, b.Items)
    Assert.Equal<float32[]>(a.Scores, b.Scores)
    Assert.All(a.Items, fun j -> Assert.True(j = -1 || candidates.[j]))
    let exact = VectorSearch.exact torch.CPU dim v candidates queries 10

    let concurrent =
        VectorSearch.approximate { s with Threads = 2 } dim v candidates queries 10

    Assert.True(recall concurrent exact >= 0.9)

[<Fact>]
let ``HNSW: rows of zeros are never returned and get no neighbours; k beyond the candidates gives them all`` () =
    let v = [| 1f; 0f; 0f; 0f; 0.8f; 0.6f; 0f; 1f |]
    let candidates = Array.create 4 true
    let nb = VectorSearch.approximate settings 2 v candidates [| 0; 1; 3 |] 5
    Assert.Equal<int[]>([| 2; 3 |], fst (row nb 0))
    Assert.Equal<int[]>([||], fst (row nb 1))
    Assert.Equal<int[]>([| 2; 0 |], fst (row nb 2))

[<Fact>]
let ``a disposed graph refuses searches`` () =
    let v = clustered 2 50 4 3
    let index = VectorSearch.build settings 4 v (Array.create 50 true)
    Assert.Equal(50, index.Count)
    Assert.Equal(3, index.Search([| 0 |], 3).Items |> Array.filter (fun j -> j >= 0) |> Array.length)
    (index :> IDisposable).Dispose()

    Assert.Throws<ObjectDisposedException>(fun () -> index.Search([| 0 |], 3) |> ignore)
    |> ignore

[<Fact>]
let ``nearest is exact up to exactBelow candidates and HNSW above`` () =
    let n, dim = 200, 8
    let v = clustered 3 n dim 5
    let candidates = Array.init n (fun i -> i < 150)
    let queries = [| 0; 1; 199 |]

    let at limit =
        VectorSearch.nearest { settings with ExactBelow = limit } torch.CPU dim v candidates queries 5

    Assert.True((at 150).Exact)
    Assert.False((at 149).Exact)
    Assert.False((at 0).Exact)

[<Fact>]
let ``bad shapes are refused`` () =
    Assert.Throws<ArgumentException>(fun () ->
        VectorSearch.exact torch.CPU 2 [| 1f; 2f; 3f |] [| true; true |] [| 0 |] 1
        |> ignore)
    |> ignore

    Assert.Throws<ArgumentException>(fun () ->
        VectorSearch.approximate settings 2 [| 1f; 2f; 3f; 4f |] [| true; true |] [| 2 |] 1
        |> ignore)
    |> ignore

    Assert.Throws<ArgumentException>(fun () ->
        VectorSearch.exact torch.CPU 2 [| 1f; 2f; 3f; 4f |] [| true; true |] [| 0 |] -1
        |> ignore)
    |> ignore

[<Fact>]
let ``the search section is read, range-checked all at once, and its unknown keys named`` () =
    match
        Config.parse
            """{ "search": { "exactBelow": 5, "connectivity": 32, "expansionAdd": 200, "expansionSearch": 100, "threads": 0 } }"""
    with
    | Ok c ->
        Assert.Equal(
            {
                ExactBelow = 5
                Connectivity = 32
                ExpansionAdd = 200
                ExpansionSearch = 100
                Threads = 0
            },
            c.Search
        )
    | Error e -> failwithf "%A" e

    match
        Config.parse
            """{ "search": { "exactBelow": -1, "connectivity": 1, "expansionAdd": 0, "expansionSearch": 0, "threads": -2 } }"""
    with
    | Ok _ -> failwith "expected errors"
    | Error errs ->
        let keys = errs |> List.map (fun e -> e.Key) |> Set.ofList

        Assert.Equal<Set<string>>(
            set
                [
                    "search.exactBelow"
                    "search.connectivity"
                    "search.expansionAdd"
                    "search.expansionSearch"
                    "search.threads"
                ],
            keys
        )

    match Config.parse """{ "search": { "expansionSerch": 10 } }""" with
    | Ok _ -> failwith "expected an error"
    | Error errs ->
        let text = errs |> List.map string |> String.concat "\n"
        Assert.Contains("search.expansionSerch: unknown key (did you mean 'expansionSearch'?", text)
