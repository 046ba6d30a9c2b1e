namespace BatchRec.Core.Nn

open System
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

/// What a forward pass gives: every user's and item's final embedding (score = dot product), users [U, d] and items
/// [I, d], and their layer-0 features, the rows RecBole's EmbLoss penalises: for LightGCN and BPR-MF the id tables,
/// for the GAT the fused id + text features, so the text path is regularised like the ids. Intermediates of the
/// pass belong to the caller's dispose scope.
type ForwardPass =
    {
        Users: torch.Tensor
        Items: torch.Tensor
        Layer0Users: torch.Tensor
        Layer0Items: torch.Tensor
    }

/// A trainable recommender: parameters, and a full-graph forward pass.
type IRecModel =
    inherit IDisposable
    abstract Parameters: Modules.Parameter[]
    /// The full-graph forward pass; `training` switches dropout on.
    abstract Forward: training: bool -> ForwardPass
    /// The learned id tables: users [U, d], items [I, d].
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

/// Two-layer perceptron x ↦ LeakyReLU(x W₁ + b₁) W₂ + b₂. With zeroLast, W₂ and b₂ start at zero, so a residual
/// `h + MLP(·)` starts as the identity and only moves away when the data asks for it.
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

    /// [n, inDim] → [n, outDim].
    member _.Apply(x: torch.Tensor) =
        torch.nn.functional.leaky_relu(x.mm (w1) .+ b1, 0.2).mm(w2) .+ b2

    interface IDisposable with
        member _.Dispose() =
            for p in [ w1; b1; w2; b2 ] do
                p.Dispose()
