using System.Globalization;
using Colony.Consensus;
using Colony.Core;
using Colony.Simulation.Checkers;
using Colony.Simulation.Cluster;
using Colony.Simulation.Coordination;
using Colony.Simulation.Faults;
using Colony.Simulation.Network;
using Colony.Simulation.Scheduling;
using Colony.Simulation.Storage;
using Colony.Simulation.Tracing;
using Colony.Simulation.Workload;

namespace Colony.Simulation;

/// <summary>What to run: a seed, optionally with injected bugs (and the swarm tilted toward them), optionally traced.</summary>
internal sealed record SimulationConfig(ulong Seed)
{
    public InjectedBugs Bugs { get; init; }

    /// <summary>Tilt the swarm toward the faults that expose <see cref="Bugs"/> (false: the ordinary swarm, to measure it).</summary>
    public bool Tilt { get; init; } = true;

    /// <summary>
    /// A bug in the simulated server rather than in Raft: nodes answer reads from their local state at
    /// once, without a read index. Only the linearizability checker can see it (tests prove it does).
    /// </summary>
    public bool LocalReads { get; init; }

    /// <summary>
    /// A bug in a state machine rather than in Raft: node 1's coordination tree stamps its own clock on
    /// the commands it applies. The state checks must see its tree drift (tests prove they do).
    /// </summary>
    public bool DivergentTree { get; init; }

    /// <summary>A last adjustment of the drawn options (tests use it to force a fault mix).</summary>
    public Func<SwarmOptions, SwarmOptions>? Adjust { get; init; }

    /// <summary>Linearizability search steps per key before the verdict is "unknown".</summary>
    public long CheckerStepsPerKey { get; init; } = LinearizabilityCheck.DefaultStepsPerKey;

    /// <summary>Where to write one line per event; null for none (the trace hash is kept either way).</summary>
    public TextWriter? TraceOutput { get; init; }
}

/// <summary>How one seed went.</summary>
internal sealed record SimulationResult(
    ulong Seed,
    SwarmOptions Options,
    Violation? Violation,
    ulong TraceHash,
    long Events,
    long VirtualMicros,
    SimulationStats Stats);

/// <summary>Counters of one run, for the summary and for judging what a seed exercised.</summary>
internal sealed record SimulationStats
{
    public int OperationsOk { get; init; }
    public int OperationsPending { get; init; }
    public int OperationsFailed { get; init; }

    /// <summary>Writes of unknown outcome settled from what the replicas applied (counted again in Ok or Failed).</summary>
    public int OperationsSettled { get; init; }

    /// <summary>Coordination commands whose client heard they committed.</summary>
    public int CoordinationCommitted { get; init; }

    /// <summary>Coordination commands accepted whose client never heard back.</summary>
    public int CoordinationUnknown { get; init; }

    /// <summary>Znodes in the first running node's tree at the end (0 if none ran).</summary>
    public int ZNodes { get; init; }

    /// <summary>Session moves that succeeded, as counted by the running node that applied the most since it started.</summary>
    public int SessionsMoved { get; init; }

    /// <summary>Coordination commands fenced with SessionMoved, counted the same way.</summary>
    public int FencedCommands { get; init; }
    public int Terms { get; init; }
    public int LeadersElected { get; init; }
    public int SnapshotsRestored { get; init; }
    public ulong Committed { get; init; }
    public int Crashes { get; init; }
    public int Partitions { get; init; }
    public int MembershipChanges { get; init; }
    public int Transfers { get; init; }
    public long MessagesSent { get; init; }
    public bool LinearizabilityUnknown { get; init; }

    /// <summary>Search steps the linearizability checker took.</summary>
    public long LinearizabilitySteps { get; init; }

    /// <summary>fsyncs the production write-ahead logs issued to their simulated file systems (0 when the model disk ran).</summary>
    public long WalFileSyncs { get; init; }

    /// <summary>Virtual time from healing to a converged cluster (0 if the run did not get there).</summary>
    public long RecoveryMicros { get; init; }

    /// <summary>Durable notices the leaders sent.</summary>
    public long DurableNotices { get; init; }

    /// <summary>Times a follower committed from a durable notice.</summary>
    public int DurableCommits { get; init; }

    /// <summary>Times a follower's commit went past its leader's (see <see cref="SafetyMonitor.FollowerCommitsAhead"/>).</summary>
    public int FollowerCommitsAhead { get; init; }

