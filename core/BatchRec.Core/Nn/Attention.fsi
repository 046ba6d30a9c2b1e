namespace BatchRec.Core.Nn

open System
open System.Numerics
open System.Runtime.InteropServices
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop
open TorchSharp
open BatchRec.Core.Graph

/// A CSR pattern with a symmetric structure (values travel separately), and each entry's mirror position.
type internal PatternOperand =

    new: m: Csr * transpose: int array -> PatternOperand

    member Csr: Csr

    member Transpose: int array

/// Y = A(v) X for a CSR pattern with per-entry values v that carry gradients (attention coefficients).
///
///     forward   Y[r, :]  = Σ_{p ∈ row r} v[p] · X[col p, :]
///     backward  ∂v[p]    = ⟨∂Y[row p, :], X[col p, :]⟩
///               ∂X[c, :] = Σ_{p : col p = c} v[p] · ∂Y[row p, :] = Σ_{q ∈ row c} v[T q] · ∂Y[col q, :]
///
/// where T is the mirror-position map (the pattern is symmetric, so row c of the pattern lists exactly the rows
/// that have an entry in column c). CPU: vectorised Parallel.For kernels over tensor memory, O(nnz · d) each.
[<RequireQualifiedAccess>]
module WeightedSpMM =

    /// Y[r] = Σ_{p ∈ row r} v[perm p] · X[col p] (perm = None: identity). v [nnz], X [N, d] → Y [N, d].
    val internal multiply: m: Csr -> perm: int array option -> v: torch.Tensor -> x: torch.Tensor -> torch.Tensor

    /// g[p] = ⟨gy[row p], x[col p]⟩ for every entry. → [nnz].
    val internal edgeDots: m: Csr -> gy: torch.Tensor -> x: torch.Tensor -> torch.Tensor

/// Autograd node for WeightedSpMM on the CPU: inputs (pattern operand, values [nnz], X [N, d]).
type internal WeightedSpMMFunction =
    inherit torch.autograd.SingleTensorFunction<WeightedSpMMFunction>

    new: unit -> WeightedSpMMFunction

    override Name: string

    override forward: ctx: torch.autograd.AutogradContext * vars: obj array -> torch.Tensor

    override backward:
        ctx: torch.autograd.AutogradContext * grad: torch.Tensor -> Collections.Generic.List<torch.Tensor>

/// A rectangular CSR pattern B [R, C] (a sampled block) with its transpose, for the block product's backward pass.
/// The transpose is built by a counting sort over columns, O(nnz + C): batch-sized, never graph-sized.
type internal BlockOperand =

    new: m: Csr -> BlockOperand

    member Csr: Csr

    member Transposed: Csr

    member Perm: int32 array

/// Autograd node for Y = B(v) X with a rectangular block B [R, C] on the CPU: inputs (BlockOperand, v [nnz],
/// X [C, d]) → Y [R, d].
///
///     forward   Y[r, :]  = Σ_{p ∈ row r} v[p] · X[col p, :]
///     backward  ∂X       = B(v)ᵀ ∂Y   (the transposed pattern, values v[perm q]),   ∂v[p] = ⟨∂Y[row p, :], X[col p, :]⟩
///
/// ∂v is computed only when v requires a gradient (attention); O(nnz · d) each way.
type internal BlockSpMMFunction =
    inherit torch.autograd.SingleTensorFunction<BlockSpMMFunction>

    new: unit -> BlockSpMMFunction

    override Name: string

    override forward: ctx: torch.autograd.AutogradContext * vars: obj array -> torch.Tensor

    override backward:
        ctx: torch.autograd.AutogradContext * grad: torch.Tensor -> Collections.Generic.List<torch.Tensor>

/// The product of a sampled block with the previous layer's rows.
[<RequireQualifiedAccess>]
module BlockProduct =

    /// Y = B(v) X for a block B [R, C] (local indices; `rows`, `cols` its entries' row and column as int64
    /// tensors), entry values v [nnz] and X [C, d] → [R, d], differentiable in v and X. `kernels` on the CPU: the
    /// CSR kernels (BlockSpMMFunction); otherwise gather–scale–scatter with libtorch's autograd (any device).
    /// O(nnz · d). Result in the caller's dispose scope.
    val apply:
        kernels: bool ->
        m: Csr ->
        rows: torch.Tensor ->
        cols: torch.Tensor ->
        v: torch.Tensor ->
        x: torch.Tensor ->
            torch.Tensor

