using System.Globalization;
using System.Text;
using Colony.Coordination;

namespace Colony.Client.Recipes;

/// <summary>
/// At most <see cref="MaxLeases"/> holders at once, compatible with kazoo's <c>Semaphore</c>. Its
/// layout: the lease pool is the node at <see cref="Path"/>, whose data is the lease count as
/// decimal text; each holder owns an ephemeral child named by a uuid (32 hex digits); and would-be
/// holders take turns through a <see cref="DistributedLock"/> at the sibling path
/// <c>{path}-__lock__</c>. Only the lock's holder watches the pool, so a released lease wakes one
/// waiter, and waiters are served in order.
/// </summary>
public sealed class DistributedSemaphore
{
    private readonly ZooKeeperClient client;
    private readonly byte[] data;

    public DistributedSemaphore(ZooKeeperClient client, string path, int maxLeases, string? identifier = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLeases, 1);
        this.client = client;
        Path = path;
        MaxLeases = maxLeases;
        Identifier = identifier;
        data = Encoding.UTF8.GetBytes(identifier ?? "");
    }

    public string Path { get; }

    public int MaxLeases { get; }

    public string? Identifier { get; }

    private string TurnPath => Path + "-" + LockNodes.Exclusive;

    /// <summary>
    /// Waits for a lease and returns it; dispose it to give the lease back. Throws
    /// <see cref="InvalidOperationException"/> when the pool was created with another lease count,
    /// and <see cref="TimeoutException"/> or <see cref="OperationCanceledException"/> as
    /// <see cref="DistributedLock.AcquireAsync"/> does (a zero timeout tries once).
    /// </summary>
    public async Task<LockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bool tryOnce = timeout == TimeSpan.Zero;
        if (timeout is { } wait && wait != Timeout.InfiniteTimeSpan)
        {
            // A zero timeout tries once, as for DistributedLock: its round trips are bounded by the session timeout.
            deadline.CancelAfter(tryOnce ? client.SessionTimeout : wait);
        }
        string lease = $"{Path}/{Guid.NewGuid():N}";
        try
        {
            await EnsurePoolAsync(deadline.Token).ConfigureAwait(false);
            await using LockHandle turn = await new DistributedLock(client, TurnPath, Identifier).AcquireAsync(tryOnce ? TimeSpan.Zero : null, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                (Watcher watcher, Task woken) = RecipeOperations.WakeOnEvent();
                IReadOnlyList<string> holders = await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(Path, watcher, deadline.Token), deadline.Token).ConfigureAwait(false);
                if (holders.Count < MaxLeases)
                {
                    await CreateLeaseAsync(lease, deadline.Token).ConfigureAwait(false);
                }

                if (await RecipeOperations.RetryAsync(() => client.ExistsAsync(lease, watcher: null, deadline.Token), deadline.Token).ConfigureAwait(false) is { } stat)
                {
                    return new LockHandle(client, lease, stat.Czxid);
                }
                if (tryOnce)
                {
                    throw new TimeoutException($"Could not acquire a lease of {Path} without waiting: all {MaxLeases} are held.");
                }
                await woken.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            using (var bounded = new CancellationTokenSource(client.SessionTimeout))
            {
                try
                {
                    await RecipeOperations.DeleteQuietlyAsync(client, lease, bounded.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
            if (e is OperationCanceledException && timeout is not null && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Could not acquire a lease of {Path} within {timeout.Value.TotalSeconds:0.###} s.", e);
            }
            throw;
        }
    }

    /// <summary>The identifiers of the current lease holders, in no particular order.</summary>
    public async Task<IReadOnlyList<string>> GetHoldersAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> children;
        try
        {
            children = await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(Path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return [];
        }
        var holders = new List<string>();
        foreach (string child in children)
        {
            if (await RecipeOperations.TryGetDataAsync(client, $"{Path}/{child}", watcher: null, cancellationToken).ConfigureAwait(false) is { } found)
            {
                holders.Add(Encoding.UTF8.GetString(found.Data));
            }
        }
        return holders;
    }

    /// <summary>Creates the pool with the lease count, or checks an existing pool's count (non-numeric data is someone else's and is left alone, as kazoo does).</summary>
    private async Task EnsurePoolAsync(CancellationToken cancellationToken)
    {
        int parent = Path.LastIndexOf('/');
        if (parent > 0)
        {
            await RecipeOperations.EnsurePathAsync(client, Path[..parent], cancellationToken).ConfigureAwait(false);
        }
        byte[] count = Encoding.UTF8.GetBytes(MaxLeases.ToString(CultureInfo.InvariantCulture));
        if (await RecipeOperations.CreateIfMissingAsync(client, Path, count, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        (byte[] existing, _) = await RecipeOperations.RetryAsync(() => client.GetDataAsync(Path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (int.TryParse(Encoding.UTF8.GetString(existing).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int leases) && leases != MaxLeases)
        {
            throw new InvalidOperationException($"The semaphore {Path} allows {leases} leases, not {MaxLeases}; delete it to change the count.");
        }
    }

    private async Task CreateLeaseAsync(string lease, CancellationToken cancellationToken)
    {
        try
        {
            await client.CreateAsync(lease, data, Acl.OpenUnsafe, CreateMode.Ephemeral, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NodeExistsException or ConnectionLossException)
        {
            // Ours from an earlier try, or unknown: the existence check that follows decides.
        }
    }
}
