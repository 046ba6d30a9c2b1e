namespace BatchRec.Core.Nn

open System
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

type ForwardPass =
    {
        Users: torch.Tensor
        Items: torch.Tensor
        Layer0Users: torch.Tensor
        Layer0Items: torch.Tensor
    }

type IRecModel =
    inherit IDisposable
    abstract Parameters: Modules.Parameter[]
    abstract Forward: training: bool -> ForwardPass
    abstract IdUsers: torch.Tensor
    abstract IdItems: torch.Tensor

[<RequireQualifiedAccess>]
module internal Init =
    let xavier (device: torch.Device) (rows: int) (cols: int) =
        use t = torch.empty ([| int64 rows; int64 cols |], dtype = torch.float32)
        torch.nn.init.xavier_uniform_ (t) |> ignore
        new Modules.Parameter(t.``to`` (device), true)

    let zeros (device: torch.Device) (shape: int64[]) =
        new Modules.Parameter(torch.zeros (shape, dtype = torch.float32, device = device), true)

[<Sealed>]
type Mlp(device: torch.Device, inDim: int, hidden: int, outDim: int, zeroLast: bool) =
    let w1 = Init.xavier device inDim hidden
    let b1 = Init.zeros device [| int64 hidden |]

    let w2 =
        if zeroLast then
            Init.zeros device [| int64 hidden; int64 outDim |]
        else
            Init.xavier device hidden outDim

    let b2 = Init.zeros device [| int64 outDim |]
    member _.Parameters = [| w1; b1; w2; b2 |]

    member _.Apply(x: torch.Tensor) =
        torch.nn.functional.leaky_relu(x.mm (w1) .+ b1, 0.2).mm(w2) .+ b2

    interface IDisposable with
        member _.Dispose() =
            for p in [ w1; b1; w2; b2 ] do
                p.Dispose()
