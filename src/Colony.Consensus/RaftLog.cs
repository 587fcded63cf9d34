using Colony.Core;

namespace Colony.Consensus;

/// <summary>
/// The in-memory view of a node's log: the entries after the last compaction point, and the
/// indexes that divide them — stabled (durable), committed and applied. The driver persists what
/// lies past <see cref="Stabled"/>; everything up to it is also on disk. Pure data structure: the
/// Raft rules live in <see cref="RaftNode"/>.
/// </summary>
internal sealed class RaftLog
{
    private readonly List<Entry> _entries = [];
    private readonly List<(ulong Index, Membership Membership)> _membershipEntries = [];
    private ulong _offsetIndex;
    private ulong _offsetTerm;
    private Membership _offsetMembership;

    public RaftLog(SnapshotMetadata snapshot, IReadOnlyList<Entry> entries, Membership initialMembership)
    {
        _offsetIndex = snapshot.Index;
        _offsetTerm = snapshot.Term;
        _offsetMembership = snapshot.Index == 0 && snapshot.Membership.Voters.Count == 0 ? initialMembership : snapshot.Membership;
        Committed = snapshot.Index;
        Applied = snapshot.Index;
        foreach (var entry in entries)
        {
            if (entry.Index <= _offsetIndex)
            {
                continue;
            }
            Invariant.Check(entry.Index == LastIndex + 1, "recovered log has a gap at {0}", entry.Index);
            AppendOne(entry);
        }
        Stabled = LastIndex;
    }

    /// <summary>Index of the entry just before the first one held (the compaction point).</summary>
    public ulong OffsetIndex => _offsetIndex;

    public ulong FirstIndex => _offsetIndex + 1;

    public ulong LastIndex => _offsetIndex + (ulong)_entries.Count;

    public ulong LastTerm => _entries.Count == 0 ? _offsetTerm : _entries[^1].Term;

    /// <summary>The last index known durable on this node's disk.</summary>
    public ulong Stabled { get; private set; }

    public ulong Committed { get; private set; }

    public ulong Applied { get; private set; }

    /// <summary>The membership in force: the newest one in the log, committed or not.</summary>
    public Membership Membership => _membershipEntries.Count > 0 ? _membershipEntries[^1].Membership : _offsetMembership;

    /// <summary>Index of the newest membership entry still in the log, or 0.</summary>
    public ulong LastMembershipIndex => _membershipEntries.Count > 0 ? _membershipEntries[^1].Index : 0;

    public bool TryGetTerm(ulong index, out ulong term)
    {
        if (index == _offsetIndex)
        {
            term = _offsetTerm;
            return true;
        }
        if (index < _offsetIndex || index > LastIndex)
        {
            term = 0;
            return false;
        }
        term = _entries[(int)(index - _offsetIndex - 1)].Term;
        return true;
    }

    public ulong TermOrZero(ulong index) => TryGetTerm(index, out ulong term) ? term : 0;

    public bool MatchTerm(ulong index, ulong term) => TryGetTerm(index, out ulong t) && t == term;

