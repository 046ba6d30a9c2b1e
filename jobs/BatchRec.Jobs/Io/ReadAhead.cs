using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace BatchRec.Jobs.Io;

/// <summary>
/// Runs an async sequence's producer on another thread, up to <c>depth</c> items ahead of the consumer: Parquet
/// decoding of the next row group overlaps the validation of the current one. Items arrive in order; the
/// producer's exception is rethrown to the consumer at the point it happened; stopping the consumer early stops the
/// producer. The items must not share buffers (each row group's arrays are its own).
/// </summary>
public static class ReadAhead
{
    public static async IAsyncEnumerable<T> Of<T>(
        IAsyncEnumerable<T> source,
        int depth,
        [EnumeratorCancellation] CancellationToken ct = default
    )
    {
        if (depth <= 0)
        {
            await foreach (var x in source.WithCancellation(ct).ConfigureAwait(false))
                yield return x;
            yield break;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<T>(
            new BoundedChannelOptions(depth) { SingleReader = true, SingleWriter = true }
        );
        var producer = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var x in source.WithCancellation(stop.Token).ConfigureAwait(false))
                        await channel.Writer.WriteAsync(x, stop.Token).ConfigureAwait(false);
                    channel.Writer.Complete();
                }
                catch (Exception e)
                {
                    channel.Writer.Complete(e);
                }
            },
            CancellationToken.None
        );
        try
        {
            await foreach (var x in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                yield return x;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException) { }
        }
    }
}
