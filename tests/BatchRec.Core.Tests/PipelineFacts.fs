/// Scoring a range of users (Pipeline.scoreRange) and the bare product benchmark kernel.
module BatchRec.Core.Tests.PipelineFacts

open System
open System.Threading
open Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Eval
open BatchRec.Core.Train
open BatchRec.Core.Tests.Generators

/// The tiny world's LightGCN trained on the CPU for `epochs` epochs, scoring `k` items per user in chunks of `chunk`:
/// the config, the split graphs and the model.
let private trainedTiny (epochs: int) (k: int) (chunk: int) =
    let cfg0, snap = tinySnapshot ()

    let cfg =
        { cfg0 with
            Train =
                { cfg0.Train with
                    MaxEpochs = epochs
                    Device = DeviceChoice.Cpu
                }
            Score =
                { cfg0.Score with
                    K = k
                    UserChunk = chunk
                }
        }

    let graphs = Pipeline.splitGraphs snap

    let m =
        Pipeline.train
            cfg
            torch.CPU
            graphs
            (NodeFeatures.none snap.NumUsers snap.NumItems)
            (Action<EpochReport>(ignore))
            CancellationToken.None

    cfg, snap, graphs, m

[<Fact>]
let ``shards of the user range together give exactly the rows of a full scoring`` () =
    let cfg, snap, graphs, m = trainedTiny 3 4 3

    let rows (blocks: seq<ScoredBlock>) =
        [
            for sb in blocks do
                let c = sb.TopK

                for b in 0 .. c.Users.Length - 1 do
                    for p in c.Offsets.[b] .. c.Offsets.[b + 1] - 1 -> c.Users.[b], c.Items.[p], c.Scores.[p]
        ]

    let full = rows (Pipeline.score cfg torch.CPU graphs m)
    // 40 users in uneven shards: [0,13) [13,26) [26,39) [39,40), and an empty one
    let sharded =
        [
            for start, count in [ 0, 13; 13, 13; 26, 13; 39, 1; 40, 0 ] do
                yield! rows (Pipeline.scoreRange cfg torch.CPU graphs m start count)
        ]

    Assert.Equal(snap.NumUsers * 4, full.Length)
    // same users, in order, each once; same rows up to float rounding (the matrix blocks differ, so the last bits may)
    Assert.Equal<int list>(full |> List.map (fun (u, _, _) -> u), sharded |> List.map (fun (u, _, _) -> u))

    for (u, i, s), (u2, i2, s2) in List.zip full sharded do
        Assert.Equal(u, u2)
        Assert.True(abs (s - s2) < 1e-5f, sprintf "user %d: score %g vs %g" u s s2)
        // an item may swap only with an equal-scored neighbour
        if i <> i2 then
            Assert.Contains(
                (u, i2),
                full
                |> List.filter (fun (_, _, x) -> abs (x - s) < 1e-5f)
                |> List.map (fun (a, b, _) -> a, b)
            )

[<Fact>]
let ``a range outside the users is an argument error`` () =
    let cfg, snap, graphs, m =
        trainedTiny 1 Config.Default.Score.K Config.Default.Score.UserChunk

    Assert.Throws<ArgumentException>(fun () -> Pipeline.scoreRange cfg torch.CPU graphs m 35 10 |> Seq.length |> ignore)
    |> ignore

[<Fact>]
let ``the bare product, whole or in the scorer's tiles, computes every user × item score once`` () =
    // 1,500 users × 2,100 items: rows and items both cross a 1024 tile boundary, and the chunk (700) another
    let rng = Random(3)

    let m =
        {
            Kind = "lightgcn"
            NumUsers = 1500
            NumItems = 2100
            Dim = 3
            UserFactors = Array.init (1500 * 3) (fun _ -> float32 (rng.NextDouble()))
            ItemFactors = Array.init (2100 * 3) (fun _ -> float32 (rng.NextDouble()))
            ItemWeights = [||]
            BestEpoch = 1
            EpochsRun = 1
            BestValid = 0.0
            StoppedEarly = false
            SecondsPerEpoch = 0.0
            Tuning = []
        }

    for tiled in [ false; true ] do
        use bare = new BareProduct(torch.CPU, m, 700, tiled)
        Assert.Equal(1500L * 2100L, bare.Run())

    Assert.Throws<ArgumentException>(fun () -> new BareProduct(torch.CPU, m, 0, true) |> ignore)
    |> ignore

[<Fact>]
let ``every user is scored over items they never interacted with`` () =
    let cfg, snap, graphs, m = trainedTiny 5 5 7

    let seen = Collections.Generic.HashSet<int>()

    for scored in Pipeline.score cfg torch.CPU graphs m do
        let c = scored.TopK

        for b in 0 .. c.Users.Length - 1 do
            let u = c.Users.[b]
            Assert.True(seen.Add u)
            let items = c.Items.[c.Offsets.[b] .. c.Offsets.[b + 1] - 1]
            let scores = c.Scores.[c.Offsets.[b] .. c.Offsets.[b + 1] - 1]
            Assert.Equal(5, items.Length)
            Assert.Equal(items.Length, (Array.distinct items).Length)
            Assert.All(items, fun i -> Assert.False(Csr.contains graphs.All u i))
            Assert.True(scores |> Array.pairwise |> Array.forall (fun (a, b) -> a >= b))
            // every row is explained by an item of the user's own history
            for p in c.Offsets.[b] .. c.Offsets.[b + 1] - 1 do
                Assert.True(
                    Csr.contains graphs.All u scored.Reasons.[p],
                    sprintf "reason %d of user %d" scored.Reasons.[p] u
                )

    Assert.Equal(snap.NumUsers, seen.Count)
