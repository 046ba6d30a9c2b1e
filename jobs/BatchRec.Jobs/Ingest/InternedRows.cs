using BatchRec.Core;

namespace BatchRec.Jobs.Ingest;

/// <summary>
/// Accepted interactions as they stream in: user, item and event ids interned in arrival order, times and weights
/// beside them. <see cref="Freeze"/> turns the provisional indices into canonical ones and deduplicates
/// (<see cref="Core.Ingest.dedupe"/>). The one accumulator of the partition store (rows within a partition) and of the
/// merge of partitions (rows across them); row <c>k</c> of <see cref="Add"/> is row <c>k</c> of the frozen arrays, so
/// callers may keep their own per-row columns beside it.
/// </summary>
internal sealed class InternedRows
{
    private readonly IdMapBuilder _users = new();
    private readonly IdMapBuilder _items = new();
    private readonly IdMapBuilder _events = new();
    private readonly List<int> _u = [];
    private readonly List<int> _i = [];
    private readonly List<long> _t = [];
    private readonly List<float> _w = [];
    private readonly List<int> _e = [];

    /// <summary>Adds one accepted row (event "" when the input has none).</summary>
    public void Add(string user, string item, long seconds, float weight, string eventType)
    {
        _u.Add(_users.Intern(user));
        _i.Add(_items.Intern(item));
        _t.Add(seconds);
        _w.Add(weight);
        _e.Add(_events.Intern(eventType));
    }

    /// <summary>Puts an item in the item map without a row (a catalogue item nobody has interacted with yet).</summary>
    public void AddItem(string item) => _items.Intern(item);

    /// <summary>The canonical id maps, every row's canonical indices, and the rows kept after deduplication.</summary>
    public Frozen Freeze()
    {
        var (userMap, userRemap) = _users.Freeze();
        var (itemMap, itemRemap) = _items.Freeze();
        var (eventMap, eventRemap) = _events.Freeze();
        var users = Remap(_u, userRemap);
        var items = Remap(_i, itemRemap);
        var events = Remap(_e, eventRemap);
        var times = _t.ToArray();
        var weights = _w.ToArray();
        var kept = Core.Ingest.dedupe(users, items, times, events, weights);
        return new Frozen(userMap, itemMap, eventMap, users, items, times, weights, events, kept);
    }

    private static int[] Remap(List<int> provisional, int[] map)
    {
        var a = new int[provisional.Count];
        for (int k = 0; k < a.Length; k++)
            a[k] = map[provisional[k]];
        return a;
    }

    /// <summary>Rows in canonical indices (position = the order of <see cref="Add"/>); <paramref name="Kept"/> the
    /// positions that survive deduplication, ascending.</summary>
    internal sealed record Frozen(
        IdMap UserMap,
        IdMap ItemMap,
        IdMap EventMap,
        int[] Users,
        int[] Items,
        long[] Times,
        float[] Weights,
        int[] Events,
        int[] Kept
    );
}
