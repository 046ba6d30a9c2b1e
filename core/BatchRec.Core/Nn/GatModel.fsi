namespace BatchRec.Core.Nn

open System
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph

/// The seed's model: GAT over the user–item–attribute graph, optionally fused with language-model text.
///
///     layer 0   users       x_u = e_u (+ P_u t_u when users.text is given)
///               items       x_i = m_i e_i + P t_i + F([m_i e_i ; P t_i])            (gat-text, model.fusion mlp;
///                                                                                  add: without F; gat: x_i = m_i e_i)
///               attributes  x_a = e_a
///     layers    X⁽ᵏ⁺¹⁾ = A(α) X⁽ᵏ⁾,  α = GatLayer coefficients scored from X⁽⁰⁾     (k = 0..L-1)
///     combine   X̄ = 1/(L+1) Σ_k X⁽ᵏ⁾
///     final     h = X̄ + G([X⁽⁰⁾ ; 1/L Σ_{k≥1} X⁽ᵏ⁾])                              (the seed's MLP(concat(self, neighbourhood)))
///     score     ŷ(u, i) = ⟨h_u, h_i⟩
///
/// e are learned id embeddings, t the frozen MiniLM vectors, P a learned projection, F and G two-layer MLPs whose
/// last layer starts at zero (residual), m_i an id mask: 0 for items with no training interaction (their vector
/// then comes from text and attribute edges alone: cold start), and during training also 0 with probability
/// model.idDropout, so that text has to carry items on its own. The attention is scored once per forward pass, from
/// the layer-0 features (id and text), and shared by all L propagation steps: one attention instead of L costs a
/// third on the sample's 3 layers (the attention is the expensive part on the CPU), and it ties the neighbour
/// weights to what the nodes are (their ids and text) rather than to already-smoothed embeddings. With model.layerMlp (ablation only) every layer is
/// X⁽ᵏ⁺¹⁾ = LeakyReLU([X⁽ᵏ⁾ ; A(α) X⁽ᵏ⁾] W_k + b_k), the seed's formula read literally.
[<Sealed>]
type GatModel =
    interface IDisposable
    interface IRecModel

    /// The model over `graph` on `device` with cfg's dimension, layers, heads and MLP options; `useText` (gat-text) adds the
    /// item text path from `features`, `warmItems` the items with training interactions.
    new:
        device: torch.Device *
        cfg: ModelConfig *
        graph: HeteroGraph *
        features: NodeFeatures *
        useText: bool *
        warmItems: bool array ->
            GatModel

    /// The graph's pattern on the device (what Forward propagates over).
    member Edges: EdgeSet

    /// The graph this model propagates over (its Norm is what NeighbourSampling samples).
    member Graph: HeteroGraph

    /// Mini-batch forward pass over sampled blocks (Graph.NeighbourSampling) for the sample's seeds S_L, in the
    /// order given: returns (h [|S_L|, d], X⁽⁰⁾[S_L] [|S_L|, d]), the final embeddings and the layer-0 features of
    /// the seeds (what the EmbLoss penalises). With B_k the k-th block (rows S_k, columns S_{k-1}, local indices):
    ///
    ///     X⁽⁰⁾[S_0]   = Features0(S_0)                                  (only S_0's rows of every table are read)
    ///     X⁽ᵏ⁾[S_k]   = A_k X⁽ᵏ⁻¹⁾[S_{k-1}],   k = 1..L
    ///     A_k[i, j]   = B_k[i, j] = Â_ij · deg_i / k_i                  (model.attention false)
    ///     A_k[i, j]   = (Σ_{j' ∈ N(i)} Â_ij') · (1/H) Σ_h softmax_{j ∈ N_s(i)}(LeakyReLU(⟨x_i, a_src^h⟩ + ⟨x_j, a_dst^h⟩
    ///                   + c^h w_ij) + log Â_ij)                          (model.attention true; x = X⁽⁰⁾)
    ///     X̄[S_L]      = 1/(L+1) Σ_k X⁽ᵏ⁾[S_L]                             (S_L is a prefix of every S_k)
    ///     h           = X̄ + G([X⁽⁰⁾ ; 1/L Σ_{k≥1} X⁽ᵏ⁾])[S_L]            (model.finalMlp), else X̄
    ///
    /// Without attention each layer's row is an unbiased estimate of the full row Σ_j Â_ij x_j; the layers compose
    /// estimates, so the deeper terms are unbiased given the sampled inputs but their product is not exactly the
    /// full-graph value (as in GraphSAGE/DGL training). With attention the softmax is over the sampled
    /// neighbourhood with the full row's mass: a self-normalised (consistent, slightly biased) estimate. Whenever
    /// k_i = deg_i for every node (fan-out ≥ max degree) both equal the full-graph Forward exactly. Edge dropout
    /// (model.dropout) drops block entries as Forward drops graph entries.
    ///
    /// Products: BlockProduct (a CSR kernel with its own backward on the CPU, libtorch gather–scatter elsewhere).
    /// Memory: O(Σ_k nnz(B_k) · d + |S_0| · (d + TextDim)) activations; since nnz(B_k) ≤ |S_k| f_k and
    /// |S_{k-1}| ≤ |S_k| (1 + f_k), that is O(|S_L| · Π_k (1 + f_k) · d), whatever the graph's size, plus the
    /// parameter tables and their gradients (the id tables' gradients are dense [N, d]: index_select's backward).
    /// Throws ArgumentException naming `sample` when its block count is not model.layers.
    member ForwardSampled: training: bool * sample: SampledBlocks -> torch.Tensor * torch.Tensor

    /// The learned projection P of the item text vectors [TextDim, d] (gat-text), for tests.
    member TextProjection: Modules.Parameter option
