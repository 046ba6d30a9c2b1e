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
    let init (device: torch.Device) (numUsers: int) (numItems: int) (dim: int) : Modules.Parameter * Modules.Parameter =
        let make n =
            use t = torch.empty ([| int64 n; int64 dim |], dtype = torch.float32)
            torch.nn.init.xavier_uniform_ (t) |> ignore
            new Modules.Parameter(t.``to`` (device), true)

        make numUsers, make numItems

    /// Final embeddings E = mean of layers 0..L. adj: Â [N, N]; users [U, d]; items [I, d] → [N, d].
    /// Intermediates belong to the caller's dispose scope. The layer sum is accumulated in place (neither the
    /// sum's nor the product's backward needs its inputs), so a forward pass holds L + 2 [N, d] buffers, not 2L + 2.
    let embed (adj: Propagator) (layers: int) (users: torch.Tensor) (items: torch.Tensor) : torch.Tensor =
        let e0 = torch.cat ([| users; items |], 0L) // [N, d]

        if layers = 0 then
            e0
        else
            let mutable cur = e0
            let acc = e0.clone ()

            for _ in 1..layers do
                cur <- adj.Apply cur // [N, d]
                addInPlace acc cur |> ignore

            divInPlace acc (float (layers + 1))
