using System.Globalization;
using BatchRec.Core;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Features;
using BatchRec.Jobs.Io;
using BatchRec.Jobs.Runs;
using Serilog;

namespace BatchRec.Jobs.Bench;

/// <summary>
/// The text-encoding benchmark (`batchrec bench-text`): every non-empty item text of the config's items table (title,
/// tags and text, as gat-text encodes them) through <see cref="TextEncoder"/> with a fresh, empty cache (the
/// encoder's sentences per second: a first night), then the same texts again through the cache it wrote (the next
/// night: nothing encoded). The cache is a temporary folder, removed afterwards; the config's own cache is not
/// touched. Rows are appended to <c>results/bench.csv</c> like <see cref="ScaleBench"/>'s.
/// </summary>
public static class TextBench
{
    public static async Task<IReadOnlyList<BenchRow>> RunAsync(
        LoadedConfig config,
        string label,
        string command,
        string resultsDir,
        ILogger log,
        CancellationToken ct
    )
    {
        var started = DateTimeOffset.UtcNow;
        var files = DatasetReader.ListFiles(config.InputDir, Schema.Input.Items, required: true);
        var items = await DatasetReader.ReadItemsAsync(files, ct);
        var texts = Enumerable
            .Range(0, items.Count)
            .Select(i =>
                FeatureBuilder.ItemText(
                    new CatalogueRow
                    {
                        Title = items.Titles[i],
                        Text = items.Texts[i],
                        Tags = [.. items.Tags[i]],
                    },
                    catalogueOnly: false
                )
            )
            .Where(t => t.Length > 0)
            .ToArray();
        if (texts.Length == 0)
            throw new InvalidOperationException(
                $"the items table under {Path.Combine(config.InputDir, Schema.Input.Items)} has no item with a title, tags or text to encode"
            );
        var cache = Path.Combine(Path.GetTempPath(), $"batchrec-text-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var cfg = config.Config.Text;
            var (first, cold) = await new TextEncoder(cache, cfg.Encoder, cfg.BatchSize, log).EncodeAsync(texts, ct);
            var (again, warm) = await new TextEncoder(cache, cfg.Encoder, cfg.BatchSize, log).EncodeAsync(texts, ct);
            for (var k = 0; k < texts.Length; k++)
                if (!first[k].AsSpan().SequenceEqual(again[k]))
                    throw new InvalidOperationException(
                        $"text {k}: the cached vector differs from the one just encoded"
                    );
            var machine = ScaleBench.Machine();
            var peak = ProcessMemory.PeakBytes() is { } b ? b / 1048576.0 : double.NaN;
            var chars = texts.Average(t => t.Length);
            BenchRow Row(string stage, double seconds, double rate, string unit, string notes) =>
                new()
                {
                    DateUtc = started.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture),
                    Label = label,
                    Machine = machine,
                    Command = command,
                    RunId = "",
                    Interactions = 0,
                    Users = 0,
                    Items = items.Count,
                    Model = cfg.Encoder,
                    Stage = stage,
                    Seconds = seconds,
                    PeakRssMiB = peak,
                    Rate = rate,
                    Unit = unit,
                    Notes = notes,
                };
            List<BenchRow> rows =
            [
                Row(
                    "text-encode",
                    cold.EncodeSeconds,
                    cold.Encoded / cold.EncodeSeconds,
                    "sentences/s",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{cold.Encoded} distinct item texts of {texts.Length} (mean {chars:F0} characters, longest {texts.Max(t => t.Length)}), batch {cfg.BatchSize}, empty cache; the encoder's calls only (the whole call with the encoder's load and the cache write: {cold.Seconds:F1} s)"
                    )
                ),
                Row(
                    "text-cache-hit",
                    warm.Seconds,
                    texts.Length / warm.Seconds,
                    "texts/s",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"the same {texts.Length} texts again through the cache just written: {warm.Encoded} encoded, {warm.CacheHits} hits (the next night)"
                    )
                ),
            ];
            foreach (var r in rows)
                log.Information(
                    "bench {Label} {Stage}: {Seconds:F2} s, {Rate:F1} {Unit}; {Notes}",
                    label,
                    r.Stage,
                    r.Seconds,
                    r.Rate,
                    r.Unit,
                    r.Notes
                );
            await ScaleBench.WriteAsync(resultsDir, label, started, rows, ct);
            return rows;
        }
        finally
        {
            if (Directory.Exists(cache))
                Directory.Delete(cache, recursive: true);
        }
    }
}
