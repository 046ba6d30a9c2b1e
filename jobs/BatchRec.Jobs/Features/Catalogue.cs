using BatchRec.Core;
using BatchRec.Jobs.Io;
using Parquet.Serialization;

namespace BatchRec.Jobs.Features;

/// <summary>One item's catalogue entry, aligned with the snapshot's item index (row i = item index i).</summary>
public sealed class CatalogueRow
{
    public string? Title { get; set; }
    public string? Text { get; set; }
    public List<string> Tags { get; set; } = [];

    /// <summary>The precomputed vector of <c>items.embedding</c>, when given.</summary>
    public List<float>? Embedding { get; set; }
}

/// <summary>One user's profile text, aligned with the snapshot's user index.</summary>
public sealed class ProfileRow
{
    public string? Text { get; set; }
}

/// <summary>
/// The items and users tables as the model needs them, aligned with the snapshot's canonical indices and stored
/// beside the snapshot, so training reads exactly what ingest saw.
/// </summary>
public sealed record Catalogue(
    IReadOnlyList<CatalogueRow> Items,
    IReadOnlyList<ProfileRow> Users,
    bool HasItemsTable,
    bool HasEmbeddings
)
{
    private const string ItemsFile = "catalogue.parquet";
    private const string UsersFile = "profiles.parquet";
    private const string InfoFile = "catalogue.json";

    private sealed record Info(bool HasItemsTable, bool HasEmbeddings);

    /// <summary>
    /// Aligns the items/users tables with the id maps: rows for ids the maps do not know are ignored (the snapshot's
    /// item map already includes every catalogue item); a repeated id keeps its first row.
    /// </summary>
    public static Catalogue Align(IdMap itemIds, IdMap userIds, ItemRows? items, UserRows? users)
    {
        var rows = Enumerable.Range(0, itemIds.Count).Select(_ => new CatalogueRow()).ToArray();
        var seen = new bool[itemIds.Count];
        if (items is not null)
        {
            for (var r = 0; r < items.Count; r++)
            {
                var i = itemIds.IndexOrMinusOne(items.ItemIds[r]);
                if (i < 0 || seen[i])
                    continue;
                seen[i] = true;
                rows[i] = new CatalogueRow
                {
                    Title = items.Titles[r],
                    Text = items.Texts[r],
                    Tags = [.. items.Tags[r] ?? []],
                    Embedding = items.Embeddings?[r] is { } e ? [.. e] : null,
                };
            }
        }
        var profiles = Enumerable.Range(0, userIds.Count).Select(_ => new ProfileRow()).ToArray();
        if (users is not null)
        {
            var seenUser = new bool[userIds.Count];
            for (var r = 0; r < users.Count; r++)
            {
                var u = userIds.IndexOrMinusOne(users.UserIds[r]);
                if (u < 0 || seenUser[u])
                    continue;
                seenUser[u] = true;
                profiles[u] = new ProfileRow { Text = users.Texts[r] };
            }
        }
        return new Catalogue(rows, profiles, items is not null, items?.Embeddings is not null);
    }

    public async Task WriteAsync(string dir, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        await ParquetSerializer.SerializeAsync(Items, Path.Combine(dir, ItemsFile), cancellationToken: ct);
        await ParquetSerializer.SerializeAsync(Users, Path.Combine(dir, UsersFile), cancellationToken: ct);
        Runs.Json.WriteAtomic(Path.Combine(dir, InfoFile), new Info(HasItemsTable, HasEmbeddings));
    }

    /// <summary>Only the items' titles, in index order (null where an item has none): what naming items needs, without
    /// their text, tags, vectors or the user profiles.</summary>
    public static async Task<string?[]> ReadTitlesAsync(string dir, CancellationToken ct)
    {
        await using var source = await Io.ParquetSource.OpenAsync(Path.Combine(dir, ItemsFile), ct);
        var title = source.Require(nameof(CatalogueRow.Title), "string", Io.ColumnType.String);
        var titles = new List<string?>();
        foreach (var group in source.RowGroups())
            titles.AddRange(await group.ReadStringsAsync(title, ct));
        return [.. titles];
    }

    public static async Task<Catalogue> ReadAsync(string dir, CancellationToken ct)
    {
        var info = Runs.Json.Read<Info>(Path.Combine(dir, InfoFile));
        var items = await ParquetSerializer.DeserializeAsync<CatalogueRow>(
            Path.Combine(dir, ItemsFile),
            cancellationToken: ct
        );
        var users = await ParquetSerializer.DeserializeAsync<ProfileRow>(
            Path.Combine(dir, UsersFile),
            cancellationToken: ct
        );
        return new Catalogue(items.Data.ToList(), users.Data.ToList(), info.HasItemsTable, info.HasEmbeddings);
    }
}
