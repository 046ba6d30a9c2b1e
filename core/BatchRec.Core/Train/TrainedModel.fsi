namespace BatchRec.Core.Train

open BatchRec.Core
open BatchRec.Core.Graph

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
