using BatchRec.Core;
using BatchRec.Jobs.Configuration;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace BatchRec.Jobs.Tests.Configuration;

/// <summary>The layers over a config file: BATCHREC__ environment variables, then --set, each key checked.</summary>
public sealed class ConfigOverridesFacts : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string json)
    {
        var path = _dir.Sub($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>Variables as the environment provider sees them: the prefix stripped, "__" read as ':'.</summary>
    private static IReadOnlyList<ConfigOverride> Environment(params (string Name, string Value)[] variables) =>
        ConfigOverrides.FromConfiguration(
            new ConfigurationBuilder()
                .AddInMemoryCollection(
                    variables.Select(v => new KeyValuePair<string, string?>(
                        v.Name[ConfigOverrides.EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal),
                        v.Value
                    ))
                )
                .Build()
        );

    private const string Text = """
        // a comment, kept working
        { "dataset": { "input": "in", "output": "out", "work": "work" }, "train": { "seed": 1, "maxEpochs": 9, }, }
        """;

    [Fact]
    public void Load_AppliesTheEnvironmentThenSet_LaterWinning_WithJsonValuesAndBareStrings()
    {
        var path = Write(Text);

        var loaded = ConfigLoader.Load(
            path,
            ["train.seed=13", "model.kind=ease", "eval.ks=[5, 10]", "dataset.name=\"2024\""],
            Environment(
                ("BATCHREC__TRAIN__SEED", "11"),
                ("BATCHREC__TRAIN__LEARNINGRATE", "0.002"),
                ("BATCHREC__JOBS__QUEUES", """["gpu","default"]"""),
                ("BATCHREC__PUBLISH__CHAMPIONCHECK", "false")
            )
        );

        Assert.Equal(13, loaded.Config.Train.Seed); // --set after the environment
        Assert.Equal(9, loaded.Config.Train.MaxEpochs); // the file's, untouched
        Assert.Equal(0.002, loaded.Config.Train.LearningRate); // env name upper-case, matched ignoring case
        Assert.Equal(ModelKind.Ease, loaded.Config.Model.Kind); // not JSON: a string
        Assert.Equal([5, 10], loaded.Config.Eval.Ks);
        Assert.Equal("2024", loaded.DatasetName); // quoted: a string, not a number
        Assert.Equal(["gpu", "default"], loaded.Host.Jobs.Queues);
        Assert.False(loaded.Config.Publish.ChampionCheck);
        Assert.Equal(8, loaded.Overrides.Count);
        Assert.Equal(["train.seed=13", "model.kind=ease", "eval.ks=[5, 10]", "dataset.name=\"2024\""], loaded.Sets);
        // the run's copy of the config is the effective one, with the file's own keys spelt as the file spells them
        var again = ConfigLoader.FromJson(loaded.Json, path);
        Assert.Equal(loaded.Config, again.Config);
        Assert.Contains("\"learningRate\": 0.002", loaded.Json);
    }

    [Fact]
    public void Load_ReturnsTheFileUnchanged_WhenThereAreNoOverrides()
    {
        var path = Write(Text);

        var loaded = ConfigLoader.Load(path, [], []);

        Assert.Equal(Text, loaded.Json);
        Assert.Equal(ConfigLoader.FromJson(Text, path).Sha256, loaded.Sha256);
        Assert.Empty(loaded.Overrides);
    }

    [Fact]
    public void Load_ReportsEveryProblemAtOnce_OverridesWithTheNearestName_AndTheConfigsOwn()
    {
        var path = Write("""{ "dataset": { "input": "in", "output": "out" }, "score": { "k": 0 } }""");

        var e = Assert.Throws<ConfigException>(() =>
            ConfigLoader.Load(
                path,
                ["trian.seed=3", "eval.kz=[10]", "noequals", "compare.ease.train.seed=1", "dataset.name.x=1"],
                Environment(("BATCHREC__TRAIN__MAXEPOCH", "3"), ("BATCHREC__TRAIN__BATCHSIZE", "big"))
            )
        );

        Assert.Contains(path, e.Message);
        Assert.Contains("--set noequals: expected section.key=value", e.Message);
        Assert.Contains("--set trian.seed: unknown section 'trian' (did you mean 'train'?)", e.Message);
        Assert.Contains("--set eval.kz: unknown key of eval 'kz' (did you mean 'eval.ks'?)", e.Message);
        Assert.Contains(
            "BATCHREC__TRAIN__MAXEPOCH: unknown key of train 'MAXEPOCH' (did you mean 'train.maxEpochs'?)",
            e.Message
        );
        Assert.Contains("--set compare.ease.train.seed: compare's per-model overrides cannot be overridden", e.Message);
        Assert.Contains("--set dataset.name.x: 'dataset.name' takes a value, not keys", e.Message);
        // the config's own problems, in the same message: a type error from the environment and the file's bad value
        Assert.Contains("train.batchSize: must be an integer, got \"big\"", e.Message);
        Assert.Contains("score.k: must be > 0, got 0", e.Message);
    }

    [Fact]
    public void Apply_RefusesAPathThroughAValue_ChangingNothing_AndCreatesMissingSections()
    {
        var problems = new List<string>();

        var json = ConfigOverrides.Apply(
            """{ "jobs": { "queues": ["a"] }, "text": 5 }""",
            [
                new ConfigOverride("--set", "jobs.queues.first", "x"),
                new ConfigOverride("--set", "text.batchSize", "8"),
                new ConfigOverride("--set", "model", "ease"),
                new ConfigOverride("--set", "jobs.stages.train.retries", "4"),
            ],
            problems
        );

        Assert.Equal(
            [
                "--set jobs.queues.first: 'jobs.queues' takes a value, not keys",
                "--set text.batchSize: 'text' is not an object in the file",
                "--set model: expected section.key",
            ],
            problems
        );
        var root = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        Assert.Equal(4, (int)root["jobs"]!["stages"]!["train"]!["retries"]!); // created on the way
        Assert.Equal(5, (int)root["text"]!); // the refused ones changed nothing
        Assert.Equal("a", (string)root["jobs"]!["queues"]![0]!);
        Assert.Null(root["model"]);
    }
}
