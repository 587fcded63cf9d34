using Colony.Consensus;
using Colony.Core;
using Colony.Simulation.Cluster;
using Colony.Simulation.Network;
using Colony.Simulation.Scheduling;
using Colony.Simulation.Tracing;

namespace Colony.Simulation.Faults;

/// <summary>
/// Injects the fault phase's faults, each on its own random schedule: partitions, crashes with
/// restarts, membership changes and leadership transfers. <see cref="Heal"/> ends them all and brings
/// every node back.
/// </summary>
internal sealed class Nemesis
{
    private readonly SwarmOptions _options;
    private readonly EventQueue _queue;
    private readonly SimNetwork _network;
    private readonly IReadOnlyList<SimNode> _nodes;
    private readonly Trace _trace;
    private readonly IRandomSource _random;
    private bool _active;

    public Nemesis(SwarmOptions options, EventQueue queue, SimNetwork network, IReadOnlyList<SimNode> nodes, Trace trace, IRandomSource random)
    {
        _options = options;
        _queue = queue;
        _network = network;
        _nodes = nodes;
        _trace = trace;
        _random = random;
    }

    public int Crashes { get; private set; }

    public int Partitions { get; private set; }

    public int MembershipChanges { get; private set; }

    public int Transfers { get; private set; }

    public void Start()
    {
        _active = true;
        _network.MinDelayMicros = _options.MinDelayMicros;
        _network.MaxDelayMicros = _options.MaxDelayMicros;
        _network.LossProbability = _options.LossProbability;
        _network.DuplicateProbability = _options.DuplicateProbability;
        _network.ReorderProbability = _options.ReorderProbability;
        if (_options.PartitionModes.Count > 0)
        {
            Every(_options.MeanPartitionGapMicros, StartPartition);
        }
        if (_options.MeanCrashGapMicros > 0)
        {
            Every(_options.MeanCrashGapMicros, CrashOne);
        }
        if (_options.MeanMembershipGapMicros > 0)
        {
            Every(_options.MeanMembershipGapMicros, ChangeMembership);
        }
        if (_options.StartWithLearner)
        {
            _queue.After(Time.Ms(_random.Next(100, 500)), AddFirstLearner);
        }
        if (_options.MeanTransferGapMicros > 0)
        {
            Every(_options.MeanTransferGapMicros, TransferLeadership);
        }
    }

    /// <summary>
    /// Ends the faults: reconnects everything, stops loss and disk stalls, restarts every node that is
    /// down, and brings message delays within what Raft needs to elect a leader (a round trip well under
    /// the shortest election timeout). Slower networks stay in the fault phase, where only safety is checked.
    /// </summary>
    public void Heal()
    {
        _active = false;
        _network.HealAll();
        _network.LossProbability = 0;
        _network.MaxDelayMicros = Math.Min(_network.MaxDelayMicros, MaxHealedDelayMicros(_options));
        _network.MinDelayMicros = Math.Min(_network.MinDelayMicros, _network.MaxDelayMicros);
        _trace.Cluster(TraceKind.Heal, $"heal: network whole, no loss, delays {Time.Format(_network.MinDelayMicros)}-{Time.Format(_network.MaxDelayMicros)}ms, no disk stalls, every node up");
        foreach (var node in _nodes)
        {
            node.DiskStalls = false;
            if (!node.IsUp)
            {
                node.Start();
            }
        }
    }

    /// <summary>The longest one-way delay of a healed network: a round trip at most half the shortest election timeout.</summary>
    public static long MaxHealedDelayMicros(SwarmOptions options) => options.ElectionTicks * options.TickMicros / 4;

    /// <summary>The up node that leads the highest term, if any.</summary>
    public static SimNode? CurrentLeader(IReadOnlyList<SimNode> nodes)
    {
        SimNode? leader = null;
        foreach (var node in nodes)
        {
            if (node.Raft is { Role: RaftRole.Leader } raft && (leader is null || raft.Term > leader.Raft!.Term))
            {
                leader = node;
            }
        }
        return leader;
    }