/// The fused attention of GatLayer on the CPU, as one autograd node. For entry p = (r → col p), head k:
///
///     pre[p,k] = s[r,k] + t[col p,k] + c[k] · w[p]
///     z[p,k]   = LeakyReLU_0.2(pre[p,k]) + logPrior[p]
///     a[p,k]   = softmax of z[·,k] over row r's entries (shifted by the row max)
///
/// backward, from ∂a:  ∂z = a ⊙ (∂a − Σ_row a ⊙ ∂a);  ∂pre = ∂z · (pre > 0 ? 1 : 0.2);
///     ∂s[r,k] = Σ_{p ∈ row r} ∂pre[p,k];  ∂t[j,k] = Σ_{q ∈ row j} ∂pre[T q,k] (mirror positions);  ∂c[k] = Σ_p ∂pre[p,k] w[p]
/// O(nnz · H) each way, parallel over rows.
[<RequireQualifiedAccess>]
module internal AttentionKernel =

    /// The coefficients a [nnz·H] (entry-major) for s, t [N, H] and c [H] on the CPU.
    val forward:
        m: Csr ->
        w: float32 array ->
        logPrior: float32 array ->
        s: torch.Tensor ->
        t: torch.Tensor ->
        c: torch.Tensor ->
            float32 array

    /// (∂s, ∂t, ∂c) as arrays [N·H], [N·H], [H].
    val backward:
        m: Csr ->
        transpose: int array ->
        w: float32 array ->
        s: float32 array ->
        t: float32 array ->
        c: float32 array ->
        a: float32 array ->
        ga: float32 array ->
        h: int ->
            float32 array * float32 array * float32 array

/// Holds what the attention node needs besides its tensor inputs.
type internal AttentionOperand =

    new: m: Csr * transpose: int array * weight: float32 array * logPrior: float32 array -> AttentionOperand

    member Csr: Csr

    member Transpose: int array

    member Weight: float32 array

    member LogPrior: float32 array

/// Autograd node for AttentionKernel: inputs (operand, s [N, H], t [N, H], c [H]) → a [nnz, H].
type internal AttentionFunction =
    inherit torch.autograd.SingleTensorFunction<AttentionFunction>

    new: unit -> AttentionFunction

    override Name: string

    override forward: ctx: torch.autograd.AutogradContext * vars: obj array -> torch.Tensor

    override backward:
        ctx: torch.autograd.AutogradContext * grad: torch.Tensor -> Collections.Generic.List<torch.Tensor>

/// Softmax over the entries of each row of a CSR pattern (any shape, square or rectangular).
[<RequireQualifiedAccess>]
module RowSoftmax =

    /// a[p, k] = exp(z[p, k] − m[r, k]) / Σ_{q ∈ row r} exp(z[q, k] − m[r, k]) for logits z [nnz, H] on the
    /// entries of `m` (row-major), `rows` [nnz] int64 the row of each entry, m[r, k] the row max of the detached
    /// logits (computed on the host: this TorchSharp has no scatter_reduce), so exp never overflows and the row's
    /// largest term is exactly 1 (no underflow of a whole row). Every non-empty row sums to 1 per head.
    /// Differentiable in z (the shift is a constant, which a softmax ignores). O(nnz · H).
    val apply: m: Csr -> rows: torch.Tensor -> z: torch.Tensor -> torch.Tensor