    /// <summary>Puts a client sent through a follower, answered by that follower once it applied them.</summary>
    public int ForwardedOk { get; init; }
}

/// <summary>
/// Runs one seed: a cluster of production Raft replicas on simulated network, disks and clocks, a
/// client workload, a fault phase and then a liveness phase, all on virtual time in one thread, and
/// the checkers over everything that happened. The same seed always gives the same run.
/// </summary>
internal sealed class Simulator
{
    private const long LogScanPeriodMicros = 100 * Time.Millisecond;
    private const long ConvergencePollMicros = 20 * Time.Millisecond;
    private const long MaxEvents = 20_000_000;

    private readonly SimulationConfig _config;
    private readonly SwarmOptions _options;
    private readonly EventQueue _queue = new();
    private readonly Trace _trace;
    private readonly SafetyMonitor _safety;
    private readonly SimNetwork _network;
    private readonly List<SimNode> _nodes = [];
    private readonly List<Client> _clients = [];
    private readonly CoordinationTally _coordination = new();
    private readonly History _history = new();
    private readonly Nemesis _nemesis;
    private readonly SeededRandom _random;
    private CoordinationClient? _coordinationClient;
    private LivenessChecker? _liveness;
    private ulong _probeIndex;
    private ulong _requestIds;
    private bool _linearizabilityUnknown;
    private long _linearizabilitySteps;
    private int _settled;

    private Simulator(SimulationConfig config)
    {
        _config = config;
        _random = new SeededRandom(config.Seed);
        // The first fork draws the options (as SwarmOptions.ForSeed does); later ones drive the run.
        var options = SwarmOptions.Generate(_random.Fork());
        if (config.Bugs != InjectedBugs.None)
        {
            options = config.Tilt ? options.Emphasize(config.Bugs) : options.WithBugs(config.Bugs);
        }
        _options = (config.Adjust?.Invoke(options) ?? options).InEffect();
        _trace = new Trace(_queue, config.TraceOutput);
        _safety = new SafetyMonitor(_queue);
        _network = new SimNetwork(_options.Nodes, _queue, _random.Fork(), Deliver, Unreachable);
        _nemesis = new Nemesis(_options, _queue, _network, _nodes, _trace, _random.Fork());
    }

    public static SimulationResult Run(SimulationConfig config) => new Simulator(config).Run();

    private SimulationResult Run()
    {
        try
        {
            RunPhases();
        }
        catch (Exception exception)
        {
            _safety.Report(new Violation(ViolationKind.Exception, Describe(exception), _queue.Now));
        }
        return new SimulationResult(_config.Seed, _options, _safety.Violation, _trace.Hash, _trace.Events, _queue.Now, Stats());
    }

    private void RunPhases()
    {
        _trace.Cluster(TraceKind.Note, $"seed {_config.Seed}: {_options.Describe()}");
        BuildCluster();
        StartClients();
        StartCoordinationClient();
        _nemesis.Start();
        _safety.OnTookOffice = _nemesis.OnTookOffice;
        ScanLogsPeriodically();

        // Safety under faults.
        if (!RunUntil(_options.FaultPhaseMicros))
        {
            return;
        }

        // Liveness once healed.
        _nemesis.Heal();
        var liveness = new LivenessChecker(_queue.Now, _options.LivenessBudgetMicros);
        _liveness = liveness;
        _safety.OnLeaderSeen = _ => liveness.OnLeader(_queue.Now);
        StartProbe();
        PollConvergence();
        if (!RunUntil(liveness.Deadline, () => liveness.Satisfied))
        {
            return;
        }
        _safety.Report(liveness.Verdict(_queue.Now, DescribeCluster()));

        // Final checks over the quiet cluster.
        foreach (var client in _clients)
        {
            client.Stop();
        }
        _coordinationClient?.Stop();
        _history.Close();
        _safety.ScanLogs(_nodes);
        var up = _nodes.Where(node => node.IsUp).ToList();
        _safety.Report(StateMachineSafetyChecker.CompareStates(
            up.Select(node => new NodeState(node.Id, node.Applied, node.Contents(), _safety.Coordination.SnapshotFingerprint(node.Tree!))).ToList(),
            _queue.Now));
        foreach (var node in up)
        {
            _safety.Report(CoordinationStateChecker.CheckTree(node.Id, node.Tree!, _queue.Now));
        }
        if (_safety.Violation is null)
        {
            CheckLinearizability();
        }
    }

