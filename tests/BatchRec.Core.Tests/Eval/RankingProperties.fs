/// The scoring hot path (issue 6): the CPU's one-pass masked top-K selection, the vectorised reasons kernel and the
/// evaluation user sample, each against a plain reference.
module BatchRec.Core.Tests.RankingProperties

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Eval

/// Random factors (continuous values, so ties are improbable) and a random exclusion pattern.
type RankCase =
    {
        Users: int
        Items: int
        Dim: int
        K: int
        U: float32[]
        I: float32[]
        ExU: int[]
        ExI: int[]
    }

type RankArbs =
    static member RankCase() =
        gen {
            let! users = Gen.choose (1, 9)
            let! items = Gen.choose (1, 70) // crosses several SIMD vectors and tails
            let! dim = Gen.choose (1, 20)
            let! k = Gen.choose (1, 40) // reasons: up to 4 SIMD vectors in registers, more in the array path

            let floats n =
                Gen.arrayOfLength n (Gen.choose (-100000, 100000) |> Gen.map (fun x -> float32 x / 1000.0f))

            let! u = floats (users * dim)
            let! i = floats (items * dim)
            let! n = Gen.choose (0, users * items)
            let! exU = Gen.arrayOfLength n (Gen.choose (0, users - 1))
            let! exI = Gen.arrayOfLength n (Gen.choose (0, items - 1))

            return
                {
                    Users = users
                    Items = items
                    Dim = dim
                    K = k
                    U = u
                    I = i
                    ExU = exU
                    ExI = exI
                }
        }
        |> Arb.fromGen

let private tensors (c: RankCase) =
    torch.tensor(c.U).reshape(int64 c.Users, int64 c.Dim), torch.tensor(c.I).reshape(int64 c.Items, int64 c.Dim)

[<Property(Arbitrary = [| typeof<RankArbs> |], MaxTest = 200)>]
let ``the CPU top-K selection gives the same lists as masking and libtorch's topk`` (c: RankCase) =
    use scope = torch.NewDisposeScope()
    let ue, ie = tensors c
    let exclude = Bipartite.userItems c.Users c.Items c.ExU c.ExI
    let users = Array.init c.Users id |> Array.rev // any order of users
    let cpu = Ranking.topKUsers ue ie exclude c.K users
    let reference = Ranking.topKUsersTorch ue ie exclude c.K users
    // libtorch's topk orders equal scores arbitrarily (and two products may round near-ties apart), so a position
    // may hold another item only when both items score the same (float64 from the factors); the exact tie rule
    // (lower item first) is the tiled property's, on exact integer scores
    let score (user: int) (item: int) =
        Seq.sum (seq { for d in 0 .. c.Dim - 1 -> float c.U.[user * c.Dim + d] * float c.I.[item * c.Dim + d] })
    // a float32 dot product is exact to about dim · 2⁻²⁴ · Σ_d |u_d i_d|, not relative to its (possibly cancelled)
    // value: two products of the same pair may differ by that much, and items within it may swap
    let magnitude (user: int) (item: int) =
        Seq.sum (seq { for d in 0 .. c.Dim - 1 -> abs (float c.U.[user * c.Dim + d] * float c.I.[item * c.Dim + d]) })

    let slack (user: int) (item: int) =
        1e-6 + 4.0 * float c.Dim * 6e-8 * magnitude user item

    cpu.Users = reference.Users
    && cpu.Offsets = reference.Offsets
    && Seq.forall
        (fun r ->
            Seq.forall
                (fun p ->
                    let u, a, b = users.[r], cpu.Items.[p], reference.Items.[p]
                    let tol = slack u a + slack u b

                    abs (float cpu.Scores.[p] - float reference.Scores.[p]) <= tol
                    && (a = b || abs (score u a - score u b) <= tol))
                (seq { cpu.Offsets.[r] .. cpu.Offsets.[r + 1] - 1 }))
        (seq { 0 .. users.Length - 1 })