/// A HeteroGraph's pattern on one device, ready for attention: entry rows/cols as index tensors, the prior Â,
/// the edge weights, and the product Y = A(v) X.
/// `kernels`: use the CPU kernels (only possible on the CPU); otherwise libtorch's own operations, which run on
/// any device (what CUDA uses).
[<Sealed>]
type EdgeSet =
    interface IDisposable

    /// The CPU kernels on the CPU, libtorch operations elsewhere.
    new: device: torch.Device * g: HeteroGraph -> EdgeSet

    /// The pattern of `g` on `device`; `kernels` true uses the CPU kernels when the device is the CPU.
    new: device: torch.Device * g: HeteroGraph * kernels: bool -> EdgeSet

    /// The edge weight w per entry, [nnz].
    member Weight: torch.Tensor

    /// log Â per entry, [nnz].
    member LogPrior: torch.Tensor

    /// The graph whose pattern this is.
    member Graph: HeteroGraph

    /// Number of nodes (Graph.Nodes).
    member Nodes: int

    /// Number of stored entries (both directions of every edge).
    member Nnz: int

    /// Source (row) node of each entry, [nnz] int64.
    member Rows: Tensor

    /// Target (column) node of each entry, [nnz] int64.
    member Cols: Tensor

    /// Â per entry, [nnz].
    member Prior: torch.Tensor

    /// Σ_j Â_rj of each entry's row r, [nnz].
    member RowScale: torch.Tensor

    /// Y = A(v) X, differentiable in v and X. v [nnz], X [N, d] → [N, d]. Result in the caller's dispose scope.
    member Propagate: v: torch.Tensor * x: torch.Tensor -> torch.Tensor

    /// GatLayer's attention a [nnz, H] from per-node scores s, t [N, H] and edge-weight coefficients c [H]:
    /// a = row-softmax(LeakyReLU(s[row] + t[col] + c·w) + log Â). Differentiable in s, t and c.
    member Attention: s: torch.Tensor * t: torch.Tensor * c: torch.Tensor -> torch.Tensor

    /// Softmax of logits z [nnz, H] over each row's entries (each node's neighbourhood): every non-empty row's
    /// coefficients sum to 1 per head. Differentiable; shifts by the row max for stability.
    member RowSoftmax: z: torch.Tensor -> torch.Tensor

/// One attention-weighted propagation step (the GAT layer without a per-layer transform).
///
/// For each stored edge p = (i → j) of the user–item–attribute graph (i aggregates from its neighbour j), head h:
///
///     z_p^h = LeakyReLU_0.2( ⟨x_i, a_src^h⟩ + ⟨x_j, a_dst^h⟩ + c^h · w_ij ) + log Â_ij
///     a_p^h = exp(z_p^h) / Σ_{q ∈ N(i)} exp(z_q^h)                       (softmax over i's neighbourhood: Σ_j a_ij^h = 1)
///     α_ij  = (Σ_{j'} Â_ij') · (1/H) Σ_h a_ij^h                           (heads averaged, scaled to LightGCN's row mass)
///     y_i   = Σ_{j ∈ N(i)} α_ij x_j
///
/// Â = D^{-1/2} A D^{-1/2} is LightGCN's normalised adjacency and w_ij the edge weight (model.edgeWeight). The
/// seed's formula scores neighbours from both endpoints and the edge weight and normalises with a softmax; we keep
/// that and add log Â as a prior inside the softmax and the row-mass rescale, so that with a_src = a_dst = 0 and
/// c = 0 (the initialisation) α = Â exactly: the layer starts as LightGCN's propagation and attention can only
/// re-distribute each node's mass among its neighbours. Without the prior a softmax is a plain mean over
/// neighbours, which drops LightGCN's degree normalisation (and its 1/√deg damping of popular neighbours) and
/// trained worse. Heads are averaged (as GAT's output layer does) rather than concatenated, so the product stays
/// one sparse-dense multiply. No weight matrix, no non-linearity on x: per-layer transforms hurt collaborative
/// filtering (LightGCN paper; the ablation in bench/README.md).
[<RequireQualifiedAccess>]
module GatLayer =

    /// Attention coefficients a [nnz, H] for node features x [N, d], attention vectors wa [d, 2H] (a_src | a_dst)
    /// and edge-weight coefficients c [H].
    val attention: edges: EdgeSet -> wa: torch.Tensor -> c: torch.Tensor -> x: torch.Tensor -> torch.Tensor

    /// Propagation coefficients α [nnz] from attention a [nnz, H].
    val coefficients: edges: EdgeSet -> a: torch.Tensor -> torch.Tensor
