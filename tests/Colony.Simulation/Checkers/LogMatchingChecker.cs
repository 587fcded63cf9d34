using Colony.Consensus;
using Colony.Core;

namespace Colony.Simulation.Checkers;

/// <summary>
/// Log matching: two entries with the same index and term are identical, and so are the logs before
/// them. Checked inductively: an (index, term) pair must always name the same content and follow the
/// same previous term, which by induction pins the whole prefix. Every log is folded in whenever it is
/// scanned, so one pass per node is enough however many nodes there are.
/// </summary>
internal sealed class LogMatchingChecker
{
    private const ulong UnknownTerm = ulong.MaxValue;

    private readonly Dictionary<(ulong Index, ulong Term), Seen> _seen = [];

    /// <summary>Folds in one node's log: its snapshot (the entry before its first one) and its entries, contiguous.</summary>
    public Violation? Observe(NodeId node, SnapshotMetadata snapshot, IReadOnlyList<Entry> entries, long now)
    {
        if (entries.Count == 0)
        {
            return null;
        }
        ulong previousTerm = entries[0].Index == snapshot.Index + 1 ? snapshot.Term : UnknownTerm;
        if (entries[0].Index == 1)
        {
            previousTerm = 0;
        }
        ulong expectedIndex = entries[0].Index;
        foreach (var entry in entries)
        {
            if (entry.Index != expectedIndex)
            {
                return new Violation(ViolationKind.LogMatching,
                    $"node {node}'s log jumps from index {expectedIndex - 1} to {entry.Index}", now);
            }
            if (entry.Term < previousTerm && previousTerm != UnknownTerm)
            {
                return new Violation(ViolationKind.LogMatching,
                    $"node {node}'s log goes back in term at index {entry.Index}: {previousTerm} then {entry.Term}", now);
            }
            var found = Fold(node, entry, previousTerm, now);
            if (found is not null)
            {
                return found;
            }
            previousTerm = entry.Term;
            expectedIndex++;
        }
        return null;
    }

    private Violation? Fold(NodeId node, in Entry entry, ulong previousTerm, long now)
    {
        var key = (entry.Index, entry.Term);
        ulong content = Fingerprint.OfContent(entry);
        if (!_seen.TryGetValue(key, out var seen))
        {
            _seen.Add(key, new Seen(content, previousTerm, node));
            return null;
        }
        if (seen.Content != content)
        {
            return new Violation(ViolationKind.LogMatching,
                $"entry {entry.Term}/{entry.Index} differs between node {seen.Node} and node {node}", now);
        }
        if (previousTerm == UnknownTerm)
        {
            return null;
        }
        if (seen.PreviousTerm == UnknownTerm)
        {
            _seen[key] = seen with { PreviousTerm = previousTerm, Node = node };
            return null;
        }
        return seen.PreviousTerm == previousTerm
            ? null
            : new Violation(ViolationKind.LogMatching,
                $"entry {entry.Term}/{entry.Index} follows term {seen.PreviousTerm} on node {seen.Node} but term {previousTerm} on node {node}", now);
    }

    private readonly record struct Seen(ulong Content, ulong PreviousTerm, NodeId Node);
}
