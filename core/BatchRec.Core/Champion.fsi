namespace BatchRec.Core

open System

/// The champion/challenger rule of the evaluate stage: a new run may publish only if its model's figure on the new
/// run's validation split is at least the published (champion) model's figure on that same split minus
/// publish.tolerance (absolute). The figure is NDCG@10; the dashboard's Runs page and the run outcome records show the
/// same figure, for the validation and the test split.
[<RequireQualifiedAccess>]
module Champion =
    /// The metric the rule compares.
    [<Literal>]
    val Metric: string = "ndcg"

    /// Its cut-off.
    [<Literal>]
    val K: int = 10

    /// The split the rule compares on.
    [<Literal>]
    val Split: string = "valid"

    /// The rule's figure (NDCG@10) of `split` among `metrics`; null when absent. O(metrics).
    /// evaluates to: figure "valid" [ { Split = "valid"; Metric = "ndcg"; K = 10; Value = 0.3 } ] = Nullable 0.3
    val figure: split: string -> metrics: seq<MetricRecord> -> Nullable<float>

    /// Whether the challenger publishes against the champion: challenger ≥ champion − tolerance. A NaN figure on
    /// either side never publishes.
    /// evaluates to: publishes 0.29 0.30 0.01 = true; publishes 0.28 0.30 0.01 = false
    val publishes: challenger: float -> champion: float -> tolerance: float -> bool
