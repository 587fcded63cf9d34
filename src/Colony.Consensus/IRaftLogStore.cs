namespace Colony.Consensus;

/// <summary>
/// The durable home of a node's Raft state: entries, hard state and snapshots. Writes are buffered
/// until <see cref="Sync"/>, which makes everything written before it durable in one flush, so many
/// proposals share one fsync (group commit).
/// </summary>
public interface IRaftLogStore : IDisposable
{
    /// <summary>Recovers what was made durable. Called once, before any write.</summary>
    PersistentState Load();

    /// <summary>
    /// Appends entries. The first entry's index may be at most one past the last stored entry;
    /// stored entries from that index on are dropped first (a conflicting suffix).
    /// </summary>
    void Append(IReadOnlyList<Entry> entries);

    /// <summary>Records the hard state; the last one synced wins on recovery.</summary>
    void SetHardState(HardState state);

    /// <summary>Stores a snapshot taken locally. The log is kept; entries up to its index may be compacted away.</summary>
    void SaveSnapshot(Snapshot snapshot);

    /// <summary>Stores a snapshot received from the leader and discards the whole log: it restarts after the snapshot.</summary>
    void InstallSnapshot(Snapshot snapshot);

    /// <summary>Makes everything written so far durable.</summary>
    void Sync();
}
