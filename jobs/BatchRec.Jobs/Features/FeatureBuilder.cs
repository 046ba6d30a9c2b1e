using BatchRec.Core;
using BatchRec.Core.Graph;
using BatchRec.Jobs.Io;
using Serilog;

namespace BatchRec.Jobs.Features;

/// <summary>What building the node features did (for the stage record and the manifest).</summary>
public sealed record FeatureStats(
    int Attributes,
    int ItemsWithText,
    int UsersWithText,
    string Source,
    EncodeStats? Items,
    EncodeStats? Users
);

/// <summary>
/// Turns the catalogue into the model's node features: attributes from items.tags, and text vectors from the
/// language model (or from items.embedding when that column is given).
/// </summary>
public static class FeatureBuilder
{
    /// <summary>
    /// The text an item is encoded from: title, tags and text, each when present, joined by ". ". Held-out items
    /// of eval.mode cold-items, and every item with text.itemText false, leave <c>text</c> out
    /// (<paramref name="catalogueOnly"/>): a new item has no user-derived text yet (the MovieLens importer puts
    /// user-applied tags there).
    /// </summary>
    public static string ItemText(CatalogueRow row, bool catalogueOnly)
    {
        var parts = new List<string>(3);
        if (!string.IsNullOrWhiteSpace(row.Title))
            parts.Add(row.Title.Trim());
        var tags = row.Tags.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t.Trim()).ToArray();
        if (tags.Length > 0)
            parts.Add(string.Join(", ", tags));
        if (!catalogueOnly && !string.IsNullOrWhiteSpace(row.Text))
            parts.Add(row.Text.Trim());
        return string.Join(". ", parts);
    }

    public static async Task<(NodeFeatures Features, FeatureStats Stats)> BuildAsync(
        Config config,
        string cacheDir,
        Catalogue catalogue,
        IdMap itemIds,
        bool[] heldOut,
        ILogger log,
        CancellationToken ct
    )
    {
        var numItems = catalogue.Items.Count;
        var numUsers = catalogue.Users.Count;
        var (attributes, names) = NodeFeaturesModule
            .attributesOfTags(catalogue.Items.Select(r => r.Tags.ToArray()).ToArray())
            .ToValueTuple();
        if (!ConfigModule.usesText(config))
        {
            // attributes only (gat), or nothing: no text is encoded
            var none = NodeFeaturesModule.none(numUsers, numItems);
            var f = new NodeFeatures(0, [], none.ItemHasText, [], none.UserHasText, attributes, names);
            return (f, new FeatureStats(names.Length, 0, 0, "none", null, null));
        }

        var itemHas = new bool[numItems];
        float[] itemText;
        EncodeStats? itemStats = null;
        string source;
        int dim;
        if (catalogue.HasEmbeddings)
        {
            // items.embedding replaces encoding: items with a vector use it, items without have no text feature.
            source = Schema.Input.Items + "." + Schema.Input.Embedding;
            dim = catalogue.Items.FirstOrDefault(r => r.Embedding is { Count: > 0 })?.Embedding!.Count ?? 0;
            itemText = new float[numItems * dim];
            for (var i = 0; i < numItems; i++)
            {
                if (catalogue.Items[i].Embedding is not { Count: > 0 } e)
                    continue;
                if (e.Count != dim)
                    throw new InputFormatException(
                        $"{Schema.Input.Items}.{Schema.Input.Embedding}: item '{itemIds.Id(i)}' has a {e.Count}-dim vector, the first vector has {dim} dims; all vectors must have the same length"
                    );
                if (e.Any(x => !float.IsFinite(x)))
                    throw new InputFormatException(
                        $"{Schema.Input.Items}.{Schema.Input.Embedding}: item '{itemIds.Id(i)}' has a NaN or infinite value"
                    );
                e.CopyTo(itemText, i * dim);
                itemHas[i] = true;
            }
        }
        else
        {
            source = config.Text.Encoder;
            dim = TextEncoder.Dim;
            var encoder = new TextEncoder(cacheDir, config.Text.Encoder, config.Text.BatchSize, log);
            var texts = new List<string>();
            var owners = new List<int>();
            for (var i = 0; i < numItems; i++)
            {
                var t = ItemText(catalogue.Items[i], catalogueOnly: heldOut[i] || !config.Text.ItemText);
                if (t.Length == 0)
                    continue;
                texts.Add(t);
                owners.Add(i);
            }
            itemText = new float[numItems * dim];
            var (vectors, stats) = await encoder.EncodeAsync(texts, ct);
            itemStats = stats;
            for (var k = 0; k < owners.Count; k++)
            {
                vectors[k].CopyTo(itemText, owners[k] * dim);
                itemHas[owners[k]] = true;
            }
        }

        var userHas = new bool[numUsers];
        var userText = Array.Empty<float>();
        EncodeStats? userStats = null;
        if (
            config.Text.UserText
            && !catalogue.HasEmbeddings
            && catalogue.Users.Any(u => !string.IsNullOrWhiteSpace(u.Text))
        )
        {
            var encoder = new TextEncoder(cacheDir, config.Text.Encoder, config.Text.BatchSize, log);
            var owners = Enumerable
                .Range(0, numUsers)
                .Where(u => !string.IsNullOrWhiteSpace(catalogue.Users[u].Text))
                .ToArray();
            var (vectors, stats) = await encoder.EncodeAsync(
                owners.Select(u => catalogue.Users[u].Text!.Trim()).ToArray(),
                ct
            );
            userStats = stats;
            userText = new float[numUsers * dim];
            for (var k = 0; k < owners.Length; k++)
            {
                vectors[k].CopyTo(userText, owners[k] * dim);
                userHas[owners[k]] = true;
            }
        }
        var features = new NodeFeatures(dim, itemText, itemHas, userText, userHas, attributes, names);
        return (
            features,
            new FeatureStats(names.Length, itemHas.Count(x => x), userHas.Count(x => x), source, itemStats, userStats)
        );
    }
}
