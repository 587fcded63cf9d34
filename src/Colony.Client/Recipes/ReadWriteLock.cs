namespace Colony.Client.Recipes;

/// <summary>
/// A fair shared/exclusive lock, compatible with kazoo's <c>ReadLock</c> and <c>WriteLock</c> on the
/// same path: readers' nodes are named <c>…__rlock__N</c>, writers' <c>…__lock__N</c>. A reader
/// waits only for writers queued before it, so readers overlap; a writer waits for everyone queued
/// before it. Readers that arrive after a waiting writer queue behind it, so writers never starve.
/// Not re-entrant, like <see cref="DistributedLock"/>.
/// </summary>
public sealed class ReadWriteLock
{
    private static readonly string[] ReaderYieldsTo = [LockNodes.Exclusive];
    private static readonly string[] WriterYieldsTo = [LockNodes.Exclusive, LockNodes.Shared];

    private readonly ZooKeeperClient client;

    public ReadWriteLock(ZooKeeperClient client, string path, string? identifier = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        this.client = client;
        Path = path;
        Identifier = identifier;
    }

    public string Path { get; }

    public string? Identifier { get; }

    /// <summary>Waits for a shared hold; timeouts and cancellation behave as in <see cref="DistributedLock.AcquireAsync"/>.</summary>
    public Task<LockHandle> AcquireReadAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new LockContender(client, Path, LockNodes.Shared, ReaderYieldsTo, Identifier).AcquireAsync(timeout, cancellationToken);

    /// <summary>Waits for the exclusive hold; timeouts and cancellation behave as in <see cref="DistributedLock.AcquireAsync"/>.</summary>
    public Task<LockHandle> AcquireWriteAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new LockContender(client, Path, LockNodes.Exclusive, WriterYieldsTo, Identifier).AcquireAsync(timeout, cancellationToken);

    /// <summary>The identifiers of every reader and writer, holding or waiting, in queue order.</summary>
    public Task<IReadOnlyList<string>> GetContendersAsync(CancellationToken cancellationToken = default) =>
        Contenders.ListAsync(client, Path, WriterYieldsTo, cancellationToken);
}
