namespace BatchRec.Core.Train

open System
open System.Diagnostics
open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval

/// What the trainer reports after each epoch (the shell logs it).
type EpochReport =
    {
        Epoch: int
        Loss: float
        Seconds: float

        /// The early-stopping metric on validation, when this epoch was evaluated.
        Valid: float option
        Improved: bool
    }

/// One setting a model tried while training (an EASE λ, a blend weight) and its score (eval.stopMetric@stopK) on
/// Split: "valid" (the validation split), or "pseudo-new" (EASE's content ridge: warm items held out of the train
/// split, since new items have nothing to validate on); for the log and the metrics table.
type TuningPoint =
    {
        Setting: string
        Split: string
        Valid: float
        Seconds: float
    }

/// A trained model, row-major float32 on the CPU: score(u, j) = ⟨UserFactors_u, ItemFactors_j⟩ + Σ_{i ∈ H(u)} W[i, j]
/// where W = ItemWeights ([NumItems × NumItems], row i = what history item i adds to every item; empty = no
/// item–item part) and H(u) the user's items (the train split in evaluation, every interaction in scoring). Dim may
/// be 0 (EASE alone: no factors).
type TrainedModel =
    {
        Kind: string
        NumUsers: int
        NumItems: int
        Dim: int
        UserFactors: float32 array
        ItemFactors: float32 array
        ItemWeights: float32 array
        BestEpoch: int
        EpochsRun: int
        BestValid: float
        StoppedEarly: bool
        SecondsPerEpoch: float

        /// The settings tried and their validation scores, in order (empty for models that tune nothing).
        Tuning: TuningPoint list
    }

/// The per-user item sets derived from a snapshot's split (user × item CSRs, binary unless said otherwise).
type SplitGraphs =
    {
        Train: Csr

        /// Train with each pair's raw interaction weights summed (the GAT's edge weights).
        TrainWeighted: Csr
        Valid: Csr
        Test: Csr

        /// train ∪ valid: what test ranking excludes.
        TrainValid: Csr

        /// everything the user interacted with (held-out cold items included): what scoring excludes.
        All: Csr

        /// eval.mode cold-items: the held-out items' interactions (empty otherwise).
        Cold: Csr

        /// eval.mode cold-items: which items are held out (all false otherwise).
        HeldOut: bool array
    }

/// Building the SplitGraphs.
[<RequireQualifiedAccess>]
module SplitGraphs =

    /// O(E log E).
    val ofSnapshot: s: Snapshot -> SplitGraphs

