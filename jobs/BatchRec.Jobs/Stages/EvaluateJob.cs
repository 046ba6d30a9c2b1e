using BatchRec.Core;
using Hangfire;
using Serilog;

namespace BatchRec.Jobs.Stages;

/// <summary>Full-ranking evaluation of the trained model on the validation and test splits.</summary>
[Queue("default")]
public sealed class EvaluateJob(ILogger log)
{
    public const string MetricsFile = "metrics.json";

    [JobDisplayName("evaluate {0}")]
    public Task RunAsync(string runDir, CancellationToken ct) =>
        Stage.RunAsync(runDir, StageNames.Evaluate, log, async (folder, config, _) =>
        {
            var (_, graphs, model, device) = await TrainedInputs.LoadAsync(folder, config.Config, ct);
            var metrics = Pipeline.evaluate(config.Config, device, graphs, model).ToList();
            Runs.Json.WriteAtomic(Path.Combine(folder.EvalDir, MetricsFile), metrics);
            foreach (var m in metrics.Where(m => m.Split is "test" or "cold"))
                log.Information("{Split} {Metric}@{K} = {Value:F4}", m.Split, m.Metric, m.K, m.Value);
            double Get(string split, string name, int k) =>
                metrics.FirstOrDefault(m => m.Split == split && m.Metric == name && m.K == k)?.Value ?? double.NaN;
            return new Dictionary<string, object>
            {
                ["testNdcg@10"] = Get("test", "ndcg", 10), ["testRecall@10"] = Get("test", "recall", 10),
                ["validMrr@10"] = Get("valid", "mrr", 10),
            };
        }, ct);

    public static IReadOnlyList<MetricRecord> ReadMetrics(Runs.RunFolder folder) =>
        Runs.Json.Read<List<MetricRecord>>(Path.Combine(folder.EvalDir, MetricsFile));
}
