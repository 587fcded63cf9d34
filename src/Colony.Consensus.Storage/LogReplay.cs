namespace Colony.Consensus.Storage;

/// <summary>
/// Rebuilds the log from its records in the order they were written, the way the writer built it:
/// an entry drops every entry at or after its index, a log reset drops everything. Any prefix of the
/// records therefore rebuilds a log the node really had, which is what makes a torn tail safe to cut.
/// </summary>
internal sealed class LogReplay
{
    private readonly List<Entry> _entries = [];
    private ulong _firstIndex;

    // The entry just before _firstIndex, when a log reset names it. Unknown when the records that
    // wrote it were compacted away together with the entries they covered.
    private (ulong Index, ulong Term)? _base;

    public HardState HardState { get; set; } = HardState.Empty;

    public int EntryCount => _entries.Count;

    /// <summary>Adds an entry; false if it would leave a gap (or rewrite what a reset put under a snapshot).</summary>
    public bool TryAdd(in Entry entry)
    {
        if (entry.Index == 0)
        {
            return false;
        }
        if (_entries.Count == 0 && _base is null)
        {
            _firstIndex = entry.Index;
            _entries.Add(entry);
            return true;
        }
        ulong next = _firstIndex + (ulong)_entries.Count;
        if (entry.Index > next)
        {
            return false;
        }
        if (entry.Index < _firstIndex)
        {
            if (_base is not null)
            {
                return false;
            }
            // It overwrites entries whose segments were compacted: the log we can see restarts here.
            _entries.Clear();
            _firstIndex = entry.Index;
            _entries.Add(entry);
            return true;
        }
        int keep = (int)(entry.Index - _firstIndex);
        _entries.RemoveRange(keep, _entries.Count - keep);
        _entries.Add(entry);
        return true;
    }

    public void Reset(ulong index, ulong term)
    {
        _entries.Clear();
        _firstIndex = index + 1;
        _base = (index, term);
    }

    /// <summary>
    /// The entries after a snapshot at (<paramref name="snapshotIndex"/>, <paramref name="snapshotTerm"/>),
    /// or null if the replayed log does not continue that snapshot. That happens when a crash fell between
    /// an installed snapshot becoming durable and its log reset, or when a newer snapshot was unreadable:
    /// the log must then restart after the snapshot.
    /// </summary>
    public List<Entry>? EntriesAfter(ulong snapshotIndex, ulong snapshotTerm)
    {
        if (_entries.Count == 0)
        {
            return _base is not { } reset || (reset.Index == snapshotIndex && reset.Term == snapshotTerm) ? [] : null;
        }
        ulong last = _firstIndex + (ulong)_entries.Count - 1;
        if (_firstIndex == snapshotIndex + 1)
        {
            // With no reset record, the entry at the snapshot's index was compacted away, which only
            // happens once a snapshot at that index was durable: it is the committed one.
            bool continues = _base is not { } reset || reset.Term == snapshotTerm;
            return continues ? [.. _entries] : null;
        }
        if (_firstIndex <= snapshotIndex && snapshotIndex <= last)
        {
            int at = (int)(snapshotIndex - _firstIndex);
            return _entries[at].Term == snapshotTerm ? _entries.GetRange(at + 1, _entries.Count - at - 1) : null;
        }
        return null;
    }
}
