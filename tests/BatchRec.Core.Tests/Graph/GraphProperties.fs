module BatchRec.Core.Tests.GraphProperties

open System
open Xunit
open FsCheck
open FsCheck.Xunit
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Tests.Generators

[<Property(Arbitrary = [| typeof<Arbs> |])>]
let ``CSR round-trips the edge list (duplicates summed, row-major order)`` (g: EdgeList) =
    let m = Csr.ofEdges g.Rows g.Cols g.Src g.Dst g.Values
    let src, dst, v = Csr.toEdges m

    let expected =
        Array.zip3 g.Src g.Dst g.Values
        |> Array.groupBy (fun (s, d, _) -> s, d)
        |> Array.map (fun ((s, d), xs) -> s, d, xs |> Array.sumBy (fun (_, _, x) -> x))
        |> Array.sortBy (fun (s, d, _) -> s, d)

    Array.zip3 src dst v = expected
    && m.RowPtr.Length = g.Rows + 1
    && m.RowPtr.[g.Rows] = m.Nnz

[<Property(Arbitrary = [| typeof<Arbs> |])>]
let ``CSR contains exactly the stored pairs`` (g: EdgeList) =
    let m = Csr.ofEdges g.Rows g.Cols g.Src g.Dst g.Values
    let pairs = Set.ofArray (Array.zip g.Src g.Dst)

    seq {
        for r in 0 .. g.Rows - 1 do
            for c in 0 .. g.Cols - 1 -> (r, c)
    }
    |> Seq.forall (fun (r, c) -> Csr.contains m r c = pairs.Contains(r, c))

[<Property(Arbitrary = [| typeof<Arbs> |])>]
let ``transpose twice is the identity`` (g: EdgeList) =
    let m = Csr.ofEdges g.Rows g.Cols g.Src g.Dst g.Values
    Csr.transpose (Csr.transpose m) = m

[<Property(Arbitrary = [| typeof<Arbs> |])>]
let ``binaryRows holds the chosen rows in their order, each stored value 1`` (g: EdgeList) (picks: int list) =
    let m = Csr.ofEdges g.Rows g.Cols g.Src g.Dst g.Values
    let rows = picks |> List.map (fun p -> abs (p % g.Rows)) |> Array.ofList
    let b = Csr.binaryRows m rows

    b.Rows = rows.Length
    && b.Cols = m.Cols
    && (rows |> Array.mapi (fun k r -> Csr.row b k = Csr.row m r) |> Array.forall id)
    && (b.Values |> Array.forall (fun v -> v = 1.0f))

[<Fact>]
let ``ofEdges names the parameter of an out-of-range edge`` () =
    let ex =
        Assert.Throws<ArgumentException>(fun () -> Csr.ofEdges 2 2 [| 0; 2 |] [| 0; 0 |] [| 1f; 1f |] |> ignore)

    Assert.Equal("src", ex.ParamName)
    Assert.Contains("edge 1", ex.Message)

[<Property(Arbitrary = [| typeof<Arbs> |])>]
let ``symmetric normalisation is symmetric and finite, and zero-degree rows stay empty`` (g: EdgeList) =
    // a bipartite adjacency over users = rows, items = cols; some users/items have no edges
    let a = Bipartite.adjacency g.Rows g.Cols g.Src g.Dst
    let n = Normalize.symmetric a
    let deg = Csr.rowCounts a
    let src, dst, v = Csr.toEdges n
    let lookup = Array.zip3 src dst v |> Array.map (fun (s, d, x) -> (s, d), x) |> dict

    Array.forall (fun (x: float32) -> Single.IsFinite x && x > 0f) v
    && Array.forall2 (fun s d -> abs (lookup.[(s, d)] - lookup.[(d, s)]) < 1e-6f) src dst
    && Array.forall2 (fun s d -> abs (lookup.[(s, d)] - 1f / sqrt (float32 deg.[s] * float32 deg.[d])) < 1e-6f) src dst
    && (deg
        |> Array.mapi (fun i d -> d <> 0 || Csr.rowCounts n |> fun c -> c.[i] = 0)
        |> Array.forall id)

[<Property>]
let ``normalised rows of a regular graph sum to one`` (PositiveInt n0) (PositiveInt d0) =
    // circulant graph: node i is linked to i±1 .. i±d (mod n), a 2d-regular graph when n > 2d
    let d = 1 + d0 % 4
    let n = 2 * d + 1 + n0 % 20

    let edges =
        [|
            for i in 0 .. n - 1 do
                for s in 1..d do
                    yield i, (i + s) % n
                    yield i, (i - s + n) % n
        |]

    let a =
        Csr.ofEdges n n (Array.map fst edges) (Array.map snd edges) (Array.create edges.Length 1f)

    Normalize.symmetric a
    |> Csr.rowSums
    |> Array.forall (fun s -> abs (s - 1f) < 1e-5f)

