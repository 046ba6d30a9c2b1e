namespace BatchRec.Core.Train

open System.Threading
open TorchSharp

module TorchRandom =
    let private generator = new SemaphoreSlim(1, 1)

    let exclusive (seed: int64) (ct: CancellationToken) (f: unit -> 'T) : 'T =
        generator.Wait ct

        try
            torch.manual_seed seed |> ignore
            f ()
        finally
            generator.Release() |> ignore
