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

    /// <summary>
    /// Saves a local snapshot in two steps, so that the slow one can run away from the driver's
    /// thread: <see cref="ISnapshotSave.Write"/> makes the snapshot durable while the store goes on
    /// being used, then <see cref="ISnapshotSave.Commit"/>, on the driver's thread, does what
    /// <see cref="SaveSnapshot"/> does with a snapshot already on disk. The default writes nothing
    /// early: it saves at commit.
    /// </summary>
    ISnapshotSave BeginSaveSnapshot(Snapshot snapshot) => new SaveAtCommit(this, snapshot);

    /// <summary>Stores a snapshot received from the leader and discards the whole log: it restarts after the snapshot.</summary>
    void InstallSnapshot(Snapshot snapshot);

    /// <summary>Makes everything written so far durable.</summary>
    void Sync();
}

/// <summary>A local snapshot on its way to a store: see <see cref="IRaftLogStore.BeginSaveSnapshot"/>.</summary>
public interface ISnapshotSave
{
    /// <summary>
    /// Makes the snapshot durable without changing the log. Called once, on any thread, concurrently
    /// with the store's other calls. A crash during or after it leaves the previous snapshot and the
    /// log as they were.
    /// </summary>
    void Write();

    /// <summary>
    /// Called on the driver's thread after <see cref="Write"/> returned: records the snapshot as the
    /// newest and lets the log before it go. Ignored if a newer snapshot was stored meanwhile.
    /// </summary>
    void Commit();
}

/// <summary>The default two-step save: nothing early, everything at commit.</summary>
internal sealed class SaveAtCommit(IRaftLogStore store, Snapshot snapshot) : ISnapshotSave
{
    public void Write()
    {
    }

    public void Commit() => store.SaveSnapshot(snapshot);
}
