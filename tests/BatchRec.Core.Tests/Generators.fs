module BatchRec.Core.Tests.Generators

open FsCheck
open FsCheck.FSharp

/// A random edge list over a small rows × cols grid (duplicates likely), with small positive weights.
type EdgeList =
    {
        Rows: int
        Cols: int
        Src: int[]
        Dst: int[]
        Values: float32[]
    }

/// A random user → interaction-count assignment (users may have zero interactions).
type UserLog = { NumUsers: int; Users: int[] }

type Arbs =
    static member EdgeList() =
        gen {
            let! rows = Gen.choose (1, 12)
            let! cols = Gen.choose (1, 12)
            let! n = Gen.choose (0, 60)
            let! src = Gen.arrayOfLength n (Gen.choose (0, rows - 1))
            let! dst = Gen.arrayOfLength n (Gen.choose (0, cols - 1))
            let! vals = Gen.arrayOfLength n (Gen.choose (1, 5) |> Gen.map float32)

            return
                {
                    Rows = rows
                    Cols = cols
                    Src = src
                    Dst = dst
                    Values = vals
                }
        }
        |> Arb.fromGen

    static member UserLog() =
        gen {
            let! numUsers = Gen.choose (1, 15)

            let! counts =
                Gen.arrayOfLength
                    numUsers
                    (Gen.frequency [ 1, Gen.constant 0; 1, Gen.choose (1, 4); 3, Gen.choose (5, 60) ])

            let users = counts |> Array.mapi (fun u c -> Array.create c u) |> Array.concat
            let! perm = Gen.shuffle users
            return { NumUsers = numUsers; Users = perm }
        }
        |> Arb.fromGen

/// TorchSharp's global generator (torch.manual_seed) is process-wide: tests that seed and draw from it must not
/// interleave, so the assembly's tests run one at a time.
[<assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)>]
do ()
