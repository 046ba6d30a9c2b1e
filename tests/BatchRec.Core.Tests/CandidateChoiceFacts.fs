/// model.kind auto's choice among its candidates (CandidateChoice).
module BatchRec.Core.Tests.CandidateChoiceFacts

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open BatchRec.Core

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
