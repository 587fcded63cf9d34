using Colony.Consensus;
using Colony.Core;

namespace Colony.Simulation.Checkers;

/// <summary>
/// Leader completeness: an entry committed in term U is in the log of every leader of a term after U
/// when that leader takes office (unless its snapshot already covers the entry). Commits are learned
/// from leaders as their commit index moves, so each entry is known with the term it was committed in;
/// a committed entry that later changes is reported too.
/// </summary>
internal sealed class LeaderCompletenessChecker
{
    private readonly List<Committed> _committed = [];

    /// <summary>The highest index known committed.</summary>
    public ulong KnownCommitted => (ulong)_committed.Count;

    /// <summary>
    /// The leader of <paramref name="term"/> moved its commit index over <paramref name="entries"/>
    /// (ascending and contiguous; whatever it still holds of the newly committed range).
    /// </summary>
    public Violation? OnCommitted(NodeId leader, ulong term, IReadOnlyList<Entry> entries, long now)
    {
        foreach (var entry in entries)
        {
            var committed = new Committed(entry.Term, Fingerprint.OfContent(entry), term, Known: true, leader);
            ulong index = entry.Index;
            if (index <= KnownCommitted)
            {
                var earlier = _committed[(int)(index - 1)];
                if (!earlier.Known)
                {
                    _committed[(int)(index - 1)] = committed;
                }
                else if (earlier.Term != entry.Term || earlier.Content != committed.Content)
                {
                    return new Violation(ViolationKind.LeaderCompleteness,
                        $"index {index} was committed as {earlier.Term}/{index} by node {earlier.Leader} in term {earlier.CommitTerm}, " +
                        $"then as {entry.Term}/{index} by node {leader} in term {term}", now);
                }
                continue;
            }
            while (KnownCommitted + 1 < index)
            {
                _committed.Add(default);
            }
            _committed.Add(committed);
        }
        return null;
    }

    /// <summary>
    /// <paramref name="leader"/> just took office in <paramref name="term"/> holding <paramref name="snapshot"/>
    /// and <paramref name="log"/> (its entries after the snapshot, ascending).
    /// </summary>
    public Violation? OnTookOffice(NodeId leader, ulong term, SnapshotMetadata snapshot, IReadOnlyList<Entry> log, long now)
    {
        ulong first = log.Count > 0 ? log[0].Index : snapshot.Index + 1;
        ulong last = log.Count > 0 ? log[^1].Index : snapshot.Index;
        for (ulong index = Math.Max(1, snapshot.Index); index <= KnownCommitted; index++)
        {
            var committed = _committed[(int)(index - 1)];
            if (!committed.Known || committed.CommitTerm >= term)
            {
                continue;
            }
            if (index == snapshot.Index)
            {
                if (snapshot.Term != committed.Term)
                {
                    return Lacks(leader, term, index, committed, $"its snapshot ends at {snapshot.Term}/{index}", now);
                }
                continue;
            }
            if (index < first)
            {
                continue;
            }
            if (index > last)
            {
                return Lacks(leader, term, index, committed, $"its log ends at {last}", now);
            }
            var held = log[(int)(index - first)];
            if (held.Term != committed.Term || Fingerprint.OfContent(held) != committed.Content)
            {
                return Lacks(leader, term, index, committed, $"it holds {held.Term}/{index} instead", now);
            }
        }
        return null;
    }

    private static Violation Lacks(NodeId leader, ulong term, ulong index, Committed committed, string why, long now) =>
        new(ViolationKind.LeaderCompleteness,
            $"node {leader} took office in term {term} without {committed.Term}/{index}, committed in term {committed.CommitTerm}: {why}", now);

    private readonly record struct Committed(ulong Term, ulong Content, ulong CommitTerm, bool Known, NodeId Leader);
}
