using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchRec.Jobs.Runs;

/// <summary>What a run is: its id, dataset, logical date and where it came from. Stored as run.json in the run folder.</summary>
public sealed record RunContext(
    string RunId,
    string Dataset,
    string Date,
    DateTimeOffset CreatedUtc,
    string Trigger,
    string ConfigFile
)
{
    public Dictionary<string, string> JobIds { get; init; } = new();

    /// <summary>Number of scoring shards; their job ids are <c>JobIds["score/N"]</c>.</summary>
    public int Shards { get; init; } = 1;

    /// <summary>Similar items per item this run writes (its score.similarItems when it was launched; 0: no
    /// similar-items job, as for runs launched before the table existed). Fixed at launch, so the score stage's jobs
    /// and publish agree on whether to wait for it whatever defaults a later version has.</summary>
    public int SimilarItems { get; init; }

    /// <summary>For a rerun from a stage: the run whose earlier stages' outputs this run reuses.</summary>
    public string? ReusedRun { get; init; }

    /// <summary>The first stage this run executes (ingest unless it reuses another run's outputs).</summary>
    public string FirstStage { get; init; } = "ingest";
}

/// <summary>How a run ended, written by the publish stage. Rejected runs keep the previous recommendations.</summary>
public sealed record RunOutcomeRecord(
    string State,
    double? ChallengerNdcg10,
    double? ChampionNdcg10,
    string? ChampionRun,
    double Tolerance,
    string Reason
)
{
    /// <summary>The publish gate's figures, when the gate is on.</summary>
    public PublishGateCheck? Gate { get; init; }
}

/// <summary>
/// The evaluate stage's decision: the comparison of the new model with the published one, on the new run's validation
/// split (when <c>publish.championCheck</c> is on), and the publish gate (<see cref="Gate"/>, when it is on). The run
/// publishes only if both pass; <see cref="Reason"/> says why not.
/// </summary>
public sealed record ChampionDecision(
    bool Publish,
    double ChallengerNdcg10,
    double? ChampionNdcg10,
    string? ChampionRun,
    double Tolerance,
    string Reason
)
{
    public PublishGateCheck? Gate { get; init; }
}

/// <summary>
/// The publish gate: the users this run would give recommendations to (every user of its training data) and its
/// recommendation rows (Σ min(K, items the user has not interacted with)), against the last published run's, which
/// must have been at least the configured fractions of them.
/// </summary>
public sealed record PublishGateCheck(
    bool Pass,
    long Users,
    long Rows,
    string? LastRun,
    long? LastUsers,
    long? LastRows,
    double MinUsersFraction,
    double MinRowsFraction,
    string Reason
);

/// <summary>The dataset's last published run: <c>&lt;work&gt;/last-published.json</c>, written by every publish.</summary>
public sealed record LastPublishedRecord(
    string RunId,
    string Date,
    string Manifest,
    long Users,
    long Rows,
    DateTimeOffset PublishedUtc
);

/// <summary>The dataset's published model: <c>&lt;work&gt;/champion.json</c>.</summary>
public sealed record ChampionRecord(
    string RunId,
    string RunDir,
    string Date,
    double ValidNdcg10,
    DateTimeOffset PublishedUtc
);

/// <summary>How long a stage took and what it counted. Stored as stages/&lt;stage&gt;.json.</summary>
public sealed record StageRecord(
    string Stage,
    DateTimeOffset StartedUtc,
    DateTimeOffset FinishedUtc,
    double Seconds,
    Dictionary<string, object> Details
);

public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new Configuration.ChoiceJsonConverter() },
    };

    /// <summary>Writes JSON to a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void WriteAtomic<T>(string path, T value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(tmp, JsonSerializer.Serialize(value, Options));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Writes text to a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void WriteTextAtomic(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }

    public static T Read<T>(string path) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"'{path}' holds no JSON value.");
}
