using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Client;

// Persistent watches, watch streams, and removing watches.
public sealed partial class ZooKeeperClient
{
    /// <summary>
    /// Sets a persistent watch that stays until removed: <see cref="AddWatchMode.Persistent"/> reports
    /// data and child changes of the node; <see cref="AddWatchMode.PersistentRecursive"/> reports
    /// creations, data changes and deletions of the node and all its descendants.
    /// </summary>
    public Task AddWatchAsync(string path, AddWatchMode mode, Watcher watcher, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        ArgumentNullException.ThrowIfNull(watcher);
        WatchKind kind = mode switch
        {
            AddWatchMode.Persistent => WatchKind.Persistent,
            AddWatchMode.PersistentRecursive => WatchKind.PersistentRecursive,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a watch mode"),
        };
        return SendAsync(OpCode.AddWatch, new AddWatchRequest(ServerPath(path), mode), (in ReplyHeader header, ReadOnlySpan<byte> _) =>
        {
            if (header.Err != ErrorCode.Ok)
            {
                throw ZooKeeperException.Create(header.Err, path);
            }
            watches.Add(kind, path, watcher);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// A persistent watch as a stream of node events, until <paramref name="cancellationToken"/> is
    /// cancelled or the enumeration is abandoned (which removes the watch). Session events are not
    /// yielded (see <see cref="StateChanged"/>): the watch survives reconnects. The stream ends
    /// when the client closes, and throws when the session expires or authentication fails.
    /// </summary>
    public async IAsyncEnumerable<WatchedEvent> WatchAsync(string path, AddWatchMode mode, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<WatchedEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        void OnEvent(WatchedEvent watchedEvent)
        {
            if (watchedEvent.Type != EventType.None)
            {
                channel.Writer.TryWrite(watchedEvent);
                return;
            }
            switch (watchedEvent.State)
            {
                case KeeperState.Closed:
                    channel.Writer.TryComplete();
                    break;
                case KeeperState.Expired:
                    channel.Writer.TryComplete(new SessionExpiredException());
                    break;
                case KeeperState.AuthFailed:
                    channel.Writer.TryComplete(new AuthFailedException());
                    break;
            }
        }

        Watcher watcher = OnEvent;
        await AddWatchAsync(path, mode, watcher, cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (WatchedEvent watchedEvent in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return watchedEvent;
            }
        }
        finally
        {
            await ForgetAsync(path, watcher).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes one watcher of the kinds <paramref name="type"/> covers from <paramref name="path"/>
    /// (it receives a DataWatchRemoved, ChildWatchRemoved or PersistentWatchRemoved event). The
    /// server is asked to confirm it holds such a watch; with <paramref name="local"/>, the watcher
    /// is removed even when the server cannot be reached. Throws <see cref="NoWatcherException"/>
    /// when there is no such watcher.
    /// </summary>
    public Task RemoveWatchesAsync(string path, Watcher watcher, WatcherType type, bool local = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return RemoveCoreAsync(OpCode.CheckWatches, path, watcher, type, local, cancellationToken);
    }

    /// <summary>Removes every watcher of the kinds <paramref name="type"/> covers from <paramref name="path"/>, here and on the server.</summary>
    public Task RemoveAllWatchesAsync(string path, WatcherType type, bool local = false, CancellationToken cancellationToken = default) =>
        RemoveCoreAsync(OpCode.RemoveWatches, path, null, type, local, cancellationToken);

    /// <summary>Whether the server holds a watch of this type on the path for this session.</summary>
    public Task<bool> CheckWatchesAsync(string path, WatcherType type, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return SendAsync(OpCode.CheckWatches, new CheckWatchesRequest(ServerPath(path), type), (in ReplyHeader header, ReadOnlySpan<byte> _) =>
            header.Err switch
            {
                ErrorCode.Ok => true,
                ErrorCode.NoWatcher => false,
                var error => throw ZooKeeperException.Create(error, path),
            }, cancellationToken);
    }

    private async Task RemoveCoreAsync(OpCode type, string path, Watcher? watcher, WatcherType watcherType, bool local, CancellationToken cancellationToken)
    {
        ZooKeeperPath.Validate(path);
        if (!watcherType.IsDefinedType())
        {
            throw new ArgumentOutOfRangeException(nameof(watcherType), watcherType, "not a watcher type");
        }
        if (!watches.Contains(path, watcher, watcherType))
        {
            throw new NoWatcherException(path);
        }
        ClientRequest request = type == OpCode.CheckWatches
            ? new CheckWatchesRequest(ServerPath(path), watcherType)
            : new RemoveWatchesRequest(ServerPath(path), watcherType);
        try
        {
            await SendAsync(type, request, Empty(path), cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException) when (local)
        {
            // Local removal goes ahead whatever the server says.
        }
        List<(Watcher Watcher, EventType Removed)> removed = watches.Remove(path, watcher, watcherType);
        foreach ((Watcher removedWatcher, EventType removedEvent) in removed)
        {
            events.Dispatch([removedWatcher], new WatchedEvent(removedEvent, KeeperState.SyncConnected, path));
        }
    }

    /// <summary>A watch stream ended: drop its watcher, and the server's watch when nothing else here watches the path.</summary>
    private async Task ForgetAsync(string path, Watcher watcher)
    {
        watches.Remove(path, watcher, WatcherType.Any);
        if (watches.Contains(path, null, WatcherType.Any))
        {
            return;
        }
        lock (gate)
        {
            if (terminalError is not null || connection is null)
            {
                // Disconnected: the watch is simply not re-registered.
                return;
            }
        }
        try
        {
            await SendAsync(OpCode.RemoveWatches, new RemoveWatchesRequest(ServerPath(path), WatcherType.Any), Empty(path), CancellationToken.None).ConfigureAwait(false);
        }
        catch (ZooKeeperException)
        {
            // Best effort: at worst the server sends a few events nobody listens to.
        }
    }
}

internal static class WatcherTypeExtensions
{
    public static bool IsDefinedType(this WatcherType type) => type is WatcherType.Children or WatcherType.Data or WatcherType.Any;
}
