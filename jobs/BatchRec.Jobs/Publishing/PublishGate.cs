using System.Globalization;
using System.Text.Json;
using BatchRec.Core;
using BatchRec.Jobs.Configuration;
using BatchRec.Jobs.Runs;

namespace BatchRec.Jobs.Publishing;

/// <summary>
/// The publish gate, checked by the evaluate stage beside the champion check: a night whose input collapsed (an
/// upstream export with a handful of users left) must not publish a near-empty recommendations partition over
/// yesterday's. The run's recommended users (every user of its training data) and rows (Σ over them of min(K, items
/// the user has not interacted with), what the scoring shards will write) are compared with the last published run's
/// (<c>rows.users</c> and <c>rows.recommendations</c> of its manifest); below <c>publish.minUsersFraction</c> or
/// <c>publish.minRowsFraction</c> of them, the run is rejected like a champion rejection.
/// </summary>
public static class PublishGate
{
    /// <summary>The dataset's last-published pointer, under the work folder.</summary>
    public static string LastPublishedPath(LoadedConfig config) => Path.Combine(config.WorkDir, "last-published.json");

    /// <summary>The users the scoring shards will recommend to and the rows they will write: every user, min(K, unseen items) rows each. O(interactions).</summary>
    public static (long Users, long Rows) Expected(Snapshot snapshot, int k)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var users = snapshot.UserIds.Count;
        var items = snapshot.ItemIds.Count;
        var seen = new int[users];
        var pairs = new HashSet<long>();
        var i = snapshot.Interactions;
        for (var p = 0; p < i.Users.Length; p++)
            if (pairs.Add((long)i.Users[p] * items + i.Items[p]))
                seen[i.Users[p]]++;
        long rows = 0;
        for (var u = 0; u < users; u++)
            rows += Math.Min(k, items - seen[u]);
        return (users, rows);
    }

    /// <summary>
    /// The last published run (run id, users, rows): from the pointer the publish stage writes, else (data published
    /// before the pointer existed) from the newest manifest under <c>&lt;output&gt;/manifests</c>; null when nothing was published.
    /// </summary>
    public static (string RunId, long Users, long Rows)? LastPublished(LoadedConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (File.Exists(LastPublishedPath(config)))
        {
            var last = Json.Read<LastPublishedRecord>(LastPublishedPath(config));
            return (last.RunId, last.Users, last.Rows);
        }
        var root = Path.Combine(config.OutputDir, Schema.Output.Manifests);
        if (!Directory.Exists(root))
            return null;
        (string RunId, long Users, long Rows, DateTimeOffset At)? newest = null;
        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var m = doc.RootElement;
            if (
                !m.TryGetProperty("runId", out var id)
                || !m.TryGetProperty("publishedUtc", out var at)
                || !m.TryGetProperty("rows", out var rows)
                || !rows.TryGetProperty("users", out var u)
                || !rows.TryGetProperty("recommendations", out var r)
            )
                continue;
            var when = at.GetDateTimeOffset();
            if (newest is null || when > newest.Value.At)
                newest = (id.GetString()!, u.GetInt64(), r.GetInt64(), when);
        }
        return newest is { } n ? (n.RunId, n.Users, n.Rows) : null;
    }

    /// <summary>The gate's check of a run with <paramref name="users"/> and <paramref name="rows"/>, or null when both fractions are 0 (off).</summary>
    public static PublishGateCheck? Check(LoadedConfig config, long users, long rows)
    {
        ArgumentNullException.ThrowIfNull(config);
        var (minUsers, minRows) = (config.Config.Publish.MinUsersFraction, config.Config.Publish.MinRowsFraction);
        if (minUsers <= 0 && minRows <= 0)
            return null;
        var last = LastPublished(config);
        if (last is not { } l || (l.Users <= 0 && l.Rows <= 0))
            return new PublishGateCheck(
                true,
                users,
                rows,
                last?.RunId,
                last?.Users,
                last?.Rows,
                minUsers,
                minRows,
                $"publish gate: {users} users and {rows} rows; no run published yet to compare with"
            );
        var inv = CultureInfo.InvariantCulture;
        string Share(long now, long before) => before > 0 ? (100.0 * now / before).ToString("0.##", inv) + "%" : "–";
        var usersLow = minUsers > 0 && users < minUsers * l.Users;
        var rowsLow = minRows > 0 && rows < minRows * l.Rows;
        if (!usersLow && !rowsLow)
            return new PublishGateCheck(
                true,
                users,
                rows,
                l.RunId,
                l.Users,
                l.Rows,
                minUsers,
                minRows,
                string.Create(
                    inv,
                    $"publish gate: {users} users and {rows} rows, {Share(users, l.Users)} and {Share(rows, l.Rows)} of the last published run {l.RunId}'s {l.Users} and {l.Rows}"
                )
            );
        var problems = new List<string>();
        if (usersLow)
            problems.Add(
                string.Create(
                    inv,
                    $"{users} users would get recommendations, {Share(users, l.Users)} of the {l.Users} of the last published run {l.RunId}; publish.minUsersFraction = {minUsers:0.####} requires at least {Math.Ceiling(minUsers * l.Users):0}"
                )
            );
        if (rowsLow)
            problems.Add(
                string.Create(
                    inv,
                    $"{rows} recommendation rows, {Share(rows, l.Rows)} of the {l.Rows} of the last published run {l.RunId}; publish.minRowsFraction = {minRows:0.####} requires at least {Math.Ceiling(minRows * l.Rows):0}"
                )
            );
        return new PublishGateCheck(
            false,
            users,
            rows,
            l.RunId,
            l.Users,
            l.Rows,
            minUsers,
            minRows,
            $"publish gate: {string.Join("; ", problems)}. Has the input collapsed upstream? Nothing is published; the previous partitions stay"
        );
    }
}