    /// <summary>Runs events up to <paramref name="until"/>; false if a violation stopped the run.</summary>
    private bool RunUntil(long until, Func<bool>? done = null)
    {
        _queue.RunUntil(until, () =>
            _safety.Violation is not null || (done?.Invoke() ?? false) || _queue.Executed > MaxEvents);
        if (_queue.Executed > MaxEvents)
        {
            _safety.Report(new Violation(ViolationKind.Liveness, $"more than {MaxEvents} events: the simulation does not advance", _queue.Now));
        }
        return _safety.Violation is null;
    }

    private void BuildCluster()
    {
        var voters = Membership.OfVoters(Enumerable.Range(1, _options.Voters).Select(i => new NodeId((ulong)i)));
        for (int i = 1; i <= _options.Nodes; i++)
        {
            var id = new NodeId((ulong)i);
            var nodeRandom = _random.Fork();
            double clockRate = 1 + _options.ClockSkew * (2 * nodeRandom.NextDouble() - 1);
            var node = new SimNode(
                id, CreateDisk(), i <= _options.Voters ? voters : Membership.Empty, _options, clockRate,
                _queue, _network, _trace, _safety, nodeRandom)
            {
                LocalReads = _config.LocalReads,
                DivergentTree = _config.DivergentTree && i == 1,
            };
            _nodes.Add(node);
        }
        foreach (var node in _nodes)
        {
            node.Start();
        }
    }

    private ISimDisk CreateDisk() => _options.Storage switch
    {
        StorageKind.Wal => new WalDisk(_options.WalSegmentBytes, _options.TornWrites),
        _ => new InMemoryDisk(_options.TornWrites),
    };

    private void StartClients()
    {
        var keys = Enumerable.Range(0, _options.Keys).Select(i => $"k{i}").ToArray();
        string padding = new('x', _options.ValuePaddingBytes);
        for (int i = 0; i < _options.Clients; i++)
        {
            var script = new ClientScript
            {
                Keys = keys,
                ReadFraction = _options.ReadFraction,
                DeleteFraction = _options.DeleteFraction,
                ForwardFraction = _options.ForwardFraction,
                MaxThinkMicros = _options.MaxThinkMicros,
                TimeoutMicros = _options.ClientTimeoutMicros,
                Padding = padding,
            };
            AddClient(i + 1, script).Start();
        }
    }

    /// <summary>
    /// A few ZooKeeper sessions proposing coordination commands through one client, at a third of a
    /// key-value client's pace: enough to exercise the tree, cheap enough not to slow the sweep.
    /// </summary>
    private void StartCoordinationClient()
    {
        var random = _random.Fork();
        _coordinationClient = new CoordinationClient(
            1, random.Next(2, 5), _queue, _nodes, _network.SampleDelay, random, 3 * _options.MaxThinkMicros,
            _options.ClientTimeoutMicros, _coordination, _trace);
        _coordinationClient.Start();
    }

    private Client AddClient(int id, ClientScript script)
    {
        var client = new Client(id, _queue, _nodes, _network.SampleDelay, _history, _random.Fork(), script, () => ++_requestIds, _trace);
        _clients.Add(client);
        return client;
    }

    /// <summary>The liveness probe: a client of its own key that writes, then reads back, over and over.</summary>
    private void StartProbe()
    {
        var liveness = _liveness!;
        var script = new ClientScript
        {
            Keys = ["probe"],
            ReadFraction = 0,
            MaxThinkMicros = Time.Ms(5),
            TimeoutMicros = Time.Ms(1000),
            Alternate = true,
            OnFinished = operation =>
            {
                if (operation.Status != OperationStatus.Ok)
                {
                    return;
                }
                if (operation.Kind == OperationKind.Write && liveness.WriteCommittedAt is null)
                {
                    _probeIndex = operation.Index;
                    liveness.OnWriteCommitted(_queue.Now);
                }
                else if (operation.Kind == OperationKind.Read && operation.Call >= liveness.WriteCommittedAt)
                {
                    liveness.OnReadBack(_queue.Now);
                }
            },
        };
        AddClient(0, script).Start();
    }

