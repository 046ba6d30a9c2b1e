module BatchRec.Core.Tests.ScoreRangeFacts

open System
open System.Threading
open Xunit
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Train

[<Fact>]
let ``shards of the user range together give exactly the rows of a full scoring`` () =
    let cfg0, snap = NnFacts.tinySnapshot ()
    let cfg = { cfg0 with Train = { cfg0.Train with MaxEpochs = 3; Device = "cpu" }; Score = { K = 4; UserChunk = 3 } }
    let graphs = Pipeline.splitGraphs snap
    let m = Pipeline.train cfg torch.CPU graphs (Action<EpochReport>(ignore)) CancellationToken.None
    let rows (blocks: seq<TopK>) =
        [ for c in blocks do
              for b in 0 .. c.Users.Length - 1 do
                  for p in c.Offsets.[b] .. c.Offsets.[b + 1] - 1 -> c.Users.[b], c.Items.[p], c.Scores.[p] ]
    let full = rows (Pipeline.score cfg torch.CPU graphs m)
    // 40 users in uneven shards: [0,13) [13,26) [26,39) [39,40), and an empty one
    let sharded =
        [ for start, count in [ 0, 13; 13, 13; 26, 13; 39, 1; 40, 0 ] do
              yield! rows (Pipeline.scoreRange cfg torch.CPU graphs m start count) ]
    Assert.Equal(snap.NumUsers * 4, full.Length)
    Assert.Equal<(int * int * float32) list>(full, sharded)

[<Fact>]
let ``a range outside the users is an argument error`` () =
    let cfg0, snap = NnFacts.tinySnapshot ()
    let cfg = { cfg0 with Train = { cfg0.Train with MaxEpochs = 1; Device = "cpu" } }
    let graphs = Pipeline.splitGraphs snap
    let m = Pipeline.train cfg torch.CPU graphs (Action<EpochReport>(ignore)) CancellationToken.None
    Assert.Throws<ArgumentException>(fun () -> Pipeline.scoreRange cfg torch.CPU graphs m 35 10 |> Seq.length |> ignore) |> ignore
