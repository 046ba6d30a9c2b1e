namespace BatchRec.Core.Train

open System
open System.Diagnostics
open System.Threading
open TorchSharp
open BatchRec.Core
open BatchRec.Core.Graph
open BatchRec.Core.Nn
open BatchRec.Core.Eval

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
module FactorTraining =

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

    /// Trains `cfg.Model.Kind` (a factor model: bpr-mf, lightgcn, gat, gat-text) as above, holding libtorch's
    /// generator seeded with train.seed for the whole training (TorchRandom.exclusive: other trainings in this process
    /// wait). Throws OperationCanceledException when `ct` is cancelled (while waiting, or checked per batch).
    val train:
        cfg: Config ->
        device: torch.Device ->
        graphs: SplitGraphs ->
        features: NodeFeatures ->
        onEpoch: (EpochReport -> unit) ->
        ct: CancellationToken ->
            TrainedModel
