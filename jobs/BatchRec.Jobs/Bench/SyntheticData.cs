using System.Globalization;
using BatchRec.Core;
using BatchRec.Jobs.Io;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Bench;

/// <summary>The shape of a synthetic dataset (the benchmark harness's input).</summary>
/// <param name="Interactions">Rows of the interactions table.</param>
/// <param name="Users">Users; each gets at least <paramref name="MinPerUser"/> interactions.</param>
/// <param name="Items">Items of the catalogue (some may never be interacted with: cold items).</param>
/// <param name="Communities">Planted taste groups: every user and item belongs to one.</param>
/// <param name="InCommunity">Probability that an interaction picks an item of the user's own community.</param>
/// <param name="ItemExponent">Zipf exponent of item popularity (rank r has weight (r+1)^-s).</param>
/// <param name="UserExponent">Zipf exponent of the activity of users beyond their minimum.</param>
public sealed record SyntheticSpec(
    long Interactions,
    int Users,
    int Items,
    int Seed = 2020,
    int Communities = 64,
    double InCommunity = 0.8,
    double ItemExponent = 0.9,
    double UserExponent = 0.8,
    int MinPerUser = 5,
    int TagVocabulary = 500,
    int RowsPerFile = 5_000_000,
    int RowsPerGroup = 1_000_000
)
{
    /// <summary>The harness's default shape for a size: 20 interactions per user and 100 per item (20M → 1M users, 200k items).</summary>
    public static SyntheticSpec OfSize(long interactions, int seed = 2020) =>
        new(interactions, (int)Math.Max(1, interactions / 20), (int)Math.Max(1, interactions / 100), seed);
}

/// <summary>What the generator wrote.</summary>
public sealed record SyntheticSummary(long Interactions, int Users, int Items, int Files, double Seconds);

/// <summary>
/// Writes a synthetic dataset in the input layout (<c>interactions/part-*.parquet</c>: user_id, item_id, timestamp,
/// weight, event_type; <c>items/part-00000.parquet</c>: item_id, title, text, tags) with the statistics that make
/// recommendation hard at scale: power-law item popularity and user activity, and a planted structure a model can
/// learn (users and items belong to communities; most interactions stay inside the user's community; an item's tags
/// and text name its community). Streams row groups, so memory is O(users + items + one row group). Seeded: the same
/// spec writes the same files. Output goes to a temporary sibling folder renamed into place.
/// </summary>
public static class SyntheticData
{
    private const long Start = 1_577_836_800; // 2020-01-01T00:00:00Z
    private const long Span = 365L * 24 * 3600;

    private static readonly string[] Words =
    [
        "space",
        "war",
        "love",
        "family",
        "crime",
        "city",
        "robot",
        "river",
        "island",
        "winter",
        "music",
        "dream",
        "ghost",
        "king",
        "ocean",
        "desert",
        "night",
        "school",
        "heist",
        "storm",
        "forest",
        "empire",
        "secret",
        "road",
        "machine",
        "garden",
        "mountain",
        "train",
        "dragon",
        "planet",
        "detective",
        "comedy",
        "sport",
        "journey",
        "monster",
        "hero",
        "village",
        "circus",
        "prison",
        "castle",
        "volcano",
        "pirate",
        "spy",
        "wedding",
        "kitchen",
        "galaxy",
        "jungle",
        "harbour",
        "murder",
        "revenge",
        "friendship",
        "border",
        "time",
        "memory",
        "court",
        "election",
        "hospital",
        "theatre",
        "submarine",
        "frontier",
        "orbit",
        "festival",
        "museum",
        "mine",
    ];

