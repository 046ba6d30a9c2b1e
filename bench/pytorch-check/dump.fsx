// Writes what bench/pytorch-check/*.py need from a finished run of the sample (see bench/README.md):
//   split.txt   "users items", then one "user item split" line per interaction (0 train, 1 valid, 2 test)
//   initU.bin, initI.bin   LightGCN's initial tables as the trainer draws them for SEED (float32, row-major)
//   draws.bin   the train pairs (users, items: int32), then per epoch the trainer's shuffled users, positives and
//               negatives (int32), for EPOCHS epochs, from the trainer's generator (Xoshiro256) or, with
//               "legacy", from System.Random(SEED) as the trainer drew before
// Needs a Release build of the host: dotnet build host/BatchRec.Host -c Release
// Usage: dotnet fsi bench/pytorch-check/dump.fsx RUN_FOLDER SEED EPOCHS OUT_DIR [legacy]
#r "../../host/BatchRec.Host/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../../host/BatchRec.Host/bin/Release/net10.0/linux-x64/BatchRec.Core.dll"
#r "../../host/BatchRec.Host/bin/Release/net10.0/linux-x64/BatchRec.Jobs.dll"

open System
open System.IO
open System.Runtime.InteropServices
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Train

let args = fsi.CommandLineArgs
let runDir, seed, epochs, outDir = args.[1], int args.[2], int args.[3], args.[4]
let legacy = args.Length > 5 && args.[5] = "legacy"
Directory.CreateDirectory outDir |> ignore

let s =
    BatchRec.Jobs.Store.SnapshotStore
        .ReadAsync(Path.Combine(runDir, "snapshot"), Threading.CancellationToken.None)
        .Result

do
    use w = new StreamWriter(Path.Combine(outDir, "split.txt"))
    w.WriteLine(sprintf "%d %d" s.NumUsers s.NumItems)

    for e in 0 .. s.Interactions.Count - 1 do
        w.WriteLine(sprintf "%d %d %d" s.Interactions.Users.[e] s.Interactions.Items.[e] (int s.Splits.[e]))

let g = SplitGraphs.ofSnapshot s
// the trainer's order of draws (Trainer.epochLoop): seed libtorch, then the model's initialisation, then per epoch
// Trainer.epochDraws (a Fisher-Yates shuffle of the train pairs and one negative per pair)
torch.manual_seed (int64 seed) |> ignore
let rng: Random = if legacy then Random(seed) else Xoshiro256(int64 seed)
let users, items = LightGcn.init torch.CPU s.NumUsers s.NumItems 64

let bytes (a: 'T[]) =
    MemoryMarshal.AsBytes(ReadOnlySpan<'T>(a)).ToArray()

File.WriteAllBytes(Path.Combine(outDir, "initU.bin"), bytes (Tensors.toArray users))
File.WriteAllBytes(Path.Combine(outDir, "initI.bin"), bytes (Tensors.toArray items))
let posU, posI, _ = Csr.toEdges g.Train
let n = posU.Length
let order = Array.init n id

do
    use w = new BinaryWriter(File.Create(Path.Combine(outDir, "draws.bin")))
    w.Write(bytes posU)
    w.Write(bytes posI)

    for _ in 1..epochs do
        let us, ps, ns = Trainer.epochDraws rng g.Train posU posI order
        w.Write(bytes us)
        w.Write(bytes ps)
        w.Write(bytes ns)

printfn
    "%d users, %d items, %d train pairs, %d epochs of draws (%s) in %s"
    s.NumUsers
    s.NumItems
    n
    epochs
    (if legacy then "System.Random" else "Xoshiro256")
    outDir