    public ref readonly Entry At(ulong index)
    {
        Invariant.Check(index > _offsetIndex && index <= LastIndex, "entry {0} is not in the log", index);
        return ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_entries)[(int)(index - _offsetIndex - 1)];
    }

    /// <summary>Raft's up-to-date rule (§5.4.1): a later last term wins, else a longer log.</summary>
    public bool IsUpToDate(ulong lastIndex, ulong lastTerm) =>
        lastTerm > LastTerm || (lastTerm == LastTerm && lastIndex >= LastIndex);

    /// <summary>Appends entries that continue the log exactly (leader proposals).</summary>
    public void Append(ReadOnlySpan<Entry> entries)
    {
        foreach (var entry in entries)
        {
            Invariant.Check(entry.Index == LastIndex + 1, "append at {0} leaves a gap", entry.Index);
            AppendOne(entry);
        }
    }

    /// <summary>
    /// The follower side of AppendEntries: if the entry at <paramref name="prevIndex"/> has
    /// <paramref name="prevTerm"/>, drops the first conflicting suffix, appends what is new and
    /// advances the commit index. Returns false if the logs do not match at prevIndex.
    /// </summary>
    public bool TryAppendFromLeader(ulong prevIndex, ulong prevTerm, ulong leaderCommit, Entry[] entries, out ulong lastNewIndex)
    {
        lastNewIndex = 0;
        if (!MatchTerm(prevIndex, prevTerm))
        {
            return false;
        }
        lastNewIndex = prevIndex + (ulong)entries.Length;
        int firstNew = FindFirstConflict(entries);
        if (firstNew < entries.Length)
        {
            ulong conflictIndex = entries[firstNew].Index;
            Invariant.Check(conflictIndex > Committed, "leader overwrites committed entry {0}", conflictIndex);
            TruncateFrom(conflictIndex);
            Append(entries.AsSpan(firstNew));
        }
        CommitTo(Math.Min(leaderCommit, lastNewIndex));
        return true;
    }

    /// <summary>
    /// For fast back-tracking: the largest index ≤ <paramref name="index"/> whose term is ≤
    /// <paramref name="term"/>, and that term. Entries above it cannot match a log whose entry at
    /// the probed index has <paramref name="term"/>.
    /// </summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        index = Math.Min(index, LastIndex);
        while (true)
        {
            if (!TryGetTerm(index, out ulong t))
            {
                return (index, 0);
            }
            if (t <= term || index == 0)
            {
                return (index, t);
            }
            index--;
        }
    }

    public void CommitTo(ulong index)
    {
        if (index <= Committed)
        {
            return;
        }
        Invariant.Check(index <= LastIndex, "commit {0} beyond the last index", index);
        Committed = index;
    }

    /// <summary>The driver made entries durable up to (index, term); ignored if the log changed under them.</summary>
    public void StableTo(ulong index, ulong term)
    {
        if (index > Stabled && MatchTerm(index, term))
        {
            Stabled = index;
        }
    }

    public void AppliedTo(ulong index)
    {
        Invariant.Check(index <= Committed, "applied {0} beyond commit", index);
        Applied = Math.Max(Applied, index);
    }

    /// <summary>Entries not yet handed to storage.</summary>
    public Entry[] UnstableEntries() => Slice(Stabled + 1, LastIndex, long.MaxValue);

    public bool HasUnstableEntries => LastIndex > Stabled;

    /// <summary>The highest index that may be applied now: committed and durable here.</summary>
    public ulong ApplicableIndex => Math.Min(Committed, Stabled);

    public bool HasEntriesToApply => ApplicableIndex > Applied && Applied >= _offsetIndex;

    public Entry[] EntriesToApply(long maxBytes) => Slice(Applied + 1, ApplicableIndex, maxBytes);

    /// <summary>Entries in [from, to], at most <paramref name="maxBytes"/> but always at least one if any.</summary>
    public Entry[] Slice(ulong from, ulong to, long maxBytes)
    {
        from = Math.Max(from, FirstIndex);
        to = Math.Min(to, LastIndex);
        if (from > to)
        {
            return [];
        }
        int start = (int)(from - _offsetIndex - 1);
        int count = (int)(to - from + 1);
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            bytes += _entries[start + i].SizeBytes;
            if (bytes > maxBytes && i > 0)
            {
                count = i;
                break;
            }
        }
        return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_entries).Slice(start, count).ToArray();
    }

    /// <summary>The membership in force at <paramref name="index"/> (for snapshot metadata).</summary>
    public Membership MembershipAt(ulong index)
    {
        for (int i = _membershipEntries.Count - 1; i >= 0; i--)
        {
            if (_membershipEntries[i].Index <= index)
            {
                return _membershipEntries[i].Membership;
            }
        }
        return _offsetMembership;
    }

    /// <summary>Replaces the whole log with a snapshot received from the leader.</summary>
    public void Restore(SnapshotMetadata snapshot)
    {
        Invariant.Check(snapshot.Index > Committed, "restoring snapshot {0} at or below commit", snapshot.Index);
        _entries.Clear();
        _membershipEntries.Clear();
        _offsetIndex = snapshot.Index;
        _offsetTerm = snapshot.Term;
        _offsetMembership = snapshot.Membership;
        Committed = snapshot.Index;
        Stabled = snapshot.Index;
        // Applied moves when the driver has restored the state machine (Advance), not before:
        // a local snapshot taken in between must not claim state the machine does not have.
    }

    /// <summary>Drops entries up to <paramref name="index"/>, which a local snapshot now covers.</summary>
    public void CompactTo(ulong index)
    {
        if (index <= _offsetIndex)
        {
            return;
        }
        Invariant.Check(index <= Applied, "compacting unapplied entry {0}", index);
        ulong term = TermOrZero(index);
        _offsetMembership = MembershipAt(index);
        _membershipEntries.RemoveAll(m => m.Index <= index);
        _entries.RemoveRange(0, (int)(index - _offsetIndex));
        _offsetIndex = index;
        _offsetTerm = term;
    }

    private int FindFirstConflict(Entry[] entries)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Index <= _offsetIndex)
            {
                continue; // already covered by our snapshot, hence committed and identical
            }
            if (!MatchTerm(entry.Index, entry.Term))
            {
                return i;
            }
        }
        return entries.Length;
    }

    private void TruncateFrom(ulong index)
    {
        if (index > LastIndex)
        {
            return;
        }
        Invariant.Check(index > _offsetIndex, "truncating into the snapshot at {0}", index);
        _entries.RemoveRange((int)(index - _offsetIndex - 1), (int)(LastIndex - index + 1));
        _membershipEntries.RemoveAll(m => m.Index >= index);
        if (Stabled >= index)
        {
            Stabled = index - 1;
        }
    }

    private void AppendOne(in Entry entry)
    {
        _entries.Add(entry);
        if (entry.Type == EntryType.Membership)
        {
            _membershipEntries.Add((entry.Index, Membership.Decode(entry.Data.Span)));
        }
    }
}
