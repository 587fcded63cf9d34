using Colony.Core;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;
using Colony.Storage.Replication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colony.Node.FileSystem;

/// <summary>What a balancer pass found and did: the spread it saw, the moves it started, those still running, and every move finished so far.</summary>
public sealed record BalancerPass(double Spread, IReadOnlyList<BalancerMove> Started, IReadOnlyList<BalancerMove> InFlight, long MovesDone);

/// <summary>A data node chosen for a new block: its id and where its block transfer port is.</summary>
public readonly record struct PlacedNode(NodeId Node, string Address);

/// <summary>
/// The leader's view of the data nodes and their replicas (soft state, rebuilt from block reports after
/// every leader change) and the work it hands them in heartbeat answers: copies to repair
/// under-replicated blocks, deletes of freed, surplus, stale and corrupt replicas.
/// Thread-safe. Lock order: the namespace gate (when a caller holds it) before this object's lock.
/// </summary>
public sealed partial class BlockManager
{
    /// <summary>After becoming leader, planning waits this long so every live node has sent its full report first.</summary>
    public const long DefaultReportGraceMs = 3_000;

    private const int MaxRememberedAllocations = 10_000;

    /// <summary>A balancer move whose copy has not landed in this long is dropped; the next pass plans afresh.</summary>
    public const long MoveTimeoutMs = 60_000;

    /// <summary>
    /// After the last move finishes, new ones wait this long: two heartbeats, so the nodes' reported use
    /// includes the moves just made and the next plan does not overshoot.
    /// </summary>
    private const long MoveSettleMs = 2_000;

    private readonly object _lock = new();
    private readonly long _deadAfterMs;
    private readonly long _reportGraceMs;
    private readonly ReplicationLimits _limits;
    private readonly IRandomSource _random;
    private readonly ILogger _logger;

    // Deletes handed out and not yet reported done, by node and block: a replica reported deleted that is not here was
    // removed by the node for its own reasons (a pipeline recovery, a newer write), which the log names.
    private readonly Dictionary<(NodeId Node, BlockId Block), GenerationStamp> _deletesOut = [];
    private const int MaxDeletesTracked = 200_000;
    private BlockMap _map = new();
    private NodeLiveness _nodes;
    private ReplicationPlanner _planner;
    private readonly Dictionary<NodeId, string> _addresses = [];

    // The nodes given work since the last TakeNewWork.
    private readonly HashSet<NodeId> _newWork = [];
    private readonly Dictionary<NodeId, long> _diskFullWrites = [];
    private readonly Dictionary<NodeId, NodeWork> _work = [];
    private readonly HashSet<NodeId> _fullReported = [];
    private readonly Dictionary<BlockVersion, IReadOnlyList<PlacedNode>> _allocations = [];
    private HashSet<NodeId> _draining = [];
    private readonly Dictionary<BlockId, Move> _moves = [];
    private readonly HeartbeatOrder _order = new();
    private long _movesDone;
    private long _copiesAbandonedBefore;
    private long _lastMoveFinished = long.MinValue / 2;
    private long? _leaderSince;
    private ulong _term;

    public BlockManager(IRandomSource random, long deadAfterMs = NodeLiveness.DefaultDeadAfterMs,
        long reportGraceMs = DefaultReportGraceMs, ReplicationLimits? limits = null, ILogger<BlockManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _deadAfterMs = deadAfterMs;
        _reportGraceMs = reportGraceMs;
        _limits = limits ?? ReplicationLimits.Default;
        _nodes = new NodeLiveness(deadAfterMs);
        _planner = new ReplicationPlanner(_limits);
    }

    /// <summary>True while this node leads and keeps the block map.</summary>
    public bool IsActive
    {
        get
        {
            lock (_lock)
            {
                return _leaderSince is not null;
            }
        }
    }

