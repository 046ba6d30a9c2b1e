using BatchRec.Jobs.Orchestration;
using BatchRec.Jobs.Stages;
using Xunit;

namespace BatchRec.Jobs.Tests.Stages;

public sealed class StageRegistryFacts
{
    [Fact]
    public void TheChain_ListsEachStageOnce_InOrder_WithItsJob()
    {
        Assert.Equal(["ingest", "train", "evaluate", "score", "publish"], StageNames.Chain);
        Assert.Equal(
            [typeof(IngestJob), typeof(TrainJob), typeof(EvaluateJob), typeof(ScoreShardJob), typeof(PublishJob)],
            StageRegistry.Chain.Select(s => s.JobType)
        );
        Assert.Equal("score", StagePolicyFilter.StageOf(typeof(ScoreShardJob)));
        Assert.Equal("score", StagePolicyFilter.StageOf(typeof(SimilarItemsJob))); // the score stage's other job
        Assert.Equal([typeof(ScoreShardJob), typeof(SimilarItemsJob)], StageRegistry.Named("score")!.JobTypes);
        Assert.Null(StagePolicyFilter.StageOf(typeof(NightlyJob))); // not a stage: no stage policy
        Assert.Equal(["ingest", "train", "evaluate", "score"], StageRegistry.Startable); // publish follows the shards
    }

    [Fact]
    public void ARerun_ReusesWhatTheStagesBeforeItsFirstLeft()
    {
        Assert.Empty(StageRegistry.OutputsBefore("ingest"));
        Assert.Equal(["snapshot", "ingest.json", "stages/ingest.json"], StageRegistry.OutputsBefore("train"));
        Assert.Equal(
            [
                "snapshot",
                "ingest.json",
                "stages/ingest.json",
                "model",
                "stages/train.json",
                "eval",
                "stages/evaluate.json",
            ],
            StageRegistry.OutputsBefore("score")
        );
    }
}
