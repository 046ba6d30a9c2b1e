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
    string ConfigFile)
{
    public Dictionary<string, string> JobIds { get; init; } = new();
}

/// <summary>How long a stage took and what it counted. Stored as stages/&lt;stage&gt;.json.</summary>
public sealed record StageRecord(
    string Stage,
    DateTimeOffset StartedUtc,
    DateTimeOffset FinishedUtc,
    double Seconds,
    Dictionary<string, object> Details);

public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
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
