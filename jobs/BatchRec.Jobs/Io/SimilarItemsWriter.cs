using BatchRec.Core;
using BatchRec.Core.Eval;
using Parquet;
using Parquet.Schema;

namespace BatchRec.Jobs.Io;

/// <summary>
/// Writes the similar_items table: item_id (the input's item id type), rank int32 (1..K), similar_item_id (same type),
/// score float, similarity_kind string (how the item's list was found: <see cref="SimilarityKind"/>), model string,
/// run_id string; all required. Rows are item by item in index order, ranks ascending; an item with fewer similar
/// items than K has fewer rows. Written through a temporary file renamed into place.
/// </summary>
public static class SimilarItemsWriter
{
    /// <summary>Items per row group.</summary>
    public const int ItemsPerGroup = 65536;

    /// <summary>Writes <paramref name="similar"/> to <paramref name="path"/>; returns the rows written.</summary>
    public static async Task<long> WriteAsync(
        string path,
        SimilarItems similar,
        OutputIds items,
        string model,
        string runId,
        CancellationToken ct = default
    )
    {
        ArgumentNullException.ThrowIfNull(similar);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count != similar.NumItems)
            throw new ArgumentException($"{items.Count} item ids for {similar.NumItems} items", nameof(items));
        var itemId = RecommendationWriter.IdField(Schema.Input.ItemId, items.Kind);
        var rank = new DataField<int>(Schema.Output.Rank);
        var similarId = RecommendationWriter.IdField(Schema.Output.SimilarItemId, items.Kind);
        var score = new DataField<float>(Schema.Output.Score);
        var kind = ParquetOutput.RequiredString(Schema.Output.SimilarityKind);
        var modelField = ParquetOutput.RequiredString(Schema.Output.Model);
        var runField = ParquetOutput.RequiredString(Schema.Output.RunId);
        var schema = new ParquetSchema(itemId, rank, similarId, score, kind, modelField, runField);
        long rows = 0;
        await ParquetOutput
            .WriteAtomicallyAsync(path, async stream =>
            {
                await using var writer = await ParquetWriter
                    .CreateAsync(schema, stream, ParquetOutput.WriteOptions, false, ct)
                    .ConfigureAwait(false);
                for (var first = 0; first < similar.NumItems; first += ItemsPerGroup)
                {
                    ct.ThrowIfCancellationRequested();
                    var last = Math.Min(similar.NumItems, first + ItemsPerGroup);
                    var src = new List<int>();
                    var ranks = new List<int>();
                    var dst = new List<int>();
                    var scores = new List<float>();
                    var kinds = new List<string>();
                    for (var i = first; i < last; i++)
                    {
                        var n = similar.Count(i);
                        for (var r = 0; r < n; r++)
                        {
                            src.Add(i);
                            ranks.Add(r + 1);
                            dst.Add(similar.Items[i * similar.K + r]);
                            scores.Add(similar.Scores[i * similar.K + r]);
                            kinds.Add(similar.Kinds[i].Name);
                        }
                    }
                    if (src.Count == 0)
                        continue;
                    using var group = writer.CreateRowGroup();
                    await RecommendationWriter
                        .WriteGatheredAsync(group, itemId, items, [.. src], ct)
                        .ConfigureAwait(false);
                    await group.WriteAsync<int>(rank, ranks.ToArray(), cancellationToken: ct).ConfigureAwait(false);
                    await RecommendationWriter
                        .WriteGatheredAsync(group, similarId, items, [.. dst], ct)
                        .ConfigureAwait(false);
                    await group.WriteAsync<float>(score, scores.ToArray(), cancellationToken: ct).ConfigureAwait(false);
                    await ParquetOutput
                        .WriteStringsAsync(group, kind, [.. kinds], 0, kinds.Count, ct)
                        .ConfigureAwait(false);
                    await ParquetOutput
                        .WriteConstantAsync(group, modelField, model, src.Count, ct)
                        .ConfigureAwait(false);
                    await ParquetOutput.WriteConstantAsync(group, runField, runId, src.Count, ct).ConfigureAwait(false);
                    group.CompleteValidate();
                    rows += src.Count;
                }
            })
            .ConfigureAwait(false);
        return rows;
    }
}
