namespace Colony.Client.Recipes;

/// <summary>
/// A fair exclusive lock on a znode path, compatible with kazoo's <c>Lock</c>: a Colony holder and a
/// kazoo holder of the same path exclude each other. Waiters are served in the order they asked,
/// and each watches only the waiter ahead of it, so a release wakes exactly one.
/// <para>
/// Not re-entrant: every <see cref="AcquireAsync"/> queues a new node, so a holder that asks again
/// waits behind itself until its timeout. Counting nested holds in the client would hide that the
/// lock protects a resource, not a call stack, and a second process could not tell them apart.
/// </para>
/// </summary>
public sealed class DistributedLock
{
    private readonly ZooKeeperClient client;

    /// <param name="path">The lock's znode; contenders are its children. Created (with its ancestors) if missing.</param>
    /// <param name="identifier">Written into this contender's node, so others can see who holds or waits (kazoo's identifier).</param>
    public DistributedLock(ZooKeeperClient client, string path, string? identifier = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        this.client = client;
        Path = path;
        Identifier = identifier;
    }

    public string Path { get; }

    public string? Identifier { get; }

    /// <summary>
    /// Waits for the lock and returns the hold; dispose it to release. Throws
    /// <see cref="TimeoutException"/> when <paramref name="timeout"/> (null: no limit) passes first,
    /// at once if the timeout is zero and anyone is ahead (a zero timeout tries once, like
    /// <c>flock -n</c>), and <see cref="OperationCanceledException"/> when cancelled; either way its queue node is
    /// removed. Connection loss while waiting is retried; session expiry throws
    /// <see cref="SessionExpiredException"/>.
    /// </summary>
    public Task<LockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new LockContender(client, Path, LockNodes.Exclusive, [LockNodes.Exclusive], Identifier).AcquireAsync(timeout, cancellationToken);

    /// <summary>The identifiers of the holder and the waiters, in queue order (kazoo's <c>contenders()</c>).</summary>
    public Task<IReadOnlyList<string>> GetContendersAsync(CancellationToken cancellationToken = default) =>
        Contenders.ListAsync(client, Path, [LockNodes.Exclusive], cancellationToken);
}
