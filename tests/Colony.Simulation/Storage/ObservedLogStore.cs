using Colony.Consensus;

namespace Colony.Simulation.Storage;

/// <summary>
/// Wraps a node's store to see what the driver does with it: whether a cycle wrote anything (so its
/// flush costs disk time) and which snapshot the node recovered from.
/// </summary>
internal sealed class ObservedLogStore(IRaftLogStore inner) : IRaftLogStore
{
    /// <summary>True once something was written since the last <see cref="ClearWritten"/>.</summary>
    public bool Written { get; private set; }

    public ulong RecoveredSnapshotIndex { get; private set; }

    public void ClearWritten() => Written = false;

    public PersistentState Load()
    {
        var state = inner.Load();
        RecoveredSnapshotIndex = state.Snapshot.Metadata.Index;
        return state;
    }

    public void Append(IReadOnlyList<Entry> entries)
    {
        Written = true;
        inner.Append(entries);
    }

    public void SetHardState(HardState state)
    {
        Written = true;
        inner.SetHardState(state);
    }

    public void SaveSnapshot(Snapshot snapshot)
    {
        Written = true;
        inner.SaveSnapshot(snapshot);
    }

    public void InstallSnapshot(Snapshot snapshot)
    {
        Written = true;
        inner.InstallSnapshot(snapshot);
    }

    public void Sync() => inner.Sync();

    public void Dispose() => inner.Dispose();
}
