using System.Text.Json;
using System.Text.Json.Nodes;
using BatchRec.Core;
using Microsoft.Extensions.Configuration;

namespace BatchRec.Jobs.Configuration;

/// <summary>One override of a config file's key: where it came from, its dotted key as written, its value.</summary>
public sealed record ConfigOverride(string Source, string Key, string Value);

/// <summary>
/// The layers over a config file, applied in order after it: <c>BATCHREC__SECTION__KEY</c> environment variables
/// (read with Microsoft.Extensions.Configuration's environment-variables provider), then <c>--set section.key=value</c>
/// arguments. A value is read as JSON when it is JSON (<c>5</c>, <c>true</c>, <c>["gpu","default"]</c>,
/// <c>"2024"</c>) and as a string otherwise (<c>ease</c>). Key segments match the file's names ignoring case; an
/// unknown one is refused with the nearest valid name.
/// </summary>
public static class ConfigOverrides
{
    public const string EnvironmentPrefix = "BATCHREC__";

    /// <summary>This process's <c>BATCHREC__*</c> environment variables as overrides (<c>__</c> separates segments).</summary>
    public static IReadOnlyList<ConfigOverride> FromEnvironment() =>
        FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build());

    /// <summary>The leaves of a configuration (e.g. the environment provider's) as overrides, in key order.</summary>
    public static IReadOnlyList<ConfigOverride> FromConfiguration(IConfiguration configuration) =>
        [
            .. configuration
                .AsEnumerable()
                .Where(kv => kv.Value is not null && !configuration.GetSection(kv.Key).GetChildren().Any())
                .OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
                .Select(kv => new ConfigOverride(
                    EnvironmentPrefix + kv.Key.Replace(":", "__", StringComparison.Ordinal),
                    kv.Key.Replace(':', '.'),
                    kv.Value!
                )),
        ];

    /// <summary>
    /// <c>--set</c> arguments (<c>section.key=value</c>) as overrides; one without '=' or with an empty key is a problem
    /// added to <paramref name="problems"/>.
    /// </summary>
    public static IReadOnlyList<ConfigOverride> FromArguments(IEnumerable<string> sets, ICollection<string> problems)
    {
        var result = new List<ConfigOverride>();
        foreach (var s in sets)
        {
            var eq = s.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                problems.Add($"--set {s}: expected section.key=value");
            else
                result.Add(new ConfigOverride("--set", s[..eq].Trim(), s[(eq + 1)..]));
        }
        return result;
    }

    /// <summary>
    /// The config JSON with the overrides applied in order (a later one wins); each problem (an unknown key, a key inside
    /// <c>compare</c>, a path through a value that is not an object) is added to <paramref name="problems"/> and that
    /// override is skipped. Without overrides the text is returned unchanged.
    /// </summary>
    public static string Apply(string json, IReadOnlyList<ConfigOverride> overrides, ICollection<string> problems)
    {
        if (overrides.Count == 0)
            return json;
        JsonObject root;
        try
        {
            root =
                JsonNode.Parse(
                    json,
                    documentOptions: new JsonDocumentOptions
                    {
                        CommentHandling = JsonCommentHandling.Skip,
                        AllowTrailingCommas = true,
                    }
                ) as JsonObject
                ?? throw new JsonException("the top level is not an object");
        }
        catch (JsonException)
        {
            return json; // the core's parser reports the file's own syntax error, with its position
        }
        foreach (var o in overrides)
        {
            var problem = ApplyOne(root, o);
            if (problem is not null)
                problems.Add($"{(o.Source == "--set" ? "--set " + o.Key : o.Source)}: {problem}");
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string? ApplyOne(JsonObject root, ConfigOverride o)
    {
        var segments = o.Key.Split('.');
        if (segments.Any(s => s.Length == 0))
            return "expected section.key";
        // every segment named first, so a refused override changes nothing
        var names = new List<string>();
        foreach (var segment in segments)
        {
            var known = KnownKeys(names);
            if (names.Count > 0 && known.Count == 0)
                return $"'{string.Join('.', names)}' takes a value, not keys";
            var name = known.FirstOrDefault(k => string.Equals(k, segment, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                var where = names.Count == 0 ? "section" : $"key of {string.Join('.', names)}";
                var nearest = ConfigBinding.nearestName(known, segment);
                return $"unknown {where} '{segment}'"
                    + (nearest is null ? "" : $" (did you mean '{Prefix(names)}{nearest.Value}'?)")
                    + $"; known: {string.Join(", ", known)}";
            }
            if (name == "compare" && names.Count == 0)
                return "compare's per-model overrides cannot be overridden; edit the file";
            names.Add(name);
        }
        if (names.Count == 1)
            return "expected section.key";
        var node = root;
        for (var i = 0; i < names.Count - 1; i++)
        {
            node[names[i]] ??= new JsonObject();
            if (node[names[i]] is not JsonObject child)
                return $"'{string.Join('.', names.Take(i + 1))}' is not an object in the file";
            node = child;
        }
        node[names[^1]] = ParseValue(o.Value);
        return null;
    }

    private static string Prefix(List<string> names) => names.Count == 0 ? "" : string.Join('.', names) + ".";

    /// <summary>The names a key may take below <paramref name="path"/> (the core's table of sections and keys, the host's settings).</summary>
    private static IReadOnlyList<string> KnownKeys(List<string> path) =>
        path switch
        {
            [] => [.. ConfigModule.sectionNames, .. HostSettings.Sections],
            [var section, ..] when HostSettings.Sections.Contains(section) => HostSettings.KnownKeys(path),
            [var section] => [.. ConfigModule.keysOf(section)],
            _ => [],
        };

    /// <summary>A value as JSON when it parses as JSON, else as a JSON string.</summary>
    public static JsonNode? ParseValue(string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return JsonValue.Create(value);
        }
    }
}
