namespace BatchRec.Core

open System
open TorchSharp
open BatchRec.Core.Eval
open BatchRec.Core.Train

/// The benchmark's lower bound for scoring (which adds masking, top-K, reasons and writing): the bare user × item
/// score product U·Iᵀ of the model's factors. Made once (factor tensors, one reused output buffer); each Run
/// computes U·Iᵀ and discards it, so a Run times the matrix products alone: no tensor creation, no fresh output
/// pages. Two shapes: `tiled` false, `chunk` users × all items per product into one [chunk × I] buffer, on
/// libtorch's threads; `tiled` true, the CPU scorer's own products (TopK.cpuProducts: each worker its blocks
/// of users × 1024 items into its own buffer, on the CPU only), i.e. the scorer without its selection.
type BareProduct =
    interface IDisposable

    /// The product with `tiled` false.
    new: device: torch.Device * m: TrainedModel * chunk: int -> BareProduct

    /// The product of m's factors on `device`, `chunk` users per product (`tiled` false) or the scorer's tiles (`tiled`
    /// true, CPU only). Throws ArgumentException for chunk ≤ 0, a model with an item–item part or no factors, and
    /// `tiled` off the CPU.
    new: device: torch.Device * m: TrainedModel * chunk: int * tiled: bool -> BareProduct

    /// Computes every product; returns the number of scores computed.
    member Run: unit -> int64