    /// <summary>
    /// Starts from nothing: every node is asked for its full report with its next heartbeat. <paramref name="term"/> is the
    /// consensus term this node leads in (0 when unknown): heartbeats sent for an earlier term are refused.
    /// </summary>
    public void BecomeLeader(long now, ulong term = 0)
    {
        lock (_lock)
        {
            Reset();
            _leaderSince = now;
            _term = term;
        }
    }

    /// <summary>The consensus term this node last became leader in (0 before it ever did, or when not given).</summary>
    public ulong Term
    {
        get
        {
            lock (_lock)
            {
                return _term;
            }
        }
    }

    /// <summary>Forgets everything: another node leads, and the map would only go stale.</summary>
    public void StepDown()
    {
        lock (_lock)
        {
            Reset();
            _leaderSince = null;
        }
    }

    /// <summary>Records a heartbeat and its reports; answers with the node's queued work. Null when this node does not lead.</summary>
    public HeartbeatResponse? Heartbeat(HeartbeatRequest request, long now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = new NodeId(request.NodeId);
        lock (_lock)
        {
            // Sent while this node led in an earlier term, and held up past a leadership it lost and won back: the node
            // has reported to other leaders since, and this leader has not heard those reports, so its order cannot tell
            // the request is old. Refused like one to a node that does not lead: the sender keeps its changes.
            if (_leaderSince is null || (request.LeaderTerm != 0 && request.LeaderTerm < _term))
            {
                return null;
            }
            var verdict = _order.Observe(node, request.BootId, request.Sequence, request.Incarnation);
            if (verdict == HeartbeatVerdict.Stale)
            {
                // Older than what this leader already took from the node: applying it would roll its replicas back.
                // Its sender gave up on it, so any work handed out here would be lost: none is.
                return new HeartbeatResponse(!_fullReported.Contains(node), [], []);
            }
            // A node that names no process shows a restart by a full report this leader did not ask for.
            if (verdict == HeartbeatVerdict.Restarted || (request.BootId is null && request.Full is not null && _fullReported.Contains(node)))
            {
                ForgetWorkOf(node);
            }
            _nodes.Heartbeat(node, now, request.Rack, request.Capacity, request.Free, request.Transfers);
            if (_draining.Contains(node) && _nodes.AdministrativeStateOf(node) is null)
            {
                _nodes.StartDecommission(node); // its first heartbeat to this leader: never a placement target
            }
            _addresses[node] = request.DataAddress;
            _diskFullWrites[node] = request.DiskFullWrites;
            if (request.Full is { } full)
            {
                ApplyFullReport(node, full);
            }
            else
            {
                ApplyChanges(node, request.Changes);
            }
            var copies = new List<CopyCommand>();
            var deletes = new List<DeleteCommand>();
            if (_work.Remove(node, out var work))
            {
                copies.AddRange(work.Copies);
                deletes.AddRange(work.Deletes);
                if (_deletesOut.Count + work.Deletes.Count > MaxDeletesTracked)
                {
                    _deletesOut.Clear(); // only a diagnostic: past this, unrequested deletes go unnamed for a while
                }
                foreach (var delete in work.Deletes)
                {
                    _deletesOut[(node, new BlockId(delete.Id))] = new GenerationStamp(delete.Stamp);
                }
            }
            return new HeartbeatResponse(!_fullReported.Contains(node), copies, deletes);
        }
    }

    /// <summary>
    /// The data nodes given work since the last call that is still waiting for their next heartbeat: the leader
    /// nudges them to heartbeat at once (<see cref="DataNodeService.Nudge"/>) rather than within a beat.
    /// </summary>
    public IReadOnlyList<NodeId> TakeNewWork()
    {
        lock (_lock)
        {
            var waiting = _newWork.Where(_work.ContainsKey).Order().ToList();
            _newWork.Clear();
            return waiting;
        }
    }

    /// <summary>When the next data node alive at <paramref name="now"/> would be declared dead if it stays silent; null if none is alive.</summary>
    public long? NextDeathAt(long now)
    {
        lock (_lock)
        {
            return _leaderSince is null ? null : _nodes.NextDeathAt(now);
        }
    }

