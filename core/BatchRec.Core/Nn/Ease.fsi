namespace BatchRec.Core.Nn

open TorchSharp
open BatchRec.Core.Graph

/// EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"), in closed form:
///
///     G = XᵀX (+ side information, below),   P = (G + λI)⁻¹,   B = I − P · diag(1 / diag P),   diag(B) = 0
///     score(u, j) = Σ_i X_ui · B_ij
///
/// X is the binary user × item matrix of the train split. B is dense, items × items, float32: fitting holds two
/// such matrices (the Cholesky factor of G + λI, then P; B is computed in P's place), so memory is 8 · I² bytes and
/// time O(I³) (a Cholesky factorisation and inverse on the device: LAPACK on the CPU, cuSOLVER on a GPU).
///
/// Side information (Jeunen et al. 2020, "Closed-form models for collaborative filtering with side-information"):
/// rows of item features F (features × items) appended to X with weight √w, X' = [X ; √w F], give
/// G' = XᵀX + w FᵀF. Items without interactions then get non-zero columns of B from their features alone, so
/// a new item can be ranked before anyone clicked it.
[<RequireQualifiedAccess>]
module Ease =
    /// Bytes a fit of `numItems` items holds at its peak: two dense numItems² float32 matrices (the factor and P).
    /// evaluates to: Ease.fitBytes 1000 = 8_000_000L
    val fitBytes: numItems: int -> int64

    /// The largest catalogue this implementation fits: 23,170 items, the most whose B (4 · I² bytes) fits one .NET span
    /// (2³¹ − 1 bytes), through which B is copied to managed memory and the model file. `gram` refuses more.
    val maxItems: int

    /// G = XᵀX of the binary rows of `x` (users × items; stored values are ignored, every entry counts 1), as a
    /// dense float32 [I, I] tensor on the CPU. O(Σ_u |x_u|²) in parallel over items, O(I²) memory.
    /// evaluates to: for x = [[1;1;0]; [0;1;1]], G = [[1;1;0]; [1;2;1]; [0;1;1]]
    val gram: x: Csr -> torch.Tensor

    /// g += w · FᵀF in place (the rows of F appended to X with weight √w), for the binary item × feature incidence
    /// `features` (items × features, e.g. genres): (FᵀF)_ij = the number of features items i and j share; g a CPU
    /// tensor. O(Σ_f |items of f|²). Throws ArgumentException when the incidence's rows are not g's items.
    val addFeatureGram: g: torch.Tensor -> features: Csr -> weight: float -> unit

    /// g += β · T Tᵀ in place for item vectors t [I, dt] on g's device (rows of items without a vector all zero): the
    /// dimensions of T appended to X as rows with weight √β. For unit-norm text vectors (TTᵀ)_ij is their cosine.
    /// Throws ArgumentException when t's rows are not g's items.
    val addTextGram: g: torch.Tensor -> t: torch.Tensor -> beta: float -> unit

    /// P = (G + λI)⁻¹ by Cholesky, consuming G (disposed once factored): G and its factor, then the factor and P are
    /// alive, never three items² matrices. Row-major. Throws ArgumentException for λ ≤ 0.
    val inverse: g: torch.Tensor -> lambda: float -> torch.Tensor

    /// B = −P / diag(P) column-wise with a zero diagonal, in P's memory (P is B afterwards); returns diag(P) [I].
    val ofInverse: p: torch.Tensor -> torch.Tensor

    /// The content map of a content-regularised EASE (a linear map from item features to EASE's columns, for items it
    /// has no interactions for): A = (I − λP)[:, warm] · F_warm · (F_warmᵀ F_warm + μI)⁻¹, [I, d_f], so the column of a
    /// new item j with features f_j is A f_j. It is the ridge regression min_A ‖(I − λP)[:, warm] − A F_warmᵀ‖² + μ‖A‖²:
    /// (I − λP) = (G + λI)⁻¹ G is EASE's item–item map without the zero-diagonal constraint (X · (I − λP)
    /// reconstructs X), and the regression maps the warm items' features onto their columns of it. Those columns are
    /// not B's (B's are scaled by 1 / (λ P_jj) against them), so new items' scores are on their own scale: μ is chosen
    /// on pseudo-new items ranked among themselves (Trainer), which does not calibrate them against the warm items. `p` = P (not B), `f` the
    /// features of every item [I, d_f] on P's device, `warm` the items with interactions. O(I · |warm| · d_f + d_f³).
    val contentMap: p: torch.Tensor -> lambda: float -> warm: int[] -> f: torch.Tensor -> mu: float -> torch.Tensor

    /// B for one λ from G, which it consumes: G + λI is factored in place of G (Cholesky, L Lᵀ), G is disposed, then
    /// P = (L Lᵀ)⁻¹ and B = −P / diag(P) column-wise with a zero diagonal, in P's memory, on G's device. At most two
    /// items² matrices are alive at once (L and P); about I³ floating-point operations. Throws ArgumentException for
    /// λ ≤ 0 (and libtorch's error if G + λI is not positive definite, which a Gram matrix plus λ > 0 always is).
    val fit: g: torch.Tensor -> lambda: float -> torch.Tensor
