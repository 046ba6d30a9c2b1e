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
    let Metric = "ndcg"

    /// Its cut-off.
    [<Literal>]
    let K = 10

    /// The split the rule compares on.
    [<Literal>]
    let Split = "valid"

    /// The rule's figure (NDCG@10) of `split` among `metrics`; null when absent.
    let figure (split: string) (metrics: seq<MetricRecord>) : Nullable<float> =
        match
            metrics
            |> Seq.tryFind (fun m -> m.Split = split && m.Metric = Metric && m.K = K)
        with
        | Some m -> Nullable m.Value
        | None -> Nullable()

    /// Whether the challenger publishes against the champion: challenger ≥ champion − tolerance. A NaN figure on
    /// either side never publishes.
    let publishes (challenger: float) (champion: float) (tolerance: float) : bool = challenger >= champion - tolerance
