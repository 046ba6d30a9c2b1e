module BatchRec.Core.Tests.Generators

open FsCheck
open FsCheck.FSharp
open TorchSharp

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

let tensors (c: RankCase) =
    torch.tensor(c.U).reshape(int64 c.Users, int64 c.Dim), torch.tensor(c.I).reshape(int64 c.Items, int64 c.Dim)

/// A config parsed from JSON over the defaults; a test's own config, so a problem in it fails the test at once.
let cfgOf (json: string) : BatchRec.Core.Config =
    match BatchRec.Core.Config.parse json with
    | Ok c -> c
    | Error es -> failwithf "%A" es

/// Every device present, as theory data: CPU always, CUDA when TorchSharp sees one.
type Devices =
    static member All: obj[] seq =
        seq {
            yield [| box "cpu" |]

            if torch.cuda.is_available () then
                yield [| box "cuda" |]
        }

/// A tiny world with structure: two taste groups, each liking its own half of the items.
let tinySnapshot () =
    let users, items =
        [|
            for u in 0..39 do
                let group = u % 2

                for i in 0..19 do
                    if (i % 2 = group) && ((u * 7 + i * 3) % 5 <> 0) then
                        yield u, i
        |]
        |> Array.unzip

    let cfg =
        { BatchRec.Core.Config.Default with
            Model =
                { BatchRec.Core.Config.Default.Model with
                    Dim = 8
                    Layers = 2
                }
        }

    let uMap = BatchRec.Core.IdMap.ofIds [ for u in 0..39 -> string u ]
    let iMap = BatchRec.Core.IdMap.ofIds [ for i in 0..19 -> string i ]

    let snap =
        BatchRec.Core.Pipeline.buildSnapshot
            cfg
            uMap
            iMap
            users
            items
            (Array.init users.Length int64)
            (Array.create users.Length 1f)

    cfg, snap
