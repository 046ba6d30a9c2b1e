namespace BatchRec.Core.Nn

open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

/// TorchSharp's tensor type, abbreviated.
type Tensor = torch.Tensor

/// Conversions between the core's arrays and TorchSharp tensors, and the device choice.
[<RequireQualifiedAccess>]
module Tensors =

    /// The device for a preference: cpu, cuda (fails if no CUDA device is visible) or auto (CUDA when TorchSharp
    /// sees one, else CPU). Called once by the shell, then passed down.
    val chooseDevice: preference: DeviceChoice -> torch.Device

    /// An int64 index tensor on `device`. Shape [n].
    val indices: device: torch.Device -> xs: int array -> Tensor

    /// A sparse COO float32 tensor [Rows, Cols] holding the CSR matrix `m` on `device`. Its indices are in
    /// coalesced order, but TorchSharp has no way to mark it so: libtorch coalesces it again when it needs to.
    val sparse: device: torch.Device -> m: Csr -> Tensor

    /// A float32 tensor's values in row-major order, copied to the CPU. Reads the contiguous storage as one
    /// span (TorchSharp's element accessor is far slower).
    val toArray: t: Tensor -> float32 array

/// Tensor arithmetic whose scalar operands stay reachable until libtorch has read them. TorchSharp 0.107 turns a
/// number (and the implicit alpha = 1 of `a + b` and `a - b`) into a Scalar object whose finalizer frees the native
/// value, and nothing keeps that object alive during the native call: a garbage collection triggered on another
/// thread can free it while libtorch reads it. We saw it twice in long trainings under memory pressure, as
/// "Expected false to be true ... toFloat (Scalar.h)" from an add. The training and propagation code uses these
/// operators instead of + - * / with implicit Scalars: `a .+ b`, `a .- b`, `t .* 0.5`, `t ./ 4.0`.
[<AutoOpen>]
module Ops =

    /// alpha = 1, rooted for the life of the process (a module value is a static field).
    val one: Scalar

    /// a + b (tensors, broadcasting).
    val (.+): a: Tensor -> b: Tensor -> Tensor

    /// a - b (tensors, broadcasting).
    val (.-): a: Tensor -> b: Tensor -> Tensor

    /// t · v for a number v.
    val (.*): t: Tensor -> v: float -> Tensor

    /// t / v for a number v.
    val (./): t: Tensor -> v: float -> Tensor

    /// a += b in place.
    val addInPlace: a: Tensor -> b: Tensor -> Tensor

    /// t /= v in place.
    val divInPlace: t: Tensor -> v: float -> Tensor
