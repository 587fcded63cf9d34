namespace Colony.Consensus;

/// <summary>Settings of the driver around a Raft node.</summary>
public sealed class ReplicaOptions
{
    /// <summary>Take a state-machine snapshot and compact the log after this many applied entries. Default 10,000.</summary>
    public ulong SnapshotEveryEntries { get; init; } = 10_000;

    /// <summary>Test-only mutations (see <see cref="InjectedBugs"/>); only AckBeforePersist applies to the driver.</summary>
    internal InjectedBugs Bugs { get; init; }

    public void Validate()
    {
        if (SnapshotEveryEntries == 0)
        {
            throw new ArgumentException("SnapshotEveryEntries must be positive");
        }
    }
}
