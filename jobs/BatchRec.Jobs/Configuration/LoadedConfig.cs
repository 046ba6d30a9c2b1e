using System.Security.Cryptography;
using System.Text;
using BatchRec.Core;
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
    public string DatasetName => Config.Dataset.Name;

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
    /// <summary>Reads, parses (overrides of <c>Config.Default</c>) and validates a JSON config file.</summary>
    public static LoadedConfig Load(string path)
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
        return FromJson(json, full);
    }

    /// <summary>
    /// Parses JSON as if it were the file at <paramref name="filePath"/> (paths resolve against its folder), then checks
    /// the dataset folders (<see cref="DatasetPaths"/>).
    /// </summary>
    /// <exception cref="ConfigException">The config is invalid or its folders are unusable; lists every problem.</exception>
    public static LoadedConfig FromJson(string json, string filePath)
    {
        var result = ConfigModule.parse(json);
        if (result.IsError)
        {
            var lines = result.ErrorValue.Select(e => "  " + e.ToString());
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
        return new LoadedConfig(Path.GetFullPath(filePath), json, sha, config, input, output, work);
    }
}