[<Property(Arbitrary = [| typeof<RankArbs> |], MaxTest = 300)>]
let ``tiled selection is the exact top-K whatever the tile sizes, ties to the lower item``
    (c: RankCase)
    (rowTile: PositiveInt)
    (colTile: PositiveInt)
    =
    // small integer factors: every score is exact in float32 whatever order a product sums in, and ties are
    // frequent; rows and items are cut anywhere, so heaps and exclusion positions carry across tile boundaries
    use scope = torch.NewDisposeScope()

    let small (xs: float32[]) =
        xs |> Array.map (fun x -> float32 (int (abs x) % 7 - 3))

    let u, i = small c.U, small c.I
    let ue = torch.tensor(u).reshape(int64 c.Users, int64 c.Dim)
    let ie = torch.tensor(i).reshape(int64 c.Items, int64 c.Dim)
    let exclude = Bipartite.userItems c.Users c.Items c.ExU c.ExI
    let users = Array.init c.Users id |> Array.rev

    let tiled =
        Ranking.topKUsersTiled (1 + rowTile.Get % 4) (1 + colTile.Get % 19) ue ie exclude c.K users

    let expected =
        [|
            for user in users ->
                [|
                    for item in 0 .. c.Items - 1 do
                        if not (Csr.contains exclude user item) then
                            yield
                                item,
                                Seq.sum (
                                    seq {
                                        for d in 0 .. c.Dim - 1 ->
                                            float u.[user * c.Dim + d] * float i.[item * c.Dim + d]
                                    }
                                )
                |]
                |> Array.sortBy (fun (item, score) -> -score, item)
                |> Array.truncate c.K
        |]

    tiled.Offsets = Array.scan (+) 0 (expected |> Array.map Array.length)
    && tiled.Items = (expected |> Array.collect (Array.map fst))
    && tiled.Scores = (expected |> Array.collect (Array.map (snd >> float32)))

[<Property(Arbitrary = [| typeof<RankArbs> |], MaxTest = 300)>]
let ``every CPU path (sgemm or libtorch products, slots or heap) gives the same lists, ties, NaN and exclusions included``
    (c: RankCase)
    (wide: PositiveInt)
    (rowTile: PositiveInt)
    (colTile: PositiveInt)
    =
    // items repeated up to 8 times (up to 560), so whole 16-lane vectors are scanned after the slots fill; factors
    // rounded to -2..2, so every score is exact whatever order a product sums in, exact ties are common and the
    // floor often equals a later score; a few NaN scores; rows and items cut anywhere. The reference is libtorch's
    // products with the heap. Paths this machine lacks (no AVX-512: no slots; no MKL export: no sgemm) fall back to
    // the reference's, and hold trivially.
    use scope = torch.NewDisposeScope()
    let copies = 1 + wide.Get % 8
    let items = c.Items * copies

    let coarse (xs: float32[]) =
        xs |> Array.map (fun x -> float32 (Math.Round(float x / 40.0)))

    let i = Array.init copies (fun _ -> coarse c.I) |> Array.concat

    if items > 3 then
        i.[(c.Dim * 3)] <- Single.NaN

    let ue = torch.tensor(coarse c.U).reshape(int64 c.Users, int64 c.Dim)
    let ie = torch.tensor(i).reshape(int64 items, int64 c.Dim)

    let exclude =
        Bipartite.userItems c.Users items c.ExU (c.ExI |> Array.mapi (fun e x -> x + c.Items * (e % copies)))

    let users = Array.init c.Users id |> Array.rev
    let rt, ct = 1 + rowTile.Get % 5, 1 + colTile.Get % 200

    let run blas slots =
        Ranking.topKUsersCpu { Blas = blas; Slots = slots } rt ct ue ie exclude c.K users

    let reference = run false false

    [ run true true; run true false; run false true ]
    |> List.forall (fun t ->
        t.Offsets = reference.Offsets
        && t.Items = reference.Items
        && t.Scores = reference.Scores)