    /// <summary>
    /// Plans repair work over <paramref name="catalog"/> (the caller holds the namespace gate) and queues it for
    /// the nodes' next heartbeats. Returns the plan, or null while not leading or within the report grace.
    /// </summary>
    public ReplicationPlan? Plan(IBlockCatalog catalog, long now)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        lock (_lock)
        {
            if (_leaderSince is not { } since || now - since < _reportGraceMs)
            {
                return null;
            }
            var plan = _planner.Plan(catalog, _map, _nodes.View(now), now, _random, _moves.Keys.ToHashSet());
            foreach (var item in plan.Work)
            {
                switch (item)
                {
                    case WorkItem.Copy copy when _addresses.TryGetValue(copy.Target, out var target):
                        WorkOf(copy.Source).Copies.Add(new CopyCommand(copy.Block.Id.Value, copy.Block.Stamp.Value, target));
                        break;
                    case WorkItem.Delete delete:
                        WorkOf(delete.Node).Deletes.Add(new DeleteCommand(delete.Block.Id.Value, delete.Block.Stamp.Value));
                        break;
                }
            }
            foreach (var drained in plan.Decommissioned)
            {
                _nodes.MarkDecommissioned(drained);
            }
            return plan;
        }
    }

    /// <summary>
    /// One balancer step over <paramref name="catalog"/> (the caller holds the namespace gate). Moves in flight
    /// go on: once a moved replica has landed on its target, and the block counts its full replication without
    /// the source, the source is told to delete its copy; a move is done when that delete shows in a report.
    /// With <paramref name="planNew"/>, when no move is in flight, it plans new ones (<see cref="Balancer.Plan"/>)
    /// between alive nodes whose used fractions differ by more than <paramref name="threshold"/>, and queues each
    /// as a copy on its source: the copy path, with its bandwidth cap. A block is never in two moves, nor moved
    /// while repair copies it. Null while not leading or within the report grace.
    /// </summary>
    public BalancerPass? Balance(IBlockCatalog catalog, long now, double threshold, int maxMoves, bool planNew)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        lock (_lock)
        {
            if (_leaderSince is not { } since || now - since < _reportGraceMs)
            {
                return null;
            }
            var nodes = _nodes.View(now);
            ProgressMoves(catalog, nodes, now);
            var started = new List<BalancerMove>();
            if (planNew && _moves.Count == 0 && now - _lastMoveFinished >= MoveSettleMs)
            {
                foreach (var move in Balancer.Plan(catalog, _map, nodes, threshold, maxMoves, _planner.BlocksBeingCopied))
                {
                    if (_addresses.TryGetValue(move.To, out var target))
                    {
                        WorkOf(move.From).Copies.Add(new CopyCommand(move.Block.Id.Value, move.Block.Stamp.Value, target));
                        _moves[move.Block.Id] = new Move(move, now + MoveTimeoutMs);
                        started.Add(move);
                    }
                }
            }
            return new BalancerPass(Balancer.Spread(nodes), started, [.. _moves.Values.Select(m => m.Plan)], _movesDone);
        }
    }

    /// <summary>
    /// Repair copies given up since this node started because their source or target died or restarted before the copy
    /// landed (a metric): each is planned again at once instead of after the pending timeout.
    /// </summary>
    public long CopiesAbandoned
    {
        get
        {
            lock (_lock)
            {
                return _copiesAbandonedBefore + _planner.CopiesAbandoned;
            }
        }
    }

    /// <summary>
    /// <paramref name="node"/> came back as a new process: the copies it was sending or receiving died with the old one.
    /// The planner forgets them, and so do the queues and the balancer, so the next plan redoes the work at once.
    /// </summary>
    private void ForgetWorkOf(NodeId node)
    {
        _planner.ForgetWorkOf(node);
        // Work not handed out yet would run untracked beside the work planned again: a copy twice, or a surplus replica
        // trimmed here while the next plan, which no longer counts this delete as pending, trims another one.
        // A dropped delete of a freed block leaves an orphan that the orphan rule deletes later.
        if (_work.TryGetValue(node, out var own))
        {
            own.Copies.Clear();
            own.Deletes.Clear();
        }
        if (_addresses.TryGetValue(node, out var address))
        {
            foreach (var work in _work.Values)
            {
                work.Copies.RemoveAll(c => string.Equals(c.Target, address, StringComparison.OrdinalIgnoreCase));
            }
        }
        foreach (var (id, move) in _moves.ToArray())
        {
            if (!move.DeleteSent && (move.Plan.From == node || move.Plan.To == node))
            {
                _moves.Remove(id);
            }
            else if (move.DeleteSent && move.Plan.From == node)
            {
                // Its source's delete died with the old process or was just dropped above: send it again once it still holds.
                move.DeleteSent = false;
            }
        }
    }

    /// <summary>Balancer moves finished since this node started (a metric).</summary>
    public long BalancerMovesDone
    {
        get
        {
            lock (_lock)
            {
                return _movesDone;
            }
        }
    }

    private void ProgressMoves(IBlockCatalog catalog, IReadOnlyList<DataNodeInfo> nodes, long now)
    {
        var alive = nodes.Where(n => n.State == DataNodeState.Alive).ToDictionary(n => n.Id);
        foreach (var (id, move) in _moves.ToArray())
        {
            var plan = move.Plan;
            // A move whose delete went out is kept until the source's copy is gone, however long that takes:
            // dropping it would let repair trim the surplus too, and the two deletes leave the block short.
            // Before that, a dead source or target means the copy cannot land: drop it now, not at the deadline.
            bool doomed = !move.DeleteSent && (now >= move.Deadline || _nodes.StateOf(plan.From, now) == DataNodeState.Dead
                || _nodes.StateOf(plan.To, now) == DataNodeState.Dead);
            if (!catalog.TryGetBlock(id, out var block) || block.Block.Version != plan.Block || doomed)
            {
                _moves.Remove(id); // the file changed or went, or the copy never landed: nothing to finish
                continue;
            }
            var replicas = _map.ReplicasOf(id);
            bool Good(Replica r) => !r.Corrupt && r.Info.State == ReplicaState.Finalized && r.Info.Version == block.Block.Version
                && r.Info.Length == block.Block.Length && _nodes.StateOf(r.Node, now) == DataNodeState.Alive;
            bool landed = replicas.Any(r => r.Node == plan.To && Good(r));
            if (landed && !replicas.Any(r => r.Node == plan.From))
            {
                _moves.Remove(id);
                _movesDone++;
                _lastMoveFinished = now;
                continue;
            }
            // Never below the factor: the source's copy goes only while the others count enough without it, and
            // only if the racks they span are still what the plan checked (a replica lost meanwhile may have changed them).
            var holders = replicas.Where(Good).Where(r => alive.ContainsKey(r.Node)).Select(r => alive[r.Node]).ToList();
            // A delete whose answer was lost never reaches the source, and the move would hold the surplus (and the
            // balancer) for good: past the pending timeout it is sent again, on the same conditions.
            bool resend = move.DeleteSent && now - move.DeleteSentAt >= _limits.PendingTimeoutMs;
            if (landed && (!move.DeleteSent || resend) && replicas.Count(r => r.Node != plan.From && Good(r)) >= block.Replication
                && PlacementPolicy.KeepsRackSpread(holders.Where(h => h.Id != plan.To), holders.Where(h => h.Id != plan.From),
                    block.Replication, PlacementPolicy.RackCount(alive.Values)))
            {
                WorkOf(plan.From).Deletes.Add(new DeleteCommand(plan.Block.Id.Value, plan.Block.Stamp.Value));
                move.DeleteSent = true;
                move.DeleteSentAt = now;
            }
        }
    }

    /// <summary>Blocks the namespace let go of: every holder is told to delete its replica (that stamp or older).</summary>
    public void Freed(IReadOnlyList<BlockVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        lock (_lock)
        {
            if (_leaderSince is null)
            {
                return;
            }
            foreach (var version in versions)
            {
                foreach (var replica in _map.ReplicasOf(version.Id))
                {
                    if (replica.Info.Version.Stamp.CompareTo(version.Stamp) <= 0)
                    {
                        WorkOf(replica.Node).Deletes.Add(new DeleteCommand(version.Id.Value, version.Stamp.Value));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Live data nodes for a new block's pipeline, <paramref name="writer"/> first when it is one. Fewer than
    /// asked when there are not enough.
    /// </summary>
    public IReadOnlyList<PlacedNode> ChooseTargets(int count, NodeId? writer, IReadOnlySet<NodeId> excluded, long blockSize, long now)
    {
        lock (_lock)
        {
            var chosen = PlacementPolicy.ChooseTargets(count, writer, excluded, _nodes.View(now), blockSize, _random);
            return [.. chosen.Where(_addresses.ContainsKey).Select(n => new PlacedNode(n, _addresses[n]))];
        }
    }

    /// <summary>Remembers a new block's pipeline, so a writer that lost the answer gets the same one again.</summary>
    public void Allocated(BlockVersion version, IReadOnlyList<PlacedNode> targets)
    {
        lock (_lock)
        {
            // Only the latest allocations matter: a retry follows its first attempt within seconds.
            if (_allocations.Count >= MaxRememberedAllocations)
            {
                _allocations.Clear();
            }
            _allocations[version] = targets;
        }
    }

    /// <summary>The pipeline <see cref="Allocated"/> recorded for <paramref name="version"/>, if this leader did.</summary>
    public IReadOnlyList<PlacedNode>? TargetsOf(BlockVersion version)
    {
        lock (_lock)
        {
            return _allocations.GetValueOrDefault(version);
        }
    }

    /// <summary>How many data nodes are alive now.</summary>
    public int LiveNodeCount(long now)
    {
        lock (_lock)
        {
            return _nodes.View(now).Count(n => n.State == DataNodeState.Alive);
        }
    }

    /// <summary>
    /// How many data nodes this leader knows, dead ones included (not decommissioned ones): what a
    /// file's replication is capped by. Counting only live nodes would cap a file created while one
    /// node restarts, or before every node's first heartbeat reached a new leader, for good.
    /// </summary>
    public int KnownNodeCount(long now)
    {
        lock (_lock)
        {
            return _nodes.View(now).Count(n => n.State != DataNodeState.Decommissioned);
        }
    }

    /// <summary>The node serving block transfers at <paramref name="address"/>, if any reported it.</summary>
    public NodeId? NodeAt(string address)
    {
        lock (_lock)
        {
            foreach (var (node, known) in _addresses)
            {
                if (string.Equals(known, address, StringComparison.OrdinalIgnoreCase))
                {
                    return node;
                }
            }
            return null;
        }
    }

    /// <summary>
    /// Addresses of the readable replicas of <paramref name="version"/>: that stamp, finalized, not corrupt, on a
    /// node that is not dead; in <see cref="PlacementPolicy.OrderForRead"/>'s order for <paramref name="reader"/>
    /// (its own node, its rack, then the least busy, ties at random to spread reads).
    /// </summary>
    public IReadOnlyList<string> Locations(BlockVersion version, NodeId? reader, long now)
    {
        lock (_lock)
        {
            var view = _nodes.View(now).ToDictionary(n => n.Id);
            var usable = new List<DataNodeInfo>();
            foreach (var replica in _map.ReplicasOf(version.Id))
            {
                if (replica.Info.Version == version && replica.Info.State == ReplicaState.Finalized && !replica.Corrupt
                    && view.TryGetValue(replica.Node, out var info)
                    && info.State is DataNodeState.Alive or DataNodeState.Decommissioning or DataNodeState.Decommissioned
                    && _addresses.ContainsKey(replica.Node))
                {
                    usable.Add(info);
                }
            }
            var self = reader is { } r ? view.GetValueOrDefault(r) : null;
            return [.. PlacementPolicy.OrderForRead(usable, self, _random).Select(n => _addresses[n.Id])];
        }
    }

    /// <summary>
    /// Follows the replicated list of nodes being drained (<see cref="NamespaceTree.Decommissioning"/>): a listed
    /// node takes no new replicas and its replicas stop counting, so the planner copies them elsewhere and then
    /// marks it Decommissioned; a node taken off the list is back in service. Kept across leader changes on
    /// this node (it mirrors the log), and applied to every node as it first reports.
    /// </summary>
    public void SyncDecommissioning(IEnumerable<NodeId> draining)
    {
        ArgumentNullException.ThrowIfNull(draining);
        lock (_lock)
        {
            _draining = [.. draining];
            foreach (var info in _nodes.View(long.MaxValue))
            {
                bool marked = _nodes.AdministrativeStateOf(info.Id) is not null;
                if (_draining.Contains(info.Id) && !marked)
                {
                    _nodes.StartDecommission(info.Id);
                }
                else if (!_draining.Contains(info.Id) && marked)
                {
                    _nodes.Recommission(info.Id);
                }
            }
        }
    }

    /// <summary>Whether any data node with this id has reported to this leader.</summary>
    public bool Knows(NodeId node)
    {
        lock (_lock)
        {
            return _addresses.ContainsKey(node);
        }
    }

    /// <summary>A client or scrubber found a replica's bytes bad. False if that node holds no such replica.</summary>
    public bool ReportCorrupt(NodeId node, BlockVersion version)
    {
        lock (_lock)
        {
            return _map.MarkCorrupt(node, version);
        }
    }

    /// <summary>fsck over <paramref name="catalog"/> (the caller holds the namespace gate).</summary>
    public FsckReport Fsck(IBlockCatalog catalog, long now)
    {
        lock (_lock)
        {
            return FsckReport.Build(catalog, _map, _nodes.View(now));
        }
    }

    /// <summary>
    /// True once this leader has waited out the report grace: before then the map is still filling from the
    /// nodes' first reports, and every block would look missing.
    /// </summary>
    public bool IsSettled(long now)
    {
        lock (_lock)
        {
            return _leaderSince is { } since && now - since >= _reportGraceMs;
        }
    }

    /// <summary>The replicas each data node has reported, and how many of them are marked corrupt (for the dashboard and metrics).</summary>
    public IReadOnlyDictionary<NodeId, (int Replicas, int Corrupt)> ReplicaCounts()
    {
        lock (_lock)
        {
            return _map.Nodes.ToDictionary(n => n, n =>
            {
                var replicas = _map.ReplicasOn(n);
                return (replicas.Count, replicas.Count(r => r.Corrupt));
            });
        }
    }

    /// <summary>How many writes <paramref name="node"/> said its full disk refused or cut short, in its last heartbeat.</summary>
    public long DiskFullWritesOf(NodeId node)
    {
        lock (_lock)
        {
            return _diskFullWrites.GetValueOrDefault(node);
        }
    }

    /// <summary>The block transfer address <paramref name="node"/> last reported, if any.</summary>
    public string? AddressOf(NodeId node)
    {
        lock (_lock)
        {
            return _addresses.GetValueOrDefault(node);
        }
    }

    /// <summary>The data nodes as placement sees them now.</summary>
    public IReadOnlyList<DataNodeInfo> Nodes(long now)
    {
        lock (_lock)
        {
            return _nodes.View(now);
        }
    }

    private void ApplyFullReport(NodeId node, IReadOnlyList<ReplicaReport> full)
    {
        if (_fullReported.Contains(node))
        {
            var reported = full.Select(r => new BlockId(r.Id)).ToHashSet();
            var gone = _map.ReplicasOn(node).Where(r => !reported.Contains(r.Info.Id)).Select(r => r.Info.Version).ToList();
            if (gone.Count > 0)
            {
                LogFullReportDropped(_logger, node.Value, gone.Count, string.Join(", ", gone.Take(8)));
            }
        }
        foreach (var key in _deletesOut.Keys.Where(k => k.Node == node).ToArray())
        {
            _deletesOut.Remove(key);
        }
        _map.ApplyFullReport(node, full.Select(r => new ReplicaInfo(Version(r.Id, r.Stamp), r.Length,
            r.State == ReplicaStates.BeingWritten ? ReplicaState.BeingWritten : ReplicaState.Finalized)));
        foreach (var replica in full)
        {
            if (replica.State == ReplicaStates.Corrupt)
            {
                _map.MarkCorrupt(node, Version(replica.Id, replica.Stamp));
            }
        }
        _fullReported.Add(node);
    }

    private void ApplyChanges(NodeId node, IReadOnlyList<ReplicaChangeReport> changes)
    {
        foreach (var change in changes)
        {
            var version = Version(change.Id, change.Stamp);
            switch (change.Change)
            {
                case ReplicaStates.Received:
                    _map.Received(node, new ReplicaInfo(version, change.Length, ReplicaState.Finalized));
                    break;
                case ReplicaStates.Deleted:
                    // Only if the replica it names is still the one we know (a newer stamp may have replaced it).
                    if (_map.ReplicasOf(version.Id).Any(r => r.Node == node && r.Info.Version == version))
                    {
                        _map.Deleted(node, version.Id);
                        if (!_deletesOut.Remove((node, version.Id), out var asked) || asked.CompareTo(version.Stamp) < 0)
                        {
                            LogUnrequestedDelete(_logger, node.Value, version.ToString());
                        }
                    }
                    break;
                case ReplicaStates.Corrupt:
                    _map.MarkCorrupt(node, version);
                    break;
            }
        }
    }

    private NodeWork WorkOf(NodeId node)
    {
        _newWork.Add(node);
        if (!_work.TryGetValue(node, out var work))
        {
            _work[node] = work = new NodeWork();
        }
        return work;
    }

    private void Reset()
    {
        _map = new BlockMap();
        _nodes = new NodeLiveness(_deadAfterMs);
        _copiesAbandonedBefore += _planner.CopiesAbandoned;
        _planner = new ReplicationPlanner(_limits);
        // _order is kept: a node's heartbeats are numbered per process, so one this node took while it led before is
        // still newer than a request of that process delivered late now; taken as fresh, an old full report would
        // replace the node's replicas with what it held back then, and stand until the next leader change.
        _addresses.Clear();
        _newWork.Clear();
        _diskFullWrites.Clear();
        _work.Clear();
        _fullReported.Clear();
        _allocations.Clear();
        _moves.Clear();
        _deletesOut.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "full report of node {Node} lacks {Count} replicas the map had: {Replicas}")]
    private static partial void LogFullReportDropped(ILogger logger, ulong node, int count, string replicas);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} reported replica {Version} deleted, which this leader did not ask for")]
    private static partial void LogUnrequestedDelete(ILogger logger, ulong node, string version);

    private static BlockVersion Version(ulong id, ulong stamp) => new(new BlockId(id), new GenerationStamp(stamp));

    private sealed class Move(BalancerMove plan, long deadline)
    {
        public BalancerMove Plan { get; } = plan;
        public long Deadline { get; } = deadline;
        public bool DeleteSent { get; set; }

        public long DeleteSentAt { get; set; }
    }

    private sealed class NodeWork
    {
        public List<CopyCommand> Copies { get; } = [];
        public List<DeleteCommand> Deletes { get; } = [];
    }
}