    public static async Task<SyntheticSummary> WriteAsync(
        SyntheticSpec spec,
        string outDir,
        CancellationToken ct = default
    )
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Interactions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Users);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Items);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Communities);
        if ((long)spec.Users * spec.MinPerUser > spec.Interactions)
            throw new ArgumentException(
                $"{spec.Users} users × {spec.MinPerUser} interactions each exceed {spec.Interactions} interactions"
            );
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        var temp = Path.Combine(
            Path.GetDirectoryName(target)!,
            $".{Path.GetFileName(target)}.synth-{Guid.NewGuid():N}"
        );
        try
        {
            var rng = new Random(spec.Seed);
            // items: community, and a popularity rank (a random permutation, so popularity is independent of the id)
            var itemCommunity = new int[spec.Items];
            for (var i = 0; i < spec.Items; i++)
                itemCommunity[i] = rng.Next(spec.Communities);
            var rank = Permutation(rng, spec.Items);
            var itemWeight = new double[spec.Items];
            for (var i = 0; i < spec.Items; i++)
                itemWeight[i] = Math.Pow(rank[i] + 1, -spec.ItemExponent);
            var global = new AliasTable(itemWeight);
            var members = Enumerable.Range(0, spec.Communities).Select(_ => new List<int>()).ToArray();
            for (var i = 0; i < spec.Items; i++)
                members[itemCommunity[i]].Add(i);
            var local = members
                .Select(m => m.Count == 0 ? null : new AliasTable(m.Select(i => itemWeight[i]).ToArray()))
                .ToArray();
            var userCommunity = new int[spec.Users];
            for (var u = 0; u < spec.Users; u++)
                userCommunity[u] = rng.Next(spec.Communities);
            var userRank = Permutation(rng, spec.Users);
            var userActivity = new AliasTable(
                Enumerable.Range(0, spec.Users).Select(u => Math.Pow(userRank[u] + 1, -spec.UserExponent)).ToArray()
            );

            var files = await WriteInteractionsAsync(
                spec,
                Path.Combine(temp, Schema.Input.Interactions),
                rng,
                userCommunity,
                userActivity,
                global,
                local,
                members,
                ct
            );
            await WriteItemsAsync(
                spec,
                Path.Combine(temp, Schema.Input.Items, "part-00000.parquet"),
                rng,
                itemCommunity,
                ct
            );
            if (Directory.Exists(target))
                Directory.Delete(target, recursive: true);
            Directory.Move(temp, target);
            return new SyntheticSummary(spec.Interactions, spec.Users, spec.Items, files, sw.Elapsed.TotalSeconds);
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    private static int[] Permutation(Random rng, int n)
    {
        var p = new int[n];
        for (var i = 0; i < n; i++)
            p[i] = i;
        rng.Shuffle(p);
        return p;
    }

    private static async Task<int> WriteInteractionsAsync(
        SyntheticSpec spec,
        string dir,
        Random rng,
        int[] userCommunity,
        AliasTable userActivity,
        AliasTable global,
        AliasTable?[] local,
        List<int>[] members,
        CancellationToken ct
    )
    {
        Directory.CreateDirectory(dir);
        var (userId, itemId, timestamp, weight, eventType, schema) = ParquetOutput.InteractionFields();
        var minRows = (long)spec.Users * spec.MinPerUser;
        long row = 0;
        var file = 0;
        var groupSize = (int)Math.Min(spec.RowsPerGroup, spec.Interactions);
        var users = new long[groupSize];
        var items = new long[groupSize];
        var times = new long[groupSize];
        var weights = new float[groupSize];
        while (row < spec.Interactions)
        {
            var path = Path.Combine(dir, $"part-{file:D5}.parquet");
            await using var stream = new FileStream(
                path,
                FileMode.CreateNew,
                FileAccess.ReadWrite,
                FileShare.None,
                1 << 16,
                useAsync: true
            );
            await using var writer = await ParquetWriter.CreateAsync(
                schema,
                stream,
                ParquetOutput.WriteOptions,
                false,
                ct
            );
            var fileEnd = Math.Min(spec.Interactions, row + spec.RowsPerFile);
            while (row < fileEnd)
            {
                ct.ThrowIfCancellationRequested();
                var n = (int)Math.Min(groupSize, fileEnd - row);
                for (var k = 0; k < n; k++, row++)
                {
                    // first every user's minimum, then the rest by power-law activity
                    var u = row < minRows ? (int)(row / spec.MinPerUser) : userActivity.Sample(rng);
                    var c = userCommunity[u];
                    var inside = local[c] is not null && rng.NextDouble() < spec.InCommunity;
                    var i = inside ? members[c][local[c]!.Sample(rng)] : global.Sample(rng);
                    users[k] = u + 1;
                    items[k] = i + 1;
                    times[k] = Start + (long)(rng.NextDouble() * Span);
                    weights[k] = 1 + rng.Next(9) * 0.5f;
                }
                using var group = writer.CreateRowGroup();
                await group.WriteAsync<long>(userId, users.AsMemory(0, n), cancellationToken: ct);
                await group.WriteAsync<long>(itemId, items.AsMemory(0, n), cancellationToken: ct);
                await group.WriteAsync<long>(timestamp, times.AsMemory(0, n), cancellationToken: ct);
                await group.WriteAsync<float>(weight, weights.AsMemory(0, n), cancellationToken: ct);
                await ParquetOutput.WriteConstantAsync(group, eventType, "view", n, ct);
                group.CompleteValidate();
            }
            file++;
        }
        return file;
    }

    private static async Task WriteItemsAsync(
        SyntheticSpec spec,
        string path,
        Random rng,
        int[] itemCommunity,
        CancellationToken ct
    )
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var ids = new long[spec.Items];
        var titles = new string[spec.Items];
        var texts = new string[spec.Items];
        var tags = new string[spec.Items][];
        for (var i = 0; i < spec.Items; i++)
        {
            var c = itemCommunity[i];
            // the community's two theme words, plus noise words; tags: the community's genre and zero to two free tags
            string theme1 = Words[c % Words.Length],
                theme2 = Words[(c * 7 + 3) % Words.Length];
            string w1 = Words[rng.Next(Words.Length)],
                w2 = Words[rng.Next(Words.Length)];
            ids[i] = i + 1;
            titles[i] = string.Create(CultureInfo.InvariantCulture, $"The {w1} {theme1} {i + 1}");
            texts[i] = $"A story of {theme1} and {theme2}, with a {w2}.";
            var free = rng.Next(3);
            var t = new string[1 + free];
            t[0] = string.Create(CultureInfo.InvariantCulture, $"genre-{c}");
            for (var k = 1; k <= free; k++)
                t[k] = string.Create(
                    CultureInfo.InvariantCulture,
                    $"tag-{(int)Math.Floor(Math.Pow(rng.NextDouble(), 3) * spec.TagVocabulary)}"
                );
            tags[i] = t.Distinct().ToArray();
        }
        var itemId = new DataField<long>(Schema.Input.ItemId);
        var title = new DataField<string>(Schema.Input.Title);
        var text = new DataField<string>(Schema.Input.Text);
        var tagList = new ListField(Schema.Input.Tags, new DataField<string>(ListField.ElementName));
        var tagLeaf = (DataField)tagList.Item;
        await using var stream = new FileStream(
            path,
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            1 << 16,
            useAsync: true
        );
        await using var writer = await ParquetWriter.CreateAsync(
            new ParquetSchema(itemId, title, text, tagList),
            stream,
            ParquetOutput.WriteOptions,
            false,
            ct
        );
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<long>(itemId, ids, cancellationToken: ct);
        await group.WriteAsync(title, titles);
        await group.WriteAsync(text, texts);
        var (values, definitions, repetitions) = MovieLensImporter.ListLevels(tagLeaf, tags);
        await group.WriteAllPartsAsync<ReadOnlyMemory<char>>(tagLeaf, values, definitions, repetitions, ct);
        group.CompleteValidate();
    }

    /// <summary>Walker's alias method: O(n) to build, O(1) per draw from a discrete distribution.</summary>
    private sealed class AliasTable
    {
        private readonly double[] _prob;
        private readonly int[] _alias;

        public AliasTable(double[] weights)
        {
            var n = weights.Length;
            _prob = new double[n];
            _alias = new int[n];
            var sum = weights.Sum();
            var scaled = weights.Select(w => w * n / sum).ToArray();
            var small = new Stack<int>();
            var large = new Stack<int>();
            for (var i = 0; i < n; i++)
                (scaled[i] < 1 ? small : large).Push(i);
            while (small.Count > 0 && large.Count > 0)
            {
                int s = small.Pop(),
                    l = large.Pop();
                _prob[s] = scaled[s];
                _alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1;
                (scaled[l] < 1 ? small : large).Push(l);
            }
            foreach (var i in large)
            {
                _prob[i] = 1;
                _alias[i] = i;
            }
            foreach (var i in small)
            {
                _prob[i] = 1;
                _alias[i] = i;
            }
        }

        public int Sample(Random rng)
        {
            var i = rng.Next(_prob.Length);
            return rng.NextDouble() < _prob[i] ? i : _alias[i];
        }
    }
}
