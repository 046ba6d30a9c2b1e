using BatchRec.Jobs.Io;
using Xunit;

namespace BatchRec.Jobs.Tests.Io;

public class ReadAheadFacts
{
    private static async IAsyncEnumerable<int> Numbers(int n, int failAt = -1, Action<int>? produced = null)
    {
        for (var i = 0; i < n; i++)
        {
            await Task.Yield();
            if (i == failAt)
                throw new InvalidDataException($"bad row group {i}");
            produced?.Invoke(i);
            yield return i;
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Items_ArriveInOrder_AllOfThem(int depth)
    {
        var seen = new List<int>();
        await foreach (var x in ReadAhead.Of(Numbers(200), depth))
            seen.Add(x);
        Assert.Equal(Enumerable.Range(0, 200), seen);
    }

    [Fact]
    public async Task TheProducersException_ReachesTheConsumer_AfterTheItemsBeforeIt()
    {
        var seen = new List<int>();
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var x in ReadAhead.Of(Numbers(10, failAt: 4), 2))
                seen.Add(x);
        });
        Assert.Equal("bad row group 4", e.Message);
        Assert.Equal([0, 1, 2, 3], seen);
    }

    [Fact]
    public async Task StoppingEarly_StopsTheProducer_WithinTheDepth()
    {
        var produced = 0;
        await foreach (var x in ReadAhead.Of(Numbers(1000, produced: _ => Interlocked.Increment(ref produced)), 2))
            if (x == 5)
                break;
        await Task.Delay(100);
        var after = Volatile.Read(ref produced);
        // at most the consumed six, the channel's two and one waiting to be written
        Assert.InRange(after, 6, 9);
        await Task.Delay(100);
        Assert.Equal(after, Volatile.Read(ref produced));
    }
}
