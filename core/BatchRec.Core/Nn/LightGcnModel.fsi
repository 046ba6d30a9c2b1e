namespace BatchRec.Core.Nn

open System
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

/// LightGCN (layers ≥ 1) and BPR-MF (layers = 0: the id tables are the embeddings).
[<Sealed>]
type LightGcnModel =
    interface IDisposable
    interface IRecModel

    /// Id tables [numUsers, dim] and [numItems, dim] (LightGcn.init); `adj` Â over the users and items (None,
    /// or layers = 0: BPR-MF, the tables are the embeddings).
    new:
        device: torch.Device * adj: Propagator option * numUsers: int * numItems: int * dim: int * layers: int ->
            LightGcnModel