    private void Every(long meanGap, Action action)
    {
        _queue.After(Exponential(meanGap), () =>
        {
            if (!_active)
            {
                return;
            }
            action();
            Every(meanGap, action);
        });
    }

    private long Exponential(long mean) => (long)(-Math.Log(1 - _random.NextDouble()) * mean);

    private void StartPartition()
    {
        if (_network.AnyCut)
        {
            return;
        }
        var mode = _options.PartitionModes[_random.Next(_options.PartitionModes.Count)];
        string description = Cut(mode);
        Partitions++;
        _trace.Cluster(TraceKind.Partition, $"partition {mode}: {description}");
        _queue.After(Exponential(_options.MeanPartitionMicros), () =>
        {
            if (_active)
            {
                _network.HealAll();
                _trace.Cluster(TraceKind.Heal, "partition healed");
            }
        });
    }

    /// <summary>
    /// A node just took office: now and then cut it off at once, with whatever it appends from now
    /// on (its empty entry, the writes clients still send it) left on it alone. Unlike the other
    /// partitions these may overlap, each healing only its own links, so that one leader after
    /// another can be cut off while an earlier one is still away.
    /// </summary>
    public void OnTookOffice(SimNode leader)
    {
        if (!_active || _options.IsolateNewLeaderProbability == 0 || _random.NextDouble() >= _options.IsolateNewLeaderProbability)
        {
            return;
        }
        // Within a network delay: sometimes its first appends are out, sometimes not.
        _queue.After(_random.Next(1 + (int)_options.MaxDelayMicros), () =>
        {
            if (!_active || leader.Raft is not { Role: RaftRole.Leader })
            {
                return;
            }
            var links = new List<(NodeId, NodeId)>();
            foreach (var other in _nodes)
            {
                if (other.Id != leader.Id)
                {
                    links.Add((leader.Id, other.Id));
                    links.Add((other.Id, leader.Id));
                }
            }
            links.RemoveAll(link => _network.IsCut(link.Item1, link.Item2));
            links.ForEach(link => _network.Cut(link.Item1, link.Item2));
            Partitions++;
            _trace.Cluster(TraceKind.Partition, $"partition new leader: {leader.Id} alone");
            _queue.After(Exponential(_options.MeanPartitionMicros), () =>
            {
                if (_active)
                {
                    links.ForEach(link => _network.Restore(link.Item1, link.Item2));
                    _trace.Cluster(TraceKind.Heal, $"partition healed: {leader.Id} back");
                }
            });
        });
    }

    private string Cut(PartitionMode mode)
    {
        switch (mode)
        {
            case PartitionMode.IsolateOne:
            case PartitionMode.IsolateLeader:
                var isolated = mode == PartitionMode.IsolateLeader && CurrentLeader(_nodes) is { } leader ? leader.Id : RandomNode();
                CutBothWays([isolated]);
                return $"{isolated} alone";
            case PartitionMode.SplitHalves:
                var shuffled = _nodes.Select(node => node.Id).ToList();
                Shuffle(shuffled);
                var side = shuffled.Take(1 + _random.Next(shuffled.Count - 1)).ToList();
                CutBothWays(side);
                return $"({string.Join(',', side)}) | ({string.Join(',', shuffled.Except(side))})";
            case PartitionMode.OneWay:
                var one = RandomNode();
                bool inbound = _random.Next(2) == 0;
                foreach (var other in _nodes)
                {
                    if (other.Id != one)
                    {
                        if (inbound)
                        {
                            _network.Cut(other.Id, one);
                        }
                        else
                        {
                            _network.Cut(one, other.Id);
                        }
                    }
                }
                return inbound ? $"{one} deaf" : $"{one} mute";
            default:
                var cuts = new List<string>();
                foreach (var from in _nodes)
                {
                    foreach (var to in _nodes)
                    {
                        if (from != to && _random.Next(10) < 3)
                        {
                            _network.Cut(from.Id, to.Id);
                            cuts.Add($"{from.Id}>{to.Id}");
                        }
                    }
                }
                return string.Join(' ', cuts);
        }
    }

