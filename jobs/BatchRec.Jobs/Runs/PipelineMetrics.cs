using System.Diagnostics;
using System.Diagnostics.Metrics;
using BatchRec.Jobs.Ingest;

namespace BatchRec.Jobs.Runs;

/// <summary>
/// The pipeline's metrics for operators: one <see cref="Meter"/> named <see cref="MeterName"/> whose instruments the
/// stages record where the facts are (<see cref="Stages.Stage.RunAsync"/> times every stage body, the ingest stage
/// counts its rows, the publish stage its outcome). Only the BCL's metrics API is used here; <c>serve</c> exports the
/// meter with OpenTelemetry on its Prometheus endpoint, and a process that exports nothing pays next to nothing (an
/// instrument nobody listens to drops its measurements). The names follow OpenTelemetry's semantic conventions
/// (dotted lower-case names, UCUM units, <c>error.type</c> for the failure's type); the Prometheus exporter turns them
/// into <c>batchrec_stage_duration_seconds</c>, <c>batchrec_ingest_rows_read_total</c> and so on. Every instrument
/// carries the <c>dataset</c> tag, so one host's jobs of several datasets stay apart.
/// </summary>
public static class PipelineMetrics
{
    /// <summary>The meter's name, what an exporter subscribes to.</summary>
    public const string MeterName = "BatchRec";

    private static readonly Meter Meter = new(
        MeterName,
        typeof(PipelineMetrics).Assembly.GetName().Version?.ToString()
    );

    /// <summary>Seconds a stage body ran, tagged with the stage and its outcome (succeeded or failed).</summary>
    public static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>(
        "batchrec.stage.duration",
        "s",
        "Duration of a pipeline stage's body (one scoring shard per sample for score)",
        advice: new InstrumentAdvice<double>
        {
            // a tiny dataset's stages take under a second, a large one's training hours
            HistogramBucketBoundaries = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400],
        }
    );

    /// <summary>Stage bodies that threw, tagged with the stage and the exception's type.</summary>
    public static readonly Counter<long> StageFailures = Meter.CreateCounter<long>(
        "batchrec.stage.failures",
        "{failure}",
        "Pipeline stage attempts that failed (each retry that fails counts again)"
    );

    /// <summary>Input rows the ingest stage read, tagged with the table (interactions, items).</summary>
    public static readonly Counter<long> IngestRowsRead = Meter.CreateCounter<long>(
        "batchrec.ingest.rows.read",
        "{row}",
        "Rows the ingest stage read"
    );

    /// <summary>Rows kept (per table: read = kept + deduplicated + quarantined).</summary>
    public static readonly Counter<long> IngestRowsKept = Meter.CreateCounter<long>(
        "batchrec.ingest.rows.kept",
        "{row}",
        "Rows the ingest stage kept"
    );

    /// <summary>Duplicate rows dropped: interactions within or across partitions, items-table rows repeating an id.</summary>
    public static readonly Counter<long> IngestRowsDeduplicated = Meter.CreateCounter<long>(
        "batchrec.ingest.rows.deduplicated",
        "{row}",
        "Duplicate rows the ingest stage dropped"
    );

    /// <summary>Rows quarantined, tagged with the table and the quarantine reason.</summary>
    public static readonly Counter<long> IngestRowsQuarantined = Meter.CreateCounter<long>(
        "batchrec.ingest.rows.quarantined",
        "{row}",
        "Rows the ingest stage quarantined, by reason"
    );

    /// <summary>Runs whose outputs the publish stage made visible.</summary>
    public static readonly Counter<long> RunsPublished = Meter.CreateCounter<long>(
        "batchrec.runs.published",
        "{run}",
        "Runs published"
    );

    /// <summary>Runs the publish stage rejected, tagged with the check that rejected them.</summary>
    public static readonly Counter<long> RunsRejected = Meter.CreateCounter<long>(
        "batchrec.runs.rejected",
        "{run}",
        "Runs rejected by the champion check or the publish gate; the previous recommendations stay"
    );

    /// <summary>Recommendation rows of the published runs.</summary>
    public static readonly Counter<long> RecommendationsPublished = Meter.CreateCounter<long>(
        "batchrec.recommendations.published",
        "{row}",
        "Recommendation rows published"
    );

    /// <summary>Records one stage attempt: its duration with its outcome, and the failure with its type when it threw.</summary>
    public static void StageFinished(string dataset, string stage, TimeSpan elapsed, Exception? failure)
    {
        var outcome = failure is null ? "succeeded" : "failed";
        StageDuration.Record(
            elapsed.TotalSeconds,
            new TagList
            {
                { "dataset", dataset },
                { "stage", stage },
                { "outcome", outcome },
            }
        );
        if (failure is not null)
            StageFailures.Add(
                1,
                new TagList
                {
                    { "dataset", dataset },
                    { "stage", stage },
                    { "error.type", failure.GetType().FullName },
                }
            );
    }

    /// <summary>
    /// The ingest stage's row counts, from its lineage (the counts its stage record and manifest hold): the interactions
    /// table's rows read, kept, deduplicated and quarantined by reason; and, when the dataset has an items table, its
    /// rows read, kept, and deduplicated (rows repeating an earlier row's item_id, ignored). Items rows are never
    /// quarantined; an interaction whose item is not in the items table is an interactions row (item_unknown).
    /// </summary>
    public static void Ingested(string dataset, IngestLineage lineage)
    {
        ArgumentNullException.ThrowIfNull(lineage);
        var interactions = new TagList { { "dataset", dataset }, { "table", "interactions" } };
        IngestRowsRead.Add(lineage.Read, interactions);
        IngestRowsKept.Add(lineage.Kept, interactions);
        IngestRowsDeduplicated.Add(lineage.Deduplicated, interactions);
        foreach (var (reason, rows) in lineage.QuarantinedByReason.OrderBy(r => r.Key, StringComparer.Ordinal))
            IngestRowsQuarantined.Add(
                rows,
                new TagList
                {
                    { "dataset", dataset },
                    { "table", "interactions" },
                    { "reason", reason },
                }
            );
        if (lineage.ItemsTableRows > 0)
        {
            var items = new TagList { { "dataset", dataset }, { "table", "items" } };
            IngestRowsRead.Add(lineage.ItemsTableRows, items);
            IngestRowsKept.Add(lineage.ItemsTableRows - lineage.DuplicateItems, items);
            IngestRowsDeduplicated.Add(lineage.DuplicateItems, items);
        }
    }

    /// <summary>A published run and its recommendation rows.</summary>
    public static void Published(string dataset, long recommendationRows)
    {
        RunsPublished.Add(1, new TagList { { "dataset", dataset } });
        RecommendationsPublished.Add(recommendationRows, new TagList { { "dataset", dataset } });
    }

    /// <summary>
    /// A rejected run, tagged with the check that rejected it: <c>publish_gate</c> when the publish gate failed (the
    /// champion check may have failed too), else <c>champion_check</c>.
    /// </summary>
    public static void Rejected(string dataset, ChampionDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var reason = decision.Gate is { Pass: false } ? "publish_gate" : "champion_check";
        RunsRejected.Add(1, new TagList { { "dataset", dataset }, { "reason", reason } });
    }
}
