/// The scoring hot path: the CPU's one-pass masked top-K selection (TopK), against masking and libtorch's topk.
module BatchRec.Core.Tests.TopKProperties

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
open BatchRec.Core.Nn

[<Property(Arbitrary = [| typeof<RankArbs> |], MaxTest = 200)>]
let ``the CPU top-K selection gives the same lists as masking and libtorch's topk`` (c: RankCase) =
    use scope = torch.NewDisposeScope()
    let ue, ie = tensors c
    let exclude = Bipartite.userItems c.Users c.Items c.ExU c.ExI
    let users = Array.init c.Users id |> Array.rev // any order of users
    let cpu = TopK.topKUsers ue ie exclude c.K users
    let reference = TopK.topKUsersTorch ue ie exclude c.K users
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
        TopK.topKUsersTiled (1 + rowTile.Get % 4) (1 + colTile.Get % 19) ue ie exclude c.K users

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
        TopK.topKUsersCpu { Blas = blas; Slots = slots } rt ct ue ie exclude c.K users

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

    if not (TopK.blasAvailable ()) then
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
        let expected = TopK.topKBlock ue ie exclude c.K start count
        let actual = TopK.topKBlockArrays (t.Get % 4) u i c.Dim exclude c.K start count

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
        Assert.True((TopK.CpuSelect.Default 20).Blas)

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
        let top = TopK.topKUsersTiled 1 colTile ue ie none 12 [| 0 |]
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
    let top = TopK.topKUsers ue ie none 12 [| 0 |]
    // the nine 2s (odd items except 5), then the 1s in index order
    Assert.Equal<int[]>([| 1; 3; 7; 9; 11; 13; 15; 17; 19; 0; 2; 4 |], top.Items)

[<Theory; MemberData(nameof Devices.All, MemberType = typeof<Devices>)>]
let ``top-K never returns excluded items and ranks by score`` (dev: string) =
    let device =
        Tensors.chooseDevice (Option.get (Choice.tryParse DeviceChoice.Names dev))

    use scope = torch.NewDisposeScope()
    // 2 users, 4 items, 1-dim factors: score = user * item
    let ue = torch.tensor([| 1.0f; -1.0f |], device = device).reshape(2L, 1L)
    let ie = torch.tensor([| 4.0f; 3.0f; 2.0f; 1.0f |], device = device).reshape(4L, 1L)
    let exclude = Bipartite.userItems 2 4 [| 0; 1; 1; 1 |] [| 0; 1; 2; 3 |]
    let blocks = TopK.topK ue ie exclude 3 1 |> List.ofSeq
    Assert.Equal(2, blocks.Length)
    Assert.Equal<int[]>([| 1; 2; 3 |], blocks.[0].Items) // item 0 excluded for user 0
    Assert.Equal<float32[]>([| 3f; 2f; 1f |], blocks.[0].Scores)
    Assert.Equal<int[]>([| 0 |], blocks.[1].Items) // user 1 has only item 0 left
    Assert.Equal<int[]>([| 0; 1 |], blocks.[1].Offsets)
