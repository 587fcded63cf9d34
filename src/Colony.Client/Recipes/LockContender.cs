using System.Text;
using Colony.Coordination;

namespace Colony.Client.Recipes;

/// <summary>
/// One attempt to take a lock of the kazoo family: create an ephemeral sequential node under the
/// lock path, then wait until no node of a kind it yields to has a smaller sequence. It watches
/// only the nearest such node (its predecessor), so a release wakes one waiter, not the herd.
/// </summary>
internal sealed class LockContender
{
    private readonly ZooKeeperClient client;
    private readonly string path;
    private readonly string prefix;
    private readonly IReadOnlyCollection<string> yieldsTo;
    private readonly byte[] data;

    /// <param name="kind">This contender's node kind: <see cref="LockNodes.Exclusive"/> or <see cref="LockNodes.Shared"/>.</param>
    /// <param name="yieldsTo">The kinds that must not be held by an earlier node when this one holds.</param>
    public LockContender(ZooKeeperClient client, string path, string kind, IReadOnlyCollection<string> yieldsTo, string? identifier)
    {
        this.client = client;
        this.path = path;
        this.yieldsTo = yieldsTo;
        prefix = LockNodes.NewPrefix(kind);
        data = Encoding.UTF8.GetBytes(identifier ?? "");
    }

    /// <summary>
    /// Waits for the lock. Throws <see cref="TimeoutException"/> when <paramref name="timeout"/>
    /// passes first, and removes its node on every failure, so it leaves no trace in the queue.
    /// </summary>
    public async Task<LockHandle> AcquireAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (timeout is { } limit && limit < TimeSpan.Zero && limit != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "must not be negative");
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } wait && wait != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(wait);
        }
        string? node = null;
        long? token = null;
        bool createTried = false;
        try
        {
            while (true)
            {
                if (node is null)
                {
                    bool retry = createTried;
                    createTried = true;
                    (node, token) = await CreateAsync(retry, deadline.Token).ConfigureAwait(false);
                }
                if (!await WaitForTurnAsync(node, deadline.Token).ConfigureAwait(false))
                {
                    // Our node is gone (deleted by someone else): queue again with a new one.
                    node = null;
                    continue;
                }
                string nodePath = $"{path}/{node}";
                if (token is null)
                {
                    // A node found again after a lost reply: its czxid needs one read.
                    Stat? stat = await RecipeOperations.RetryAsync(() => client.ExistsAsync(nodePath, watcher: null, deadline.Token), deadline.Token).ConfigureAwait(false);
                    if (stat is null)
                    {
                        node = null;
                        continue;
                    }
                    token = stat.Value.Czxid;
                }
                return new LockHandle(client, nodePath, token.Value);
            }
        }
        catch (Exception e)
        {
            await CleanUpAsync(node, createTried).ConfigureAwait(false);
            if (e is OperationCanceledException && timeout is not null && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Could not acquire the lock on {path} within {timeout.Value.TotalSeconds:0.###} s.", e);
            }
            throw;
        }
    }

    /// <summary>
    /// Creates this contender's node and returns its name and czxid (the fencing token; unknown for a
    /// node found again). After a create whose reply was lost, the node may exist: look for our uuid
    /// prefix before creating another. The lock's parent is made only when a create finds it missing,
    /// so a lock that exists costs no extra read per acquire.
    /// </summary>
    private async Task<(string Node, long? Czxid)> CreateAsync(bool createTried, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (createTried && await FindOwnNodeAsync(cancellationToken).ConfigureAwait(false) is { } found)
            {
                return (found, null);
            }
            try
            {
                var (created, stat) = await client.CreateWithStatAsync($"{path}/{prefix}", data, Acl.OpenUnsafe, CreateMode.EphemeralSequential, cancellationToken: cancellationToken).ConfigureAwait(false);
                return (created[(path.Length + 1)..], stat.Czxid);
            }
            catch (NoNodeException)
            {
                await RecipeOperations.EnsurePathAsync(client, path, cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectionLossException)
            {
                createTried = true;
            }
        }
    }

    private async Task<string?> FindOwnNodeAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children = await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
        return children.FirstOrDefault(child => child.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>Waits until no predecessor is left; false if our own node has disappeared.</summary>
    private async Task<bool> WaitForTurnAsync(string node, CancellationToken cancellationToken)
    {
        string ownSequence = node[prefix.Length..];
        while (true)
        {
            IReadOnlyList<string> children = await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (!children.Contains(node, StringComparer.Ordinal))
            {
                return false;
            }
            if (LockNodes.Predecessor(children, ownSequence, yieldsTo) is not { } predecessor)
            {
                return true;
            }
            (Watcher watcher, Task woken) = RecipeOperations.WakeOnEvent();
            if (await RecipeOperations.TryGetDataAsync(client, $"{path}/{predecessor}", watcher, cancellationToken).ConfigureAwait(false) is null)
            {
                // Gone between the listing and the watch: look again.
                continue;
            }
            await woken.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Best effort: remove the node of a failed attempt so it blocks nobody (the session's end would remove it too).</summary>
    private async Task CleanUpAsync(string? node, bool createTried)
    {
        if (node is null && !createTried)
        {
            return;
        }
        using var bounded = new CancellationTokenSource(client.SessionTimeout);
        try
        {
            node ??= await FindOwnNodeAsync(bounded.Token).ConfigureAwait(false);
            if (node is not null)
            {
                await RecipeOperations.DeleteQuietlyAsync(client, $"{path}/{node}", bounded.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is ZooKeeperException or OperationCanceledException)
        {
        }
    }
}