[<Fact>]
let ``a user with no interactions gets an empty normalised row and no NaN`` () =
    // users 0 and 2 interact; user 1 has no edges; item 1 has no edges
    let a = Bipartite.adjacency 3 2 [| 0; 2; 2 |] [| 0; 0; 0 |]
    let n = Normalize.symmetric a
    Assert.Empty(Csr.row n 1)
    Assert.Empty(Csr.row n 4) // item 1 = node 3 + 1
    // user 0 (degree 1) – item 0 (degree 2, repeated pair (2,0) counts once): 1/sqrt(1·2)
    let _, _, v = Csr.toEdges n
    Assert.All(v, fun x -> Assert.Equal(1f / sqrt 2f, x, 6))

[<Property>]
let ``the id map is dense, canonical and round-trips`` (ids: NonNull<string> list) =
    let ids = ids |> List.map (fun s -> s.Get)
    let m = IdMap.ofIds ids
    let distinct = ids |> List.distinct

    m.Count = distinct.Length
    && distinct
       |> List.forall (fun id ->
           match m.TryIndex id with
           | Some i -> m.Id i = id
           | None -> false)
    && (Array.init m.Count id |> Array.forall (fun i -> m.TryIndex(m.Id i) = Some i))
    && IdMap.ofIds (List.rev ids) |> fun m2 -> m2.Ids = m.Ids // order of arrival does not matter

[<Property>]
let ``numeric ids are ordered numerically`` (xs: int64 list) =
    let m = IdMap.ofIds (xs |> List.map string)
    m.Ids |> Array.map int64 = (xs |> List.distinct |> List.sort |> Array.ofList)

[<Property>]
let ``the builder's remap agrees with the frozen map`` (ids: NonNull<string> list) =
    let b = IdMapBuilder()
    let provisional = ids |> List.map (fun s -> b.Intern s.Get)
    let m, remap = b.Freeze()
    List.zip ids provisional |> List.forall (fun (s, p) -> m.Id remap.[p] = s.Get)

[<Property(Arbitrary = [| typeof<Arbs> |])>]
let ``the split is disjoint, covers all and counts by RecBole's rule`` (log: UserLog) (seed: int) =
    let splits = Splitting.assign 0.1 0.1 seed log.NumUsers log.Users

    let perUser u s =
        Array.fold2 (fun c uu ss -> if uu = u && ss = s then c + 1 else c) 0 log.Users splits

    splits.Length = log.Users.Length // every interaction gets exactly one split
    && [ 0 .. log.NumUsers - 1 ]
       |> List.forall (fun u ->
           let n = log.Users |> Array.filter ((=) u) |> Array.length
           let tr, va, te = Splitting.counts 0.1 0.1 n

           perUser u Split.Train = tr
           && perUser u Split.Valid = va
           && perUser u Split.Test = te)

[<Property>]
let ``split counts follow the rule`` (NonNegativeInt n) =
    let tr, va, te = Splitting.counts 0.1 0.1 n
    let f = int (0.1 * float n)

    tr + va + te = n
    && (if f >= 1 || n = 0 then
            va = f && te = f
        // floor is 0: test takes one while train keeps more than one, then valid likewise
        else
            te = (if n >= 2 then 1 else 0) && va = (if n >= 3 then 1 else 0))

[<Fact>]
let ``split counts, worked examples`` () =
    Assert.Equal((21, 2, 2), Splitting.counts 0.1 0.1 25)
    Assert.Equal((3, 1, 1), Splitting.counts 0.1 0.1 5)
    Assert.Equal((1, 0, 1), Splitting.counts 0.1 0.1 2)
    Assert.Equal((1, 0, 0), Splitting.counts 0.1 0.1 1)
    Assert.Equal((16, 2, 2), Splitting.counts 0.1 0.1 20)

[<Property>]
let ``the split is reproducible for a seed`` (seed: int) =
    let users =
        [|
            for u in 0..9 do
                for _ in 0 .. u * 3 -> u
        |]

    Splitting.assign 0.1 0.1 seed 10 users = Splitting.assign 0.1 0.1 seed 10 users

[<Property(Arbitrary = [| typeof<Arbs> |])>]
let ``negatives are never training items of the user`` (g: EdgeList) (seed: int) =
    let seen = Bipartite.userItems g.Rows g.Cols g.Src g.Dst
    let negs = Sampling.negatives (Random seed) seen g.Src

    Array.forall2
        (fun u j ->
            if j = -1 then
                Csr.rowCounts seen |> fun c -> c.[u] = g.Cols
            else
                j >= 0 && j < g.Cols && not (Csr.contains seen u j))
        g.Src
        negs