[<Property(Arbitrary = [| typeof<RankArbs> |], MaxTest = 100)>]
let ``the top-K read in place from the factor arrays gives topKBlock's lists for any user range and thread count``
    (c: RankCase)
    (a: NonNegativeInt)
    (b: NonNegativeInt)
    (t: NonNegativeInt)
    =
    // the scorer's path on the CPU (topKBlockArrays: the arrays pinned, the range's first row found by pointer
    // arithmetic, 0-3 threads (score.threads), which also changes the worker blocks) against topKBlock on tensors
    // of the same factors; ties and a NaN score as above
    use scope = torch.NewDisposeScope()

    if not (Ranking.blasAvailable ()) then
        true
    else
        let coarse (xs: float32[]) =
            xs |> Array.map (fun x -> float32 (Math.Round(float x / 40.0)))

        let u, i = coarse c.U, coarse c.I

        if c.Items > 3 then
            i.[c.Dim * 3] <- Single.NaN

        let ue = torch.tensor(u).reshape(int64 c.Users, int64 c.Dim)
        let ie = torch.tensor(i).reshape(int64 c.Items, int64 c.Dim)
        let exclude = Bipartite.userItems c.Users c.Items c.ExU c.ExI
        let start = a.Get % (c.Users + 1)
        let count = b.Get % (c.Users - start + 1)
        let expected = Ranking.topKBlock ue ie exclude c.K start count
        let actual = Ranking.topKBlockArrays (t.Get % 4) u i c.Dim exclude c.K start count

        actual.Users = expected.Users
        && actual.Offsets = expected.Offsets
        && actual.Items = expected.Items
        && actual.Scores = expected.Scores

[<Fact>]
let ``MKL's sgemm is found in libtorch on Linux x64, so the scorer's fused path is the one tested`` () =
    if
        OperatingSystem.IsLinux()
        && Runtime.InteropServices.RuntimeInformation.ProcessArchitecture = Runtime.InteropServices.Architecture.X64
    then
        Assert.True(CpuBlas.gemm.Value.IsSome)
        Assert.True((Ranking.CpuSelect.Default 20).Blas)

[<Fact>]
let ``equal scores keep the lower item first across tiles too`` () =
    use scope = torch.NewDisposeScope()
    let ue = torch.ones ([| 1L; 1L |])

    let vals =
        Array.init 20 (fun i ->
            if i = 5 then Single.NaN
            elif i % 2 = 0 then 1.0f
            else 2.0f)

    let ie = torch.tensor(vals).reshape(20L, 1L)
    let none = Csr.ofEdges 1 20 [||] [||] [||]

    for colTile in [ 1; 3; 8; 20 ] do
        let top = Ranking.topKUsersTiled 1 colTile ue ie none 12 [| 0 |]
        Assert.Equal<int[]>([| 1; 3; 7; 9; 11; 13; 15; 17; 19; 0; 2; 4 |], top.Items)

[<Fact>]
let ``equal scores keep the lower item first, and NaN scores are never selected`` () =
    use scope = torch.NewDisposeScope()
    // 1 user, 1-dim factors: items 0..19 score 1, 2, 1, 2, ...; item 5 scores NaN
    let ue = torch.ones ([| 1L; 1L |])

    let vals =
        Array.init 20 (fun i ->
            if i = 5 then Single.NaN
            elif i % 2 = 0 then 1.0f
            else 2.0f)

    let ie = torch.tensor(vals).reshape(20L, 1L)
    let none = Csr.ofEdges 1 20 [||] [||] [||]
    let top = Ranking.topKUsers ue ie none 12 [| 0 |]
    // the nine 2s (odd items except 5), then the 1s in index order
    Assert.Equal<int[]>([| 1; 3; 7; 9; 11; 13; 15; 17; 19; 0; 2; 4 |], top.Items)

