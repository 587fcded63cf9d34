namespace Colony.Consensus;

/// <summary>Settings of the driver around a Raft node.</summary>
public sealed class ReplicaOptions
{
    /// <summary>Take a state-machine snapshot and compact the log after this many applied entries. Default 10,000.</summary>
    public ulong SnapshotEveryEntries { get; init; } = 10_000;

    /// <summary>
    /// A snapshot also waits until the entries applied since the last one carry at least this many
    /// times the last snapshot's bytes. With a ratio r, snapshots cost at most 1/r bytes written per
    /// byte of log however large the state grows, and a restart replays at most r snapshots' worth of
    /// log. Default 0: the entry count alone decides.
    /// </summary>
    public double SnapshotLogBytesRatio { get; init; }

    /// <summary>
    /// Where the slow parts of a local snapshot run (serializing, writing, fsync). Default: inline, on
    /// the replica's thread, which is deterministic but stalls the loop for as long as they take.
    /// </summary>
    public ISnapshotScheduler SnapshotScheduler { get; init; } = InlineSnapshotScheduler.Instance;

    /// <summary>Test-only mutations (see <see cref="InjectedBugs"/>); only AckBeforePersist applies to the driver.</summary>
    internal InjectedBugs Bugs { get; init; }

    public void Validate()
    {
        if (SnapshotEveryEntries == 0)
        {
            throw new ArgumentException("SnapshotEveryEntries must be positive");
        }
        if (!(SnapshotLogBytesRatio >= 0 && SnapshotLogBytesRatio <= 1000))
        {
            throw new ArgumentException($"SnapshotLogBytesRatio = {SnapshotLogBytesRatio} must be between 0 and 1000");
        }
        ArgumentNullException.ThrowIfNull(SnapshotScheduler);
    }
}
