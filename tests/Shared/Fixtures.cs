using System.Text.Json;
using System.Text.Json.Nodes;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Io;

namespace BatchRec.Tests.Shared;

/// <summary>A temporary folder removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } =
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "batchrec-test-" + Guid.NewGuid().ToString("N")[..10]);

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A path under this folder, its parent folders created.</summary>
    public string File(params string[] parts)
    {
        var path = System.IO.Path.Combine([Path, .. parts]);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException) { }
    }
}

/// <summary>Tiny Parquet datasets with structure a recommender can learn: two taste groups of users, each liking half the items.</summary>
public static class TinyDataset
{
    public const int Users = 30;
    public const int Items = 24;

    public static (long[] Users, long[] Items, long[] Timestamps, float[] Weights) Interactions()
    {
        var u = new List<long>();
        var i = new List<long>();
        var t = new List<long>();
        var w = new List<float>();
        for (var user = 0; user < Users; user++)
        for (var item = 0; item < Items; item++)
            if (item % 2 == user % 2 && (user * 7 + item * 3) % 4 != 0)
            {
                u.Add(1000 + user); // ids are the input's ids, not indices
                i.Add(50 + item);
                t.Add(1_600_000_000L + user * 1000 + item);
                w.Add(1 + (user + item) % 5);
            }
        return (u.ToArray(), i.ToArray(), t.ToArray(), w.ToArray());
    }

    public static async Task<int> WriteAsync(string datasetDir, bool withTimestamp = true)
    {
        var (u, i, t, w) = Interactions();
        Directory.CreateDirectory(Path.Combine(datasetDir, "interactions", "dt=2026-11-27"));
        var cols = new List<KeyValuePair<string, Array>> { new("user_id", u), new("item_id", i), new("weight", w) };
        if (withTimestamp)
            cols.Add(new("timestamp", t));
        await ColumnarFile.WriteAsync(
            Path.Combine(datasetDir, "interactions", "dt=2026-11-27", "part-00000.parquet"),
            cols
        );
        Directory.CreateDirectory(Path.Combine(datasetDir, "items"));
        await ColumnarFile.WriteAsync(
            Path.Combine(datasetDir, "items", "items.parquet"),
            [
                new("item_id", Enumerable.Range(0, Items).Select(x => 50L + x).ToArray()),
                new("title", Enumerable.Range(0, Items).Select(x => $"Item {x}").ToArray()),
            ]
        );
        return u.Length;
    }

    /// <summary>
    /// The config with <paramref name="extra"/> (more top-level members, e.g. <c>, "train": { "seed": 5 }</c>) laid over
    /// it key by key: a config file names each key once.
    /// </summary>
    public static string Overlay(string json, string extra)
    {
        if (string.IsNullOrWhiteSpace(extra))
            return json;
        var root = JsonNode.Parse(json)!.AsObject();
        Merge(root, JsonNode.Parse("{" + extra.Trim().TrimStart(',') + "}")!.AsObject());
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

        static void Merge(JsonObject into, JsonObject over)
        {
            foreach (var (key, value) in over.ToList())
            {
                if (into[key] is JsonObject a && value is JsonObject b)
                    Merge(a, b);
                else
                    into[key] = value?.DeepClone();
            }
        }
    }

    public static LoadedConfig Config(TempDir dir, string input, string extra = "")
    {
        var json = $$"""
            {
              "dataset": { "name": "tiny", "input": "{{input}}", "output": "out", "work": "work" },
              "model": { "kind": "lightgcn", "dim": 16, "layers": 2 },
              "train": { "maxEpochs": 30, "batchSize": 64, "learningRate": 0.05, "evalEvery": 5, "patience": 3, "device": "cpu" },
              "score": { "k": 5, "userChunk": 7 }
            }
            """;
        var path = dir.Sub("config.json");
        File.WriteAllText(path, Overlay(json, extra));
        return ConfigLoader.Load(path);
    }
}

/// <summary>A published partition read as a consumer would: every Parquet part in the folder, concatenated in name order.</summary>
public static class Partition
{
    public static async Task<Dictionary<string, Array>> ReadAsync(string dir)
    {
        var parts = Directory.GetFiles(dir, "*.parquet").Order(StringComparer.Ordinal).ToList();
        if (parts.Count == 0)
            throw new FileNotFoundException($"No Parquet part in '{dir}'.");
        var tables = new List<IReadOnlyDictionary<string, Array>>();
        foreach (var p in parts)
            tables.Add(await ColumnarFile.ReadAsync(p));
        return tables[0]
            .Keys.ToDictionary(
                k => k,
                k =>
                {
                    var type = tables[0][k].GetType().GetElementType()!;
                    var all = Array.CreateInstance(type, tables.Sum(t => t[k].Length));
                    var at = 0;
                    foreach (var t in tables)
                    {
                        Array.Copy(t[k], 0, all, at, t[k].Length);
                        at += t[k].Length;
                    }
                    return all;
                }
            );
    }
}