[<Property(Arbitrary = [| typeof<RankArbs> |], MaxTest = 100)>]
let ``reasons are the most cosine-similar history item (float64 reference, clear winners only)`` (c: RankCase) =
    // history = the exclusion pattern; recommendations = the top-K block
    use scope = torch.NewDisposeScope()
    let ue, ie = tensors c
    let history = Bipartite.userItems c.Users c.Items c.ExU c.ExI
    let none = Csr.ofEdges c.Users c.Items [||] [||] [||]
    let block = Ranking.topKUsers ue ie none c.K (Array.init c.Users id)

    let reasons =
        Explain.reasons 0 c.I (Explain.inverseNorms c.I c.Dim) c.Dim history block

    let norm i =
        sqrt (Seq.sum (seq { for j in 0 .. c.Dim - 1 -> float c.I.[i * c.Dim + j] ** 2.0 }))

    let cos i h =
        let d =
            Seq.sum (seq { for j in 0 .. c.Dim - 1 -> float c.I.[i * c.Dim + j] * float c.I.[h * c.Dim + j] })

        if norm i = 0.0 || norm h = 0.0 then
            0.0
        else
            d / (norm i * norm h)

    [
        for b in 0 .. block.Users.Length - 1 do
            let u = block.Users.[b]

            let hist =
                [
                    for q in history.RowPtr.[u] .. history.RowPtr.[u + 1] - 1 -> history.ColIdx.[q]
                ]

            for p in block.Offsets.[b] .. block.Offsets.[b + 1] - 1 do
                let i = block.Items.[p]

                match hist with
                | [] -> yield reasons.[p] = -1
                | _ ->
                    let sims = hist |> List.map (fun h -> h, cos i h) |> List.sortByDescending snd
                    let best, s = sims.Head
                    // where the runner-up is within float32 rounding, either may win
                    let clear = sims.Length = 1 || s - snd sims.[1] > 1e-4

                    yield
                        (if clear then
                             reasons.[p] = best
                         else
                             List.contains reasons.[p] hist)
    ]
    |> List.forall id

[<Property(Arbitrary = [| typeof<RankArbs> |], MaxTest = 300)>]
let ``the 512-bit reasons kernel gives the portable kernel's items, ties included`` (c: RankCase) =
    // factors rounded to -2..2: many items share a direction, so exact similarity ties are common, and the tie rule
    // (the earlier history item) must hold in both kernels; k 1..40 covers one and two 16-lane vectors and the
    // fallback beyond 32. On hardware without AVX-512 `reasons` is the portable kernel and this holds trivially.
    use scope = torch.NewDisposeScope()

    let coarse (xs: float32[]) =
        xs |> Array.map (fun x -> float32 (Math.Round(float x / 40.0)))

    let c =
        { c with
            U = coarse c.U
            I = coarse c.I
        }

    let ue, ie = tensors c
    let history = Bipartite.userItems c.Users c.Items c.ExU c.ExI
    let none = Csr.ofEdges c.Users c.Items [||] [||] [||]
    let block = Ranking.topKUsers ue ie none c.K (Array.init c.Users id)
    let inv = Explain.inverseNorms c.I c.Dim
    // (the portable kernel on one thread, the 512-bit one on every core: the thread count changes nothing either)
    Explain.reasons 0 c.I inv c.Dim history block = Explain.reasonsPortable 1 c.I inv c.Dim history block

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
        let perUser = Evaluation.perUserWith None ue ie history truth m.Metric m.K 4 sample
        Assert.Equal(sample.Length, perUser.Length)
        Assert.Equal(m.Value, Array.average perUser, 12)
        Assert.Equal<float[]>(perUser, Evaluation.perUserWith None ue ie history truth m.Metric m.K 100 sample)

[<Fact>]
let ``a user without truth items scores 0 per user`` () =
    use scope = torch.NewDisposeScope()
    // 2 users, 3 items, 1-dim factors: items score 3, 2, 1; user 0's truth is item 1 (rank 2: MRR 1/2), user 1 has none
    let ue = torch.ones ([| 2L; 1L |])
    let ie = torch.tensor([| 3.0f; 2.0f; 1.0f |]).reshape(3L, 1L)
    let truth = Bipartite.userItems 2 3 [| 0 |] [| 1 |]
    let none = Csr.ofEdges 2 3 [||] [||] [||]
    Assert.Equal<float[]>([| 0.5; 0.0 |], Evaluation.perUserWith None ue ie none truth "mrr" 3 8 [| 0; 1 |])
