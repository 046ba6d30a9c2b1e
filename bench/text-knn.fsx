// Cost of gat-text's text-neighbour graph by exact search (model.textNeighbours, Nn/TextKnn.fs, whatever
// search.exactBelow says; `batchrec bench-ann` measures the HNSW path): the k = 10 nearest items of every item by
// cosine similarity of 384-dim vectors, for catalogues of n items (random unit vectors: the cost depends on
// n and the dimension only). O(n² · 384) for the similarities, O(n² · k) at worst for the selection.
// Needs a Release build of the core tests (for the patched libtorch): dotnet build tests/BatchRec.Core.Tests -c Release
// then: dotnet fsi bench/text-knn.fsx [n ...] (from the repository root; default 9742 50000 100000)
#r "../tests/BatchRec.Core.Tests/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../tests/BatchRec.Core.Tests/bin/Release/net10.0/linux-x64/Cloud.Unum.USearch.dll"
#r "../tests/BatchRec.Core.Tests/bin/Release/net10.0/linux-x64/BatchRec.Core.dll"

open System
open TorchSharp
open BatchRec.Core.Nn

let sizes =
    match fsi.CommandLineArgs |> Array.skip 1 with
    | [||] -> [| 9742; 50000; 100000 |]
    | a -> Array.map int a

let dim, k = 384, 10

for n in sizes do
    let rng = Random(2020)
    let text = Array.init (n * dim) (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0))
    let has = Array.create n true
    let sw = Diagnostics.Stopwatch.StartNew()
    let src, _ = TextKnn.neighboursInBlocks (16 * 1024 * 1024) torch.CPU dim text has k

    printfn
        "n = %d items: %d neighbour pairs in %.1f s (%d threads)"
        n
        src.Length
        sw.Elapsed.TotalSeconds
        (torch.get_num_threads ())
