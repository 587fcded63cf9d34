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
        bool tryOnce = timeout == TimeSpan.Zero;
        if (timeout is { } wait && wait != Timeout.InfiniteTimeSpan)
        {
            // A zero timeout tries once: it queues, looks, and leaves if anyone is ahead. The round
            // trips that takes are bounded by the session timeout instead.
            deadline.CancelAfter(tryOnce ? client.SessionTimeout : wait);
        }
        string? node = null;
        long? token = null;
        bool createTried = false;
        try
        {
            while (true)
            {
                IReadOnlyList<string>? listing = null;
                if (node is null)
                {
                    bool retry = createTried;
                    createTried = true;
                    (node, token, listing) = await CreateAsync(retry, deadline.Token).ConfigureAwait(false);
                }
                if (!await WaitForTurnAsync(node, listing, tryOnce, deadline.Token).ConfigureAwait(false))
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
    /// <returns>Also the lock's children as listed right behind the create, when that listing came back.</returns>
    private async Task<(string Node, long? Czxid, IReadOnlyList<string>? Listing)> CreateAsync(bool createTried, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (createTried && await FindOwnNodeAsync(cancellationToken).ConfigureAwait(false) is { } found)
            {
                return (found, null, null);
            }
            // The first listing is sent right behind the create, without waiting for its reply: a server
            // answers a session's requests in order, so the listing is taken after the create, and an
            // uncontended acquire costs one round trip instead of two.
            Task<(string Path, Stat Stat)> create = client.CreateWithStatAsync($"{path}/{prefix}", data, Acl.OpenUnsafe, CreateMode.EphemeralSequential, cancellationToken: cancellationToken);
            Task<IReadOnlyList<string>?> listing = ListingOrNullAsync(cancellationToken);
            try
            {
                var (created, stat) = await create.ConfigureAwait(false);
                return (created[(path.Length + 1)..], stat.Czxid, await listing.ConfigureAwait(false));
            }
            catch (NoNodeException)
            {
                await listing.ConfigureAwait(false);
                await RecipeOperations.EnsurePathAsync(client, path, cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectionLossException)
            {
                await listing.ConfigureAwait(false);
                createTried = true;
            }
        }
    }

    /// <summary>The lock's children, or null on any failure: the caller then lists again the usual way.</summary>
    private async Task<IReadOnlyList<string>?> ListingOrNullAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetChildrenAsync(path, watcher: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ZooKeeperException or OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<string?> FindOwnNodeAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children = await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
        return children.FirstOrDefault(child => child.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>Waits until no predecessor is left; false if our own node has disappeared.</summary>
    /// <param name="listing">Children listed behind the create. Used only if it holds our node: a listing sent
    /// while disconnected may have overtaken the create, and must not be read as our node being gone.</param>
    /// <param name="tryOnce">Throw <see cref="TimeoutException"/> instead of waiting for a predecessor.</param>
    private async Task<bool> WaitForTurnAsync(string node, IReadOnlyList<string>? listing, bool tryOnce, CancellationToken cancellationToken)
    {
        string ownSequence = node[prefix.Length..];
        while (true)
        {
            IReadOnlyList<string> children = listing is not null && listing.Contains(node, StringComparer.Ordinal)
                ? listing
                : await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
            listing = null;
            if (!children.Contains(node, StringComparer.Ordinal))
            {
                return false;
            }
            if (LockNodes.Predecessor(children, ownSequence, yieldsTo) is not { } predecessor)
            {
                return true;
            }
            if (tryOnce)
            {
                throw new TimeoutException($"Could not acquire the lock on {path} without waiting: {predecessor} is ahead.");
            }
            // Sequence numbers under a parent only grow, and this listing was taken after our create, so
            // every contender ahead of us is in it. If the predecessor is the only one we yield to, its
            // deletion leaves nobody ahead: the turn is ours without listing again, which takes a round
            // trip off every hand-over of a contended lock.
            bool soleBlocker = LockNodes.CountBefore(children, ownSequence, yieldsTo) == 1;
            (Watcher watcher, Task<WatchedEvent> woken) = RecipeOperations.WakeOnEventOf();
            if (await RecipeOperations.TryGetDataAsync(client, $"{path}/{predecessor}", watcher, cancellationToken).ConfigureAwait(false) is null)
            {
                // Gone between the listing and the watch: look again.
                continue;
            }
            WatchedEvent woke = await woken.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (soleBlocker && woke.Type == EventType.NodeDeleted)
            {
                return true;
            }
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
