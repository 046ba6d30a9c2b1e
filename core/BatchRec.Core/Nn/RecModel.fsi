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

    /// The trainable parameters (what the optimizer updates).
    abstract Parameters: Modules.Parameter array

    /// The full-graph forward pass; `training` switches dropout on.
    abstract Forward: training: bool -> ForwardPass

    /// The learned id tables: users [U, d], items [I, d].
    abstract IdUsers: torch.Tensor

    /// The learned item id table [I, d] (see IdUsers).
    abstract IdItems: torch.Tensor

/// Parameter initialisation shared by the models.
[<RequireQualifiedAccess>]
module internal Init =

    /// A trainable [rows, cols] parameter on `device`, Xavier-uniform (TorchSharp's global generator).
    val xavier: device: torch.Device -> rows: int -> cols: int -> Modules.Parameter

    /// A trainable zero parameter of the given shape on `device`.
    val zeros: device: torch.Device -> shape: int64 array -> Modules.Parameter

/// Two-layer perceptron x ↦ LeakyReLU(x W₁ + b₁) W₂ + b₂. With zeroLast, W₂ and b₂ start at zero, so a residual
/// `h + MLP(·)` starts as the identity and only moves away when the data asks for it.
[<Sealed>]
type Mlp =
    interface IDisposable

    /// W₁ [inDim, hidden] and W₂ [hidden, outDim] Xavier-uniform (W₂ zero with zeroLast), biases zero, on `device`.
    new: device: torch.Device * inDim: int * hidden: int * outDim: int * zeroLast: bool -> Mlp

    /// W₁, b₁, W₂, b₂.
    member Parameters: Modules.Parameter array

    /// [n, inDim] → [n, outDim].
    member Apply: x: torch.Tensor -> Tensor
