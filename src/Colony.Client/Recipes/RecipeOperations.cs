using Colony.Coordination;

namespace Colony.Client.Recipes;

/// <summary>
/// The client calls the recipes share. A reply lost with the connection is retried where that is
/// safe: reads, deletes, and creates whose outcome the caller checks. Requests made while
/// disconnected wait for the reconnect, so a retry is simply the same call again.
/// </summary>
internal static class RecipeOperations
{
    /// <summary>Runs an idempotent operation until it gets an answer.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (ConnectionLossException)
            {
            }
        }
    }

    /// <summary>Creates <paramref name="path"/> and its missing ancestors as empty persistent nodes, as kazoo's ensure_path does.</summary>
    public static async Task EnsurePathAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        if (await RetryAsync(() => client.ExistsAsync(path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }
        int next = 0;
        while (next >= 0)
        {
            next = path.IndexOf('/', next + 1);
            string ancestor = next < 0 ? path : path[..next];
            await CreateIfMissingAsync(client, ancestor, data: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Creates a persistent node; true if this call created it, false if it already existed.</summary>
    public static async Task<bool> CreateIfMissingAsync(ZooKeeperClient client, string path, byte[]? data, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await client.CreateAsync(path, data, Acl.OpenUnsafe, CreateMode.Persistent, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (NodeExistsException)
            {
                // After a lost reply the node may be ours; either way it is there now.
                return false;
            }
            catch (ConnectionLossException)
            {
            }
        }
    }

    /// <summary>
    /// Deletes a node, retrying across connection loss; a node already gone, or a session already
    /// ended (which took its ephemeral nodes with it), counts as done.
    /// </summary>
    public static async Task DeleteQuietlyAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await client.DeleteAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NoNodeException)
            {
                return;
            }
            catch (ConnectionLossException)
            {
            }
            catch (Exception e) when (e is SessionExpiredException or ClientClosedException or AuthFailedException)
            {
                return;
            }
        }
    }

    /// <summary>A node's data and stat, or null when it does not exist; the watcher (if any) is set only on a node that exists.</summary>
    public static async Task<(byte[] Data, Stat Stat)?> TryGetDataAsync(ZooKeeperClient client, string path, Watcher? watcher, CancellationToken cancellationToken)
    {
        try
        {
            return await RetryAsync(() => client.GetDataAsync(path, watcher, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>A one-shot wake-up for watches: any event on the node, or any session change, sets it.</summary>
    public static (Watcher Watcher, Task Woken) WakeOnEvent() => WakeOnEventOf();

    /// <summary>As <see cref="WakeOnEvent"/>, and says which event woke the waiter.</summary>
    public static (Watcher Watcher, Task<WatchedEvent> Woken) WakeOnEventOf()
    {
        var wake = new EventWake();
        return (wake.Watcher, wake.Woken);
    }
}
