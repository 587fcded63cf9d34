namespace Colony.Consensus;

/// <summary>
/// An <see cref="IRaftLogStore"/> in memory: for tests and benchmarks that measure the algorithm
/// without a disk. Everything written counts as durable at once.
/// </summary>
public sealed class InMemoryRaftLogStore : IRaftLogStore
{
    private readonly List<Entry> _entries = [];
    private HardState _hardState;
    private Snapshot _snapshot = Snapshot.Empty;

    public int Syncs { get; private set; }

    public PersistentState Load() => new(_hardState, _snapshot, _entries.ToList());

    public void Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }
        ulong first = entries[0].Index;
        int keep = _entries.FindIndex(e => e.Index >= first);
        if (keep >= 0)
        {
            _entries.RemoveRange(keep, _entries.Count - keep);
        }
        _entries.AddRange(entries);
    }

    public void SetHardState(HardState state) => _hardState = state;

    public void SaveSnapshot(Snapshot snapshot)
    {
        _snapshot = snapshot;
        _entries.RemoveAll(e => e.Index <= snapshot.Metadata.Index);
    }

    public void InstallSnapshot(Snapshot snapshot)
    {
        _snapshot = snapshot;
        _entries.Clear();
    }

    public void Sync() => Syncs++;

    public void Dispose()
    {
    }
}
