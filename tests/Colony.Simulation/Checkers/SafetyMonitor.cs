using Colony.Consensus;
using Colony.Core;
using Colony.Simulation.Cluster;
using Colony.Simulation.Scheduling;

namespace Colony.Simulation.Checkers;

/// <summary>
/// Feeds what the nodes do to the safety checkers and keeps the first violation. Roles, terms and
/// commit indexes are read after every event; applies and restores arrive as they happen; the logs
/// are compared whenever <see cref="ScanLogs"/> runs.
/// </summary>
internal sealed class SafetyMonitor(EventQueue queue) : INodeObserver
{
    private readonly Dictionary<NodeId, Observed> _observed = [];
    private readonly Dictionary<ulong, ulong> _leaderCommitByTerm = [];

    public ElectionSafetyChecker Elections { get; } = new();

    public LogMatchingChecker Logs { get; } = new();

    public LeaderCompletenessChecker Completeness { get; } = new();

    public StateMachineSafetyChecker StateMachines { get; } = new();

    public CoordinationStateChecker Coordination { get; } = new();

    public Violation? Violation { get; private set; }

    /// <summary>Snapshots nodes installed from a leader (coverage of the InstallSnapshot path).</summary>
    public int SnapshotsRestored { get; private set; }

    /// <summary>Times a node took office as leader.</summary>
    public int LeadersElected { get; private set; }

    /// <summary>
    /// Times a follower's commit index went past its term's leader's: it committed from a durable
    /// notice before the leader knew (coverage of the race that reads on the leader must win).
    /// </summary>
    public int FollowerCommitsAhead { get; private set; }

    /// <summary>Called when a node takes office (the nemesis listens).</summary>
    public Action<SimNode>? OnTookOffice { get; set; }

    /// <summary>Called when a node is seen leading (the liveness phase listens).</summary>
    public Action<SimNode>? OnLeaderSeen { get; set; }

    public void Report(Violation? violation)
    {
        if (violation is not null)
        {
            Violation ??= violation;
        }
    }

    public void OnStarted(SimNode node, ulong snapshotIndex)
    {
        _observed[node.Id] = default;
        StateMachines.OnRecovered(node.Id, snapshotIndex);
        if (snapshotIndex > 0)
        {
            Report(Coordination.OnRestored(node.Id, snapshotIndex, node.Tree!, queue.Now));
        }
    }

    public void AfterEvent(SimNode node)
    {
        if (node.Raft is not { } raft)
        {
            return;
        }
        var role = raft.Role;
        ulong term = raft.Term;
        var observed = _observed.GetValueOrDefault(node.Id);
        if (role == RaftRole.Leader)
        {
            Report(Elections.OnLeader(node.Id, term, queue.Now));
            if (observed.Role != RaftRole.Leader || observed.Term != term)
            {
                LeadersElected++;
                var log = Entries(raft, raft.FirstIndex, Math.Min(raft.LastIndex, Completeness.KnownCommitted));
                Report(Completeness.OnTookOffice(node.Id, term, raft.LatestSnapshot, log, queue.Now));
                observed = observed with { LeaderCommit = Math.Min(raft.CommitIndex, Completeness.KnownCommitted) };
                OnTookOffice?.Invoke(node);
            }
            ulong commit = raft.CommitIndex;
            if (commit > observed.LeaderCommit)
            {
                Report(Completeness.OnCommitted(node.Id, term, Entries(raft, observed.LeaderCommit + 1, commit), queue.Now));
                observed = observed with { LeaderCommit = commit };
            }
            _leaderCommitByTerm[term] = commit;
            OnLeaderSeen?.Invoke(node);
        }
        else if (raft.CommitIndex > observed.Commit && raft.CommitIndex > _leaderCommitByTerm.GetValueOrDefault(term, ulong.MaxValue))
        {
            FollowerCommitsAhead++;
        }
        _observed[node.Id] = observed with { Role = role, Term = term, Commit = raft.CommitIndex };
    }

    public void OnApplied(SimNode node, in Entry entry)
    {
        Report(StateMachines.OnApplied(node.Id, entry, queue.Now));
        Report(Coordination.OnApplied(node.Id, entry, node.Tree!, queue.Now));
    }

    public void OnSnapshotRestored(SimNode node, SnapshotMetadata snapshot)
    {
        SnapshotsRestored++;
        Report(StateMachines.OnSnapshotRestored(node.Id, snapshot, queue.Now));
        Report(Coordination.OnRestored(node.Id, snapshot.Index, node.Tree!, queue.Now));
    }

    /// <summary>Folds every running node's log into the log-matching checker.</summary>
    public void ScanLogs(IEnumerable<SimNode> nodes)
    {
        foreach (var node in nodes)
        {
            if (node.Raft is { } raft)
            {
                Report(Logs.Observe(node.Id, raft.LatestSnapshot, Entries(raft, raft.FirstIndex, raft.LastIndex), queue.Now));
            }
        }
    }

    private static IReadOnlyList<Entry> Entries(RaftNode raft, ulong from, ulong to) =>
        from > to || from == 0 ? [] : raft.GetEntries(from, to);

    private readonly record struct Observed(RaftRole Role, ulong Term, ulong LeaderCommit, ulong Commit);
}
