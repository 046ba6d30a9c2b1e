using System.Security.Cryptography;
using System.Text;
using BatchRec.Core;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace BatchRec.Jobs.Configuration;

/// <summary>A config file that parsed and validated, with its paths resolved against the file's folder.</summary>
public sealed record LoadedConfig(
    string FilePath,
    string Json,
    string Sha256,
    Config Config,
    string InputDir,
    string OutputDir,
    string WorkDir
)
{
    /// <summary>The host's settings (schedule, storage, jobs, dashboard), bound from the same file and overrides.</summary>
    public HostSettings Host { get; init; } = new();

    public string DatasetName => Config.Dataset.Name;

    /// <summary>The <c>--set</c> arguments it was loaded with; runs that a server launches load the file with them again.</summary>
    public IReadOnlyList<string> Sets { get; init; } = [];

    /// <summary>The overrides applied over the file (environment, then <c>--set</c>), in order.</summary>
    public IReadOnlyList<ConfigOverride> Overrides { get; init; } = [];

    /// <summary>The text-vector cache folder: text.cache resolved against the config file's folder, default &lt;work&gt;/text-cache.</summary>
    public string TextCacheDir =>
        Config.Text.Cache == ""
            ? Path.Combine(WorkDir, "text-cache")
            : Path.GetFullPath(
                Path.IsPathRooted(Config.Text.Cache)
                    ? Config.Text.Cache
                    : Path.Combine(Path.GetDirectoryName(FilePath)!, Config.Text.Cache)
            );
}

/// <summary>Thrown when a config file is missing, unreadable or invalid; the message lists every problem.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : Exception(message, inner);

public static class ConfigLoader
{
    /// <summary>
    /// Reads a JSON config file, applies the overrides over it (<see cref="ConfigOverrides"/>: the
    /// <c>BATCHREC__SECTION__KEY</c> environment variables, or <paramref name="environment"/> when given, then
    /// <paramref name="sets"/>), parses the result (overrides of <c>Config.Default</c>) and validates it.
    /// </summary>
    /// <exception cref="ConfigException">Lists every problem: the overrides' and the config's.</exception>
    public static LoadedConfig Load(
        string path,
        IReadOnlyList<string>? sets = null,
        IReadOnlyList<ConfigOverride>? environment = null
    )
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new ConfigException($"Config file '{full}' does not exist.");
        string json;
        try
        {
            json = File.ReadAllText(full);
        }
        catch (IOException e)
        {
            throw new ConfigException($"Config file '{full}' could not be read: {e.Message}", e);
        }
        var problems = new List<string>();
        IReadOnlyList<ConfigOverride> overrides =
        [
            .. environment ?? ConfigOverrides.FromEnvironment(),
            .. ConfigOverrides.FromArguments(sets ?? [], problems),
        ];
        var effective = ConfigOverrides.Apply(json, overrides, problems);
        return Parse(effective, full, problems) with { Sets = [.. sets ?? []], Overrides = overrides };
    }

    /// <summary>
    /// Parses JSON as if it were the file at <paramref name="filePath"/> (paths resolve against its folder), then checks
    /// the dataset folders (<see cref="DatasetPaths"/>).
    /// </summary>
    /// <exception cref="ConfigException">The config is invalid or its folders are unusable; lists every problem.</exception>
    public static LoadedConfig FromJson(string json, string filePath) => Parse(json, filePath, []);

    private static LoadedConfig Parse(string json, string filePath, IReadOnlyList<string> overrideProblems)
    {
        var hostProblems = new List<string>();
        var host = HostSettings.Bind(json, hostProblems);
        var result = ConfigModule.parseOverIgnoring(
            ListModule.OfSeq(HostSettings.Sections),
            ConfigModule.Default,
            json
        );
        if (result.IsError || overrideProblems.Count > 0 || hostProblems.Count > 0)
        {
            var lines = overrideProblems
                .Concat(result.IsError ? result.ErrorValue.Select(e => e.ToString()) : [])
                .Concat(hostProblems)
                .Select(l => "  " + l);
            throw new ConfigException(
                $"Config file '{filePath}' is invalid:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}"
            );
        }
        var config = result.ResultValue;
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(filePath))!;
        string Resolve(string p) => Path.GetFullPath(Path.IsPathRooted(p) ? p : Path.Combine(baseDir, p));
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
        var (input, output, work) = (
            Resolve(config.Dataset.Input),
            Resolve(config.Dataset.Output),
            Resolve(config.Dataset.Work)
        );
        // before any stage runs: an output root under a regular file, or inside the input dataset, is a config error
        var problems = DatasetPaths.Problems(input, output, work);
        if (problems.Count > 0)
            throw new ConfigException(
                $"Config file '{filePath}' is invalid:{Environment.NewLine}{string.Join(Environment.NewLine, problems.Select(p => "  " + p))}"
            );
        return new LoadedConfig(Path.GetFullPath(filePath), json, sha, config, input, output, work) { Host = host };
    }
}
