namespace BatchRec.Core

open System

// The champion/challenger rule; documented in Champion.fsi.
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
