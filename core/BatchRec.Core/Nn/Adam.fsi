namespace BatchRec.Core.Nn

open System
open TorchSharp

/// Adam (Kingma & Ba, 2015) for the trainer, without weight decay or AMSGrad: per parameter p with gradient g, at
/// step t,
///
///     m ← β₁ m + (1 − β₁) g          v ← β₂ v + (1 − β₂) g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// with the same operations, in the same order and on the same numbers as TorchSharp 0.107's torch.optim.Adam
/// (β₁ 0.9, β₂ 0.999, ε 1e-8), so a training run gives the same parameters bit for bit (a test checks it). It exists
/// because that optimizer turns each of those numbers into a temporary Scalar that nothing keeps alive during the
/// native call (see Ops): a garbage collection on another thread can free one while libtorch reads it. Here every
/// Scalar of a step is bound until the step ends; the moments belong to the optimizer (no dispose scope) until Dispose.
[<Sealed>]
type RootedAdam =
    interface IDisposable

    /// Adam over `parameters` with learning rate `lr` and β₁ 0.9, β₂ 0.999, ε 1e-8 unless given.
    new: parameters: Modules.Parameter seq * lr: float * ?beta1: float * ?beta2: float * ?eps: float -> RootedAdam

    /// Steps taken so far by parameter i.
    member Steps: i: int -> int64

    /// Sets every parameter's gradient (where it has one) to zero.
    member ZeroGrad: unit -> unit

    /// One update of every parameter that has a gradient, under no_grad; the step's intermediates are disposed.
    member Step: unit -> unit