/// BPR training with RecBole's loss, full-graph propagation per batch and early stopping, for every trainable
/// model kind (bpr-mf, lightgcn, gat, gat-text); popularity is counted, not trained.
///
/// With train.fanout [f_1..f_L] (gat, gat-text) each batch instead propagates over sampled blocks only: seeds =
/// distinct(batch users ∪ U+positives ∪ U+negatives), blocks from NeighbourSampling.sample (a Random seeded from
/// train.seed, separate from the shuffling one), GatModel.ForwardSampled for the seeds' embeddings and layer-0
/// rows, the same loss. Training memory is then bounded by B_seeds · Π (1 + f_l) · d activations plus the parameter
/// tables, their gradients and Adam's two moments for them (O(N · d) each, as in any embedding model), not by the
/// graph's nnz · d per layer. Validation, early stopping and the final embeddings still use the exact full-graph
/// Forward under no_grad (no autograd graph: O(N · d) per layer).
///
///     L = −mean_b log σ(ŷ(u,i⁺) − ŷ(u,i⁻)) + λ · (‖e_u‖ + ‖e_{i⁺}‖ + ‖e_{i⁻}‖) / B
///
/// (RecBole's EmbLoss without the power: Frobenius norms of the batch's rows of the layer-0 features, divided by
/// the batch size B: the id tables for LightGCN and BPR-MF, the fused id + text features for the GAT.) One uniform negative per positive per epoch from items the user has not trained on; Adam. Shuffles and negatives (and the neighbour sampling) draw from Xoshiro256 seeded with train.seed (Graph/Rng.fs says why not System.Random).
/// Every `EvalEvery` epochs the validation metric (`StopMetric@StopK`, train items masked) is computed;
/// training stops after `Patience` evaluations without improvement and returns the best evaluation's
/// embeddings.
[<RequireQualifiedAccess>]
module Trainer =

    /// The model of `cfg.Model.Kind` for these graphs. Draws its initialisation from TorchSharp's global
    /// generator: seed it first. The returned disposables (graph operands) must outlive the model's use.
    val createModel:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
            IRecModel * IDisposable list

    /// One epoch's shuffle: `order` (indices into the train pairs posU/posI) shuffled in place by Fisher–Yates;
    /// returns the shuffled users and positives.
    val epochShuffle: rng: Random -> posU: int array -> posI: int array -> order: int array -> int array * int array

    /// One epoch's draws, in the order the BPR trainer makes them: epochShuffle, then one negative per pair
    /// (Sampling.negatives against `train`, -1 where the user has every item). Returns the shuffled users, positives
    /// and negatives. bench/pytorch-check replays it.
    val epochDraws:
        rng: Random ->
        train: Csr ->
        posU: int array ->
        posI: int array ->
        order: int array ->
            int array * int array * int array

    /// The batch loss of the scores of users eu [B, d] with their positives ep [B, d] and negatives en:
    ///
    ///     bpr      (en [B, d], one per pair)       L = −mean_b log σ(s(u, i⁺) − s(u, i⁻))
    ///     softmax  (en [M, d], shared by the batch) L = mean_b [ log(e^{s(u,i⁺)} + Σ_m e^{s(u, n_m)}) − s(u, i⁺) ]
    ///
    /// with s = ⟨·,·⟩ (model.score dot) or cos(·,·) / τ (cosine; τ = train.temperature, also dividing the softmax's
    /// dot scores). The softmax is the sampled softmax of Wu et al. 2023 / AlphaRec with M = train.negatives uniform
    /// negatives; a negative that is the row's own positive is masked out (−∞). `negItems` [M] are the negatives' item
    /// indices and `posItems` [B] the positives', for that mask.
    val batchLoss:
        t: TrainConfig ->
        cosine: bool ->
        eu: torch.Tensor ->
        ep: torch.Tensor ->
        en: torch.Tensor ->
        posItems: torch.Tensor ->
        negItems: torch.Tensor ->
            torch.Tensor

    /// Popularity: every user gets the items with the most training interactions (as 1-dim factors: user 1,
    /// item = its training count, so ranking and scoring need no special case).
    val popularity: cfg: Config -> graphs: SplitGraphs -> TrainedModel

    /// Refuses an EASE fit whose two items × items matrices would exceed ease.maxGiB, naming both figures.
    val checkEaseBudget: cfg: Config -> numItems: int -> unit

    /// EASE's B on the train split (Nn/Ease) with its settings chosen on validation (eval.stopMetric@stopK, train
    /// items masked, history = the train split), by coordinate search: λ over ease.lambdas with the first tag and
    /// text weights; then the tag weight over ease.tagWeights (G += w FᵀF, the item attributes), then the text
    /// weight over ease.textWeights (G += w TTᵀ, the item text vectors), each with the settings chosen before it.
    /// Every setting scored is reported to `onTuning` ("lambda=200 tags=5 text=20"); the first of equal scores
    /// wins. The chosen setting's B is returned as row-major floats with its position among the points: kept from its
    /// fit when a third items² matrix fits ease.maxGiB, else fitted again, so at most two items² matrices exist at a
    /// time during a fit (memory Ease.fitBytes; G is rebuilt for every fit, O(Σ_u |x_u|²)).
    val easeWeights:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            float32 array * int * TuningPoint list

    /// EASE as a model (model.kind ease): easeWeights alone, no factors. Epochs = the λ values fitted; best epoch =
    /// the chosen λ's position (1-based).
    val ease:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            TrainedModel

    /// blend.itemItem ease: a trained factor model m joined with an EASE item–item part `weights` (from easeWeights,
    /// whose tuning points are `easePoints`), score = c · ⟨h_u, h_i⟩ + Σ_{j ∈ H(u)} B_ji with c = w · σ_B / σ_h (scoreScales) for the w of
    /// blend.weights that scores best on validation (eval.stopMetric@stopK; the first of equals). c is folded into
    /// the user factors, so the result scores like any model with an item–item part. Tuning = m's, the λ values,
    /// then one point per w ("blend=w").
    val blendWith:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        m: TrainedModel ->
        weights: float32 array ->
        easePoints: TuningPoint list ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            TrainedModel

    /// blendWith the EASE part easeWeights fits for `cfg` (its λ and side-information search).
    val blendWithEase:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        m: TrainedModel ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            TrainedModel

    /// Trains the configured model on the snapshot's train split. Deterministic for a config and seed on
    /// one device, also when other trainings are requested in the same process: they wait for this one
    /// (TorchRandom). Throws OperationCanceledException when `ct` is cancelled (while waiting, or checked per batch).
    val trainWith:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onEpoch: (EpochReport -> unit) ->
        onTuning: (TuningPoint -> unit) ->
        ct: CancellationToken ->
            TrainedModel

    /// trainWith, ignoring tuning reports.
    val train:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onEpoch: (EpochReport -> unit) ->
        ct: CancellationToken ->
            TrainedModel