    private void CutBothWays(IReadOnlyCollection<NodeId> side)
    {
        foreach (var a in _nodes)
        {
            foreach (var b in _nodes)
            {
                if (side.Contains(a.Id) && !side.Contains(b.Id))
                {
                    _network.Cut(a.Id, b.Id);
                    _network.Cut(b.Id, a.Id);
                }
            }
        }
    }

    private void CrashOne()
    {
        var up = _nodes.Where(node => node.IsUp).ToList();
        if (_nodes.Count - up.Count >= _options.MaxDown || up.Count == 0)
        {
            return;
        }
        SimNode victim;
        var flushing = up.Where(node => node.Replica!.CycleInFlight).ToList();
        if (_random.NextDouble() < _options.CrashLeaderProbability && CurrentLeader(_nodes) is { } leader)
        {
            victim = leader;
        }
        else if (flushing.Count > 0 && _random.Next(2) == 0)
        {
            victim = flushing[_random.Next(flushing.Count)];
        }
        else
        {
            victim = up[_random.Next(up.Count)];
        }
        victim.Crash();
        Crashes++;
        long down = _options.MinDownMicros + (long)(_random.NextDouble() * (_options.MaxDownMicros - _options.MinDownMicros));
        int incarnation = victim.Incarnation;
        _queue.After(down, () =>
        {
            if (!victim.IsUp && victim.Incarnation == incarnation)
            {
                victim.Start();
            }
        });
    }

    private void AddFirstLearner()
    {
        if (!_active)
        {
            return;
        }
        if (CurrentLeader(_nodes) is { } leader && leader.Raft!.Membership.All.Count() == _options.Voters)
        {
            var spare = _nodes[_options.Voters].Id;
            if (leader.ProposeMembershipChange(new MembershipChange(MembershipChangeType.AddLearner, spare)).IsAccepted)
            {
                MembershipChanges++;
                return;
            }
        }
        _queue.After(Time.Ms(100), AddFirstLearner);
    }

    /// <summary>One change at a time, through the leader: add a learner, promote it, remove a voter (never below three), or drop a learner.</summary>
    private void ChangeMembership()
    {
        if (CurrentLeader(_nodes) is not { } leader)
        {
            return;
        }
        var membership = leader.Raft!.Membership;
        var candidates = new List<MembershipChange>();
        foreach (var node in _nodes)
        {
            if (!membership.Contains(node.Id))
            {
                candidates.Add(new MembershipChange(MembershipChangeType.AddLearner, node.Id));
            }
        }
        foreach (var learner in membership.Learners)
        {
            candidates.Add(new MembershipChange(MembershipChangeType.AddVoter, learner));
            candidates.Add(new MembershipChange(MembershipChangeType.Remove, learner));
        }
        if (membership.Voters.Count > 3)
        {
            foreach (var voter in membership.Voters)
            {
                candidates.Add(new MembershipChange(MembershipChangeType.Remove, voter));
            }
        }
        if (candidates.Count == 0)
        {
            return;
        }
        if (leader.ProposeMembershipChange(candidates[_random.Next(candidates.Count)]).IsAccepted)
        {
            MembershipChanges++;
        }
    }

    private void TransferLeadership()
    {
        if (CurrentLeader(_nodes) is not { } leader)
        {
            return;
        }
        var voters = leader.Raft!.Membership.Voters.Where(id => id != leader.Id).ToList();
        if (voters.Count > 0 && leader.TransferLeadership(voters[_random.Next(voters.Count)]))
        {
            Transfers++;
        }
    }

    private NodeId RandomNode() => _nodes[_random.Next(_nodes.Count)].Id;

    private void Shuffle<T>(List<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