    private void PollConvergence()
    {
        _queue.After(ConvergencePollMicros, () =>
        {
            var liveness = _liveness!;
            if (liveness.ReadBackAt is not null && Nemesis.CurrentLeader(_nodes) is { } leader)
            {
                var members = leader.Raft!.Membership;
                if (_nodes.All(node => !members.Contains(node.Id) || (node.IsUp && node.Applied >= _probeIndex)))
                {
                    liveness.OnConverged(_queue.Now);
                }
            }
            if (!liveness.Satisfied)
            {
                PollConvergence();
            }
        });
    }

    private void ScanLogsPeriodically()
    {
        _queue.After(LogScanPeriodMicros, () =>
        {
            _safety.ScanLogs(_nodes);
            ScanLogsPeriodically();
        });
    }

    private void CheckLinearizability()
    {
        _settled = _history.Settle(_safety.StateMachines.TryGetApplied);
        var verdict = LinearizabilityCheck.Check(_history.Operations, _queue.Now, _config.CheckerStepsPerKey);
        _linearizabilityUnknown = verdict.Undecided;
        _linearizabilitySteps = verdict.Steps;
        _safety.Report(verdict.Violation);
    }

    private void Deliver(Message message)
    {
        if (message.To.Value >= 1 && message.To.Value <= (ulong)_nodes.Count)
        {
            _nodes[(int)message.To.Value - 1].Deliver(message);
        }
    }

    private void Unreachable(NodeId from, NodeId to) => _nodes[(int)from.Value - 1].ReportUnreachable(to);

    private string DescribeCluster()
    {
        var leader = Nemesis.CurrentLeader(_nodes);
        var membership = leader?.Raft?.Membership;
        var parts = _nodes.Select(node => node.Raft is { } raft
            ? $"n{node.Id} {raft.Role} t{raft.Term} c{raft.CommitIndex} a{node.Applied} last{raft.LastIndex} {raft.Membership}"
            : $"n{node.Id} down");
        string peers = leader?.Raft is { } raft
            ? string.Join(' ', raft.GetStatus().Peers.Select(peer => $"{peer.Id}:{peer.State}/m{peer.Match}/n{peer.Next}{(peer.RecentActive ? "" : "/inactive")}"))
            : "-";
        return $"leader {leader?.Id.ToString() ?? "none"} ({membership?.ToString() ?? "-"}; progress {peers}); {string.Join("; ", parts)}";
    }

    private static string Describe(Exception exception)
    {
        var origin = exception is NodeFailedException { InnerException: { } inner } ? inner : exception;
        string where = origin.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
        string message = exception is NodeFailedException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}";
        return string.Create(CultureInfo.InvariantCulture, $"{message} {where}");
    }

    private SimulationStats Stats() => new()
    {
        OperationsOk = _history.Count(OperationStatus.Ok),
        OperationsPending = _history.Count(OperationStatus.Pending),
        OperationsFailed = _history.Count(OperationStatus.Failed),
        OperationsSettled = _settled,
        CoordinationCommitted = _coordination.Committed,
        CoordinationUnknown = _coordination.Unknown,
        ZNodes = _nodes.FirstOrDefault(node => node.IsUp)?.Tree?.NodeCount ?? 0,
        SessionsMoved = _nodes.Max(node => node.SessionsMoved),
        FencedCommands = _nodes.Max(node => node.FencedCommands),
        Terms = _safety.Elections.TermsWithLeader,
        LeadersElected = _safety.LeadersElected,
        SnapshotsRestored = _safety.SnapshotsRestored,
        Committed = _safety.Completeness.KnownCommitted,
        Crashes = _nemesis.Crashes,
        Partitions = _nemesis.Partitions,
        MembershipChanges = _nemesis.MembershipChanges,
        Transfers = _nemesis.Transfers,
        MessagesSent = _network.Sent,
        LinearizabilityUnknown = _linearizabilityUnknown,
        LinearizabilitySteps = _linearizabilitySteps,
        WalFileSyncs = _nodes.Select(node => node.Disk).OfType<WalDisk>().Sum(disk => disk.FileSystem.FileSyncCount),
        RecoveryMicros = _liveness?.ConvergedAt is { } converged ? converged - _liveness.HealedAt : 0,
        DurableNotices = _network.DurableNoticesSent,
        DurableCommits = _nodes.Sum(node => node.DurableCommits),
        FollowerCommitsAhead = _safety.FollowerCommitsAhead,
        ForwardedOk = _history.Operations.Count(operation => operation.Forwarded && operation.Status == OperationStatus.Ok),
    };
}
