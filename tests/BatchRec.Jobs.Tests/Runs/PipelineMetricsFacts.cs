using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Xunit;

namespace BatchRec.Jobs.Tests.Runs;

public sealed class PipelineMetricsFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private RunFolder NewRun()
    {
        var config = TinyDataset.Config(_dir, "input");
        return RunFolder.Create(config, "2026-11-28", "test", DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task AStageBodyThatThrows_IsCountedAsFailed_AndTheExceptionStillPropagates()
    {
        var folder = NewRun();
        using var recorder = new MetricsRecorder();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Stage.RunAsync(
                folder.Path,
                "metrics-test-failing",
                Serilog.Core.Logger.None,
                async (_, _, _) =>
                {
                    await Task.Delay(20);
                    throw new InvalidOperationException("boom");
                },
                CancellationToken.None
            )
        );

        Assert.Equal("boom", e.Message);
        var failure = Assert.Single(recorder.Of("batchrec.stage.failures", ("stage", "metrics-test-failing")));
        Assert.Equal(1, failure.Value);
        Assert.Equal("System.InvalidOperationException", failure.Tags["error.type"]);
        Assert.Equal("tiny", failure.Tags["dataset"]);
        var duration = Assert.Single(recorder.Of("batchrec.stage.duration", ("stage", "metrics-test-failing")));
        Assert.Equal("failed", duration.Tags["outcome"]);
        Assert.InRange(duration.Value, 0.015, 60); // seconds, not milliseconds
        Assert.Empty(folder.ReadStages()); // a failed stage leaves no record
    }

    [Fact]
    public async Task AStageBodyThatSucceeds_IsTimedAsSucceeded_AndNotCountedAsAFailure()
    {
        var folder = NewRun();
        using var recorder = new MetricsRecorder();

        await Stage.RunAsync(
            folder.Path,
            "metrics-test-passing",
            Serilog.Core.Logger.None,
            async (_, _, _) =>
            {
                await Task.Delay(20);
                return new Dictionary<string, object>();
            },
            CancellationToken.None
        );

        Assert.Empty(recorder.Of("batchrec.stage.failures", ("stage", "metrics-test-passing")));
        var duration = Assert.Single(recorder.Of("batchrec.stage.duration", ("stage", "metrics-test-passing")));
        Assert.Equal("succeeded", duration.Tags["outcome"]);
        var record = Assert.Single(folder.ReadStages());
        Assert.Equal(record.Seconds, duration.Value, 0.05); // the stage record's own timing
    }
}
