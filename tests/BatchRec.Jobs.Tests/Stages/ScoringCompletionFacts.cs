using BatchRec.Jobs.Runs;
using BatchRec.Jobs.Stages;
using Xunit;

namespace BatchRec.Jobs.Tests.Stages;

/// <summary>When the score stage is done: every shard and, for a run launched with it, the similar-items job.</summary>
public sealed class ScoringCompletionFacts
{
    private static StageRecord Record(string stage) =>
        new(stage, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 0.1, new Dictionary<string, object>());

    private static RunFolder Run(TempDir dir, int shards, int similarItems)
    {
        var config = TinyDataset.Config(dir, "input");
        var folder = RunFolder.Create(config, "2026-11-28", "test", DateTimeOffset.UtcNow);
        folder.WriteContext(folder.ReadContext() with { Shards = shards, SimilarItems = similarItems });
        return folder;
    }

    [Theory]
    [InlineData(true)] // the similar-items job finishes first
    [InlineData(false)] // the shards finish first
    public void Done_OnlyWhenEveryShardAndTheSimilarItemsJobRecorded_InEitherOrder(bool similarFirst)
    {
        using var dir = new TempDir();
        var folder = Run(dir, shards: 2, similarItems: 20);
        bool Done() => ScoringCompletion.Done(folder, folder.ReadContext());
        Assert.False(Done());
        if (similarFirst)
        {
            folder.WriteStage(Record(StageNames.SimilarItems));
            Assert.False(Done());
            folder.WriteShard(0, Record(StageNames.Score));
            Assert.False(Done());
            folder.WriteShard(1, Record(StageNames.Score));
        }
        else
        {
            folder.WriteShard(1, Record(StageNames.Score));
            folder.WriteShard(0, Record(StageNames.Score));
            Assert.False(Done()); // the similar-items job is still running
            folder.WriteStage(Record(StageNames.SimilarItems));
        }
        Assert.True(Done());
    }

    [Fact]
    public void ARunLaunchedWithoutSimilarItems_WaitsForTheShardsOnly_WhateverTheConfigSaysNow()
    {
        using var dir = new TempDir();
        // a run folder of a version before the table (no SimilarItems in run.json reads as 0), or similarItems: 0
        var folder = Run(dir, shards: 1, similarItems: 0);
        Assert.Equal(20, folder.LoadConfig().Config.Score.SimilarItems); // today's default would ask for the table
        Assert.False(ScoringCompletion.Done(folder, folder.ReadContext()));
        folder.WriteShard(0, Record(StageNames.Score));
        Assert.True(ScoringCompletion.Done(folder, folder.ReadContext()));
    }
}
