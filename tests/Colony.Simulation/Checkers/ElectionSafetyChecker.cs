using Colony.Core;

namespace Colony.Simulation.Checkers;

/// <summary>Election safety: at most one node leads in any term.</summary>
internal sealed class ElectionSafetyChecker
{
    private readonly Dictionary<ulong, NodeId> _leaderOfTerm = [];

    public int TermsWithLeader => _leaderOfTerm.Count;

    /// <summary>Reports that <paramref name="node"/> is leader in <paramref name="term"/>.</summary>
    public Violation? OnLeader(NodeId node, ulong term, long now)
    {
        if (!_leaderOfTerm.TryGetValue(term, out var existing))
        {
            _leaderOfTerm.Add(term, node);
            return null;
        }
        return existing == node
            ? null
            : new Violation(ViolationKind.ElectionSafety, $"nodes {existing} and {node} both lead term {term}", now);
    }
}
