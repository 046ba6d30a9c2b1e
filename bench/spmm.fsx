// Propagation micro-benchmark on the sample graph: libtorch COO sparse mm vs the core CSR kernel.
// Needs a Release build of the core tests (for the patched libtorch): dotnet build tests/BatchRec.Core.Tests -c Release
// then: dotnet fsi bench/spmm.fsx (from the repository root, with ../shared beside it)
#r "../tests/BatchRec.Core.Tests/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../tests/BatchRec.Core.Tests/bin/Release/net10.0/linux-x64/BatchRec.Core.dll"

open System
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn

let lines =
    IO.File.ReadAllLines(IO.Path.Combine(__SOURCE_DIRECTORY__, "../../shared/data/ml-latest-small/ratings.csv"))
    |> Array.skip 1

let rows = lines |> Array.map (fun l -> let p = l.Split(',') in p.[0], p.[1])
let um = IdMap.ofIds (rows |> Seq.map fst)
let im = IdMap.ofIds (rows |> Seq.map snd)
let us = rows |> Array.map (fun (u, _) -> (um.TryIndex u).Value)
let is = rows |> Array.map (fun (_, i) -> (im.TryIndex i).Value)
let a = Bipartite.adjacency um.Count im.Count us is |> Normalize.symmetric
let coo = Tensors.sparse torch.CPU a
let prop = Propagator.Create(torch.CPU, a)
let x = torch.randn (int64 (um.Count + im.Count), 64L)

let time name n f =
    f ()
    let sw = Diagnostics.Stopwatch.StartNew()

    for _ in 1..n do
        f ()

    printfn "%s: %.2f ms" name (sw.Elapsed.TotalMilliseconds / float n)

time "libtorch COO spmm" 30 (fun () -> use s = torch.NewDisposeScope() in coo.mm (x) |> ignore)
time "core CSR SpMM" 30 (fun () -> use s = torch.NewDisposeScope() in prop.Apply(x) |> ignore)
let xg = x.clone().requires_grad_(true)

time "COO 3 layers fwd+bwd" 20 (fun () ->
    use s = torch.NewDisposeScope() in coo.mm(coo.mm (coo.mm (xg))).sum().backward())

time "core 3 layers fwd+bwd" 20 (fun () ->
    use s = torch.NewDisposeScope() in prop.Apply(prop.Apply(prop.Apply(xg))).sum().backward())
