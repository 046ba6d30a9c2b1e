/// The vectorised reasons kernel (Explain) against a float64 reference.
module BatchRec.Core.Tests.ExplainProperties

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

[<Property(Arbitrary = [| typeof<RankArbs> |], MaxTest = 100)>]
let ``reasons are the most cosine-similar history item (float64 reference, clear winners only)`` (c: RankCase) =
    // history = the exclusion pattern; recommendations = the top-K block
    use scope = torch.NewDisposeScope()
    let ue, ie = tensors c
    let history = Bipartite.userItems c.Users c.Items c.ExU c.ExI
    let none = Csr.ofEdges c.Users c.Items [||] [||] [||]
    let block = TopK.topKUsers ue ie none c.K (Array.init c.Users id)

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
    let block = TopK.topKUsers ue ie none c.K (Array.init c.Users id)
    let inv = Explain.inverseNorms c.I c.Dim
    // (the portable kernel on one thread, the 512-bit one on every core: the thread count changes nothing either)
    Explain.reasons 0 c.I inv c.Dim history block = Explain.reasonsPortable 1 c.I inv c.Dim history block
