namespace Colony.Consensus;

/// <summary>
/// What a node recovers from its storage at start: the hard state, the newest snapshot and the
/// contiguous entries after it.
/// </summary>
public sealed record PersistentState(HardState HardState, Snapshot Snapshot, IReadOnlyList<Entry> Entries)
{
    public static readonly PersistentState Empty = new(HardState.Empty, Snapshot.Empty, []);
}
