using Colony.Consensus;
using Colony.Core;

namespace Colony.Simulation.Checkers;

/// <summary>
/// State-machine safety: every node applies the same entry at each index, each index once and in
/// order (a snapshot restore may skip ahead, never back); and nodes that applied the same prefix hold
/// the same state.
/// </summary>
internal sealed class StateMachineSafetyChecker
{
    private readonly Dictionary<ulong, Applied> _applied = [];
    private readonly Dictionary<NodeId, ulong> _lastApplied = [];

    /// <summary>A node (re)started from a snapshot at <paramref name="snapshotIndex"/> (0 for none): Raft re-applies from there.</summary>
    public void OnRecovered(NodeId node, ulong snapshotIndex) => _lastApplied[node] = snapshotIndex;

    public Violation? OnSnapshotRestored(NodeId node, SnapshotMetadata snapshot, long now)
    {
        ulong last = _lastApplied.GetValueOrDefault(node);
        if (snapshot.Index < last)
        {
            return new Violation(ViolationKind.StateMachineSafety,
                $"node {node} restored a snapshot at {snapshot.Index} after applying up to {last}", now);
        }
        _lastApplied[node] = snapshot.Index;
        if (_applied.TryGetValue(snapshot.Index, out var applied) && applied.Term != snapshot.Term)
        {
            return new Violation(ViolationKind.StateMachineSafety,
                $"node {node} restored a snapshot ending at {snapshot.Term}/{snapshot.Index} but node {applied.Node} applied {applied.Term}/{snapshot.Index}", now);
        }
        return null;
    }

    public Violation? OnApplied(NodeId node, in Entry entry, long now)
    {
        ulong last = _lastApplied.GetValueOrDefault(node);
        if (entry.Index != last + 1)
        {
            return new Violation(ViolationKind.StateMachineSafety,
                $"node {node} applied index {entry.Index} right after {last}", now);
        }
        _lastApplied[node] = entry.Index;
        var mine = new Applied(entry.Term, Fingerprint.OfContent(entry), node, now);
        if (!_applied.TryGetValue(entry.Index, out var first))
        {
            _applied.Add(entry.Index, mine);
            return null;
        }
        return first.Term == mine.Term && first.Content == mine.Content
            ? null
            : new Violation(ViolationKind.StateMachineSafety,
                $"node {first.Node} applied {first.Term}/{entry.Index} but node {node} applied {entry.Term}/{entry.Index}", now);
    }

    /// <summary>Nodes at the same applied index must hold the same key-value state and the same coordination tree.</summary>
    public static Violation? CompareStates(IReadOnlyList<NodeState> states, long now)
    {
        var byIndex = new Dictionary<ulong, NodeState>();
        foreach (var state in states)
        {
            if (!byIndex.TryGetValue(state.Applied, out var other))
            {
                byIndex.Add(state.Applied, state);
                continue;
            }
            string? differ = other.Fingerprint() != state.Fingerprint() ? "key-value states"
                : other.Tree != state.Tree ? "coordination trees"
                : null;
            if (differ is not null)
            {
                return new Violation(ViolationKind.StateMachineSafety,
                    $"nodes {other.Node} and {state.Node} both applied up to {state.Applied} but hold different {differ}", now);
            }
        }
        return null;
    }

    /// <summary>The entry first applied at <paramref name="index"/>, with when: the ground truth that settles writes whose client never heard back.</summary>
    public bool TryGetApplied(ulong index, out ulong term, out ulong content, out long firstAppliedAt)
    {
        bool found = _applied.TryGetValue(index, out var applied);
        (term, content, firstAppliedAt) = (applied.Term, applied.Content, applied.At);
        return found;
    }

    private readonly record struct Applied(ulong Term, ulong Content, NodeId Node, long At);
}

/// <summary>One node's key-value contents and coordination tree (a fingerprint of its snapshot bytes) at an applied index.</summary>
internal sealed record NodeState(NodeId Node, ulong Applied, IReadOnlyList<KeyValuePair<string, string>> Contents, ulong Tree = 0)
{
    /// <summary>The fingerprint of the key-value contents.</summary>
    public ulong Fingerprint()
    {
        ulong hash = Checkers.Fingerprint.Seed;
        foreach (var (key, value) in Contents.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            hash = Checkers.Fingerprint.Add(Checkers.Fingerprint.Add(hash, key), value);
        }
        return hash;
    }
}
