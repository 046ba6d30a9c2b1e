namespace BatchRec.Core

open System
open TorchSharp
open BatchRec.Core.Eval
open BatchRec.Core.Train

type BareProduct(device: torch.Device, m: TrainedModel, chunk: int, tiled: bool) =
    do
        if chunk <= 0 then
            invalidArg "chunk" (sprintf "must be > 0, got %d" chunk)

    do
        if m.Dim = 0 || m.ItemWeights.Length > 0 then
            invalidArg "m" (sprintf "the bare product is for factor models; '%s' has an item–item part" m.Kind)

    do
        if tiled && device.``type`` <> DeviceType.CPU then
            invalidArg "tiled" "the scorer's tiled products run on the CPU"

    let ue, ie = Pipeline.factorTensors device m
    let it = ie.t ()
    let numUsers = int ue.shape.[0]

    let out =
        torch.empty ([| int64 (max 1 (min chunk numUsers)); ie.shape.[0] |], dtype = torch.float32, device = device)

    new(device, m, chunk) = new BareProduct(device, m, chunk, false)

    member _.Run() : int64 =
        if tiled then
            TopK.cpuProducts ue ie
        else
            let mutable n = 0L

            for s in 0..chunk .. numUsers - 1 do
                let rows = int64 (min chunk (numUsers - s))
                use o = out.narrow (0L, 0L, rows)
                use u = ue.narrow (0L, int64 s, rows)
                o.addmm_ (u, it, beta = 0.0f, alpha = 1.0f) |> ignore
                n <- n + o.numel ()

            n

    interface IDisposable with
        member _.Dispose() =
            out.Dispose()
            it.Dispose()
            ue.Dispose()
            ie.Dispose()
