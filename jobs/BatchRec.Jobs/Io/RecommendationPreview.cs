using BatchRec.Core;

namespace BatchRec.Jobs.Io;

/// <summary>One row of a recommendations part, ids as strings (int ids in invariant decimal form).</summary>
public sealed record RecommendationRow(
    string UserId,
    int Rank,
    string ItemId,
    float Score,
    string? ReasonItemId,
    bool ColdStart
);

/// <summary>Reads the first users' rows of a recommendations part (the run page's preview), row group by row group, so a
/// large part is not read whole.</summary>
public static class RecommendationPreview
{
    /// <summary>The rows of the first <paramref name="users"/> users of <paramref name="part"/>, in file order.</summary>
    /// <exception cref="InputFormatException">The file is not a recommendations part (a column missing or of another type).</exception>
    public static async Task<IReadOnlyList<RecommendationRow>> ReadFirstUsersAsync(
        string part,
        int users,
        CancellationToken ct = default
    )
    {
        await using var source = await ParquetSource.OpenAsync(part, ct).ConfigureAwait(false);
        var ids = new[] { ColumnType.String, ColumnType.Int64, ColumnType.Int32 };
        var user = source.Require(Schema.Output.UserId, "string, int64 or int32", ids);
        var rank = source.Require(Schema.Output.Rank, "int32", ColumnType.Int32);
        var item = source.Require(Schema.Output.ItemId, "string, int64 or int32", ids);
        var score = source.Require(Schema.Output.Score, "float", ColumnType.Float);
        var reason = source.Require(Schema.Output.ReasonItemId, "string, int64 or int32", ids);
        var cold = source.Require(Schema.Output.ColdStart, "boolean", ColumnType.Other);
        var rows = new List<RecommendationRow>();
        var seen = 0;
        string? current = null;
        foreach (var group in source.RowGroups())
        {
            var u = await group.ReadIdsAsync(user, ct).ConfigureAwait(false);
            var r = await group.ReadRequiredAsync<int>(rank, ct).ConfigureAwait(false);
            var i = await group.ReadIdsAsync(item, ct).ConfigureAwait(false);
            var s = await group.ReadFloatsAsync(score, float.NaN, ct).ConfigureAwait(false);
            var why = await group.ReadNullableIdsAsync(reason, ct).ConfigureAwait(false);
            var c = await group.ReadRequiredAsync<bool>(cold, ct).ConfigureAwait(false);
            for (var k = 0; k < group.Rows; k++)
            {
                if (u[k] != current)
                {
                    if (seen == users)
                        return rows;
                    current = u[k];
                    seen++;
                }
                rows.Add(new RecommendationRow(u[k], r[k], i[k], s[k], why[k], c[k]));
            }
        }
        return rows;
    }
}
