using System.Diagnostics.Metrics;
using BatchRec.Jobs.Runs;

namespace BatchRec.Tests.Shared;

/// <summary>
/// Every measurement of the BatchRec meter (<see cref="PipelineMetrics"/>) while it is alive, in this process:
/// instrument name, value, tags.
/// </summary>
public sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, double Value, Dictionary<string, string?> Tags)> _seen = [];

    public MetricsRecorder()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    private void Add(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var t = new Dictionary<string, string?>();
        foreach (var (k, x) in tags)
            t[k] = x?.ToString();
        lock (_seen)
            _seen.Add((i.Name, v, t));
    }

    /// <summary>The measurements of instrument <paramref name="name"/> whose tags include <paramref name="tags"/>.</summary>
    public List<(string Name, double Value, Dictionary<string, string?> Tags)> Of(
        string name,
        params (string Key, string Value)[] tags
    )
    {
        lock (_seen)
            return [.. _seen.Where(m => m.Name == name && tags.All(t => m.Tags.GetValueOrDefault(t.Key) == t.Value))];
    }

    public void Dispose() => _listener.Dispose();
}
