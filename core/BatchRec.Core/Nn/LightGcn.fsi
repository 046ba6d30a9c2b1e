namespace BatchRec.Core.Nn

open TorchSharp

/// LightGCN (He et al., "LightGCN: Simplifying and Powering Graph Convolution Network for
/// Recommendation", SIGIR 2020): no feature transforms, no non-linearities, only propagation.
///
///     E⁽⁰⁾ = [E_users; E_items]            learned, [U+I, d], Xavier-uniform per table (as RecBole)
///     E⁽ᵏ⁺¹⁾ = Â E⁽ᵏ⁾                      Â = D^{-1/2} A D^{-1/2} (Normalize.symmetric), sparse [N, N] (SpMM)
///     E = 1/(L+1) · Σ_{k=0..L} E⁽ᵏ⁾        [N, d]
///     ŷ(u, i) = e_u · e_i
///
/// Arguments: dim d (default 64), layers L (default 3).
[<RequireQualifiedAccess>]
module LightGcn =

    /// The layer-0 tables as trainable parameters: users [U, d], items [I, d].
    /// Draws from TorchSharp's global generator: seed it (torch.manual_seed) first.
    val init:
        device: torch.Device -> numUsers: int -> numItems: int -> dim: int -> Modules.Parameter * Modules.Parameter

    /// Final embeddings E = mean of layers 0..L. adj: Â [N, N]; users [U, d]; items [I, d] → [N, d].
    /// Intermediates belong to the caller's dispose scope. The layer sum is accumulated in place (neither the
    /// sum's nor the product's backward needs its inputs), so a forward pass holds L + 2 [N, d] buffers, not 2L + 2.
    val embed: adj: Propagator -> layers: int -> users: torch.Tensor -> items: torch.Tensor -> torch.Tensor
