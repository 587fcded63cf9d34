using System.Collections.Concurrent;

namespace Colony.Client.Blocks;

/// <summary>
/// Connections to data nodes that finished a read cleanly, kept for the next read from the same node, as HDFS keeps
/// its peer cache: a connection reused costs no TCP or TLS handshake (over TLS about 2.4 ms of CPU for the two ends).
/// A connection waits here at most <see cref="BlockTransferOptions.IdleTimeout"/>; the node waits twice as long for
/// its next request before it closes it, so a connection taken from here is rarely one the node has just closed, and
/// a read that finds it closed anyway goes again on a new one. A timer closes connections left unused past their time.
/// </summary>
internal sealed class IdleConnections(TimeSpan keep, int perNode, TimeProvider time) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentStack<Parked>> _byNode = new(StringComparer.Ordinal);
    private ITimer? _sweeper;
    private int _disposed;

    /// <summary>Whether connections are kept at all (a zero idle time turns reuse off).</summary>
    public bool Enabled => keep > TimeSpan.Zero && perNode > 0;

    /// <summary>The most recently parked connection to <paramref name="node"/> still fresh enough, or null; stale ones are closed.</summary>
    public async ValueTask<FrameConnection?> TakeAsync(string node)
    {
        if (!_byNode.TryGetValue(node, out ConcurrentStack<Parked>? parked))
        {
            return null;
        }
        while (parked.TryPop(out Parked entry))
        {
            if (time.GetUtcNow() - entry.Since < keep && Volatile.Read(ref _disposed) == 0)
            {
                return entry.Connection;
            }
            await entry.Connection.DisposeAsync().ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>Keeps <paramref name="connection"/> for the next read from <paramref name="node"/>, or closes it when it cannot be kept.</summary>
    public async ValueTask ReturnAsync(string node, FrameConnection connection)
    {
        ConcurrentStack<Parked> parked = _byNode.GetOrAdd(node, static _ => new ConcurrentStack<Parked>());
        if (!Enabled || Volatile.Read(ref _disposed) != 0 || parked.Count >= perNode || !connection.TryPark())
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }
        parked.Push(new Parked(connection, time.GetUtcNow()));
        if (_sweeper is null)
        {
            var sweeper = time.CreateTimer(static state => _ = ((IdleConnections)state!).SweepAsync(), this, keep, keep);
            if (Interlocked.CompareExchange(ref _sweeper, sweeper, null) is not null)
            {
                sweeper.Dispose();
            }
        }
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed while it was being parked: nobody else will close it, nor stop the timer started here.
            Interlocked.Exchange(ref _sweeper, null)?.Dispose();
            await CloseAllAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        Interlocked.Exchange(ref _sweeper, null)?.Dispose();
        await CloseAllAsync().ConfigureAwait(false);
    }

    /// <summary>Closes the connections parked longer than their time; the fresh ones stay, most recent on top.</summary>
    private async Task SweepAsync()
    {
        foreach (ConcurrentStack<Parked> parked in _byNode.Values)
        {
            var fresh = new List<Parked>();
            while (parked.TryPop(out Parked entry))
            {
                if (time.GetUtcNow() - entry.Since < keep && Volatile.Read(ref _disposed) == 0)
                {
                    fresh.Add(entry);
                }
                else
                {
                    await entry.Connection.DisposeAsync().ConfigureAwait(false);
                }
            }
            for (int i = fresh.Count - 1; i >= 0; i--)
            {
                parked.Push(fresh[i]);
            }
        }
    }

    private async ValueTask CloseAllAsync()
    {
        foreach (ConcurrentStack<Parked> parked in _byNode.Values)
        {
            while (parked.TryPop(out Parked entry))
            {
                await entry.Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private readonly record struct Parked(FrameConnection Connection, DateTimeOffset Since);
}
