using Colony.Core;
using Colony.Node.FileSystem;
using Colony.Storage.Namespace;
using Colony.Storage.Replication;

namespace Colony.Node.Tests.FileSystem.Simulation;

/// <summary>An invariant broke: the message says which, and the trace how it came to that.</summary>
internal sealed class SimulationViolation(string message) : Exception(message);

/// <summary>
/// A seeded, deterministic run of the storage control plane: the real <see cref="BlockManager"/> (one per leader
/// candidate) and a real <see cref="NamespaceTree"/>, around simulated data nodes, network, clients and faults on a
/// simulated clock. Invariants are checked after every event; <see cref="Run"/> throws
/// <see cref="SimulationViolation"/> with the seed and the last events when one breaks.
/// </summary>
internal sealed class StorageSimulation
{
    private const long Start = 1_000_000;
    private const long BlockSize = 1024 * 1024;
    private const long HttpTimeoutMs = 5_000;
    private const int Candidates = 3;
    private static readonly int TraceKept = int.TryParse(Environment.GetEnvironmentVariable("COLONY_SIM_TRACE"), out int kept) && kept > 0 ? kept : 60;

    private readonly ulong _seed;
    private readonly SeededRandom _random;
    private readonly long _faultsEnd;
    private readonly long _end;
    private readonly NamespaceTree _tree = new();
    private readonly BlockManager[] _managers = new BlockManager[Candidates];
    private readonly List<SimDataNode> _nodes = [];
    private readonly PriorityQueue<Action, (long Time, long Order)> _events = new();
    private readonly Queue<string> _trace = new();
    private readonly List<string> _files = [];
    private long _order;
    private long _now = Start;
    private long _writers;
    private int _fileCount;
    private int _raftLeader;
    private int _leaderEpoch;
    private readonly int _lossPercent;
    private readonly int _faultGapMs;
    private readonly int _maxLateMs;

    public StorageSimulation(ulong seed, long faultsMs = 240_000, long quietMs = 240_000)
    {
        _seed = seed;
        _random = new SeededRandom(seed);
        _faultsEnd = Start + faultsMs;
        _end = _faultsEnd + quietMs;
        for (int i = 0; i < Candidates; i++)
        {
            _managers[i] = new BlockManager(new SeededRandom(seed * 31 + (ulong)i + 1));
        }
        bool racks = _random.Next(2) == 0;
        _lossPercent = _random.Next(1, 8); // each of lost, late, answer lost
        _faultGapMs = _random.Next(2_000, 10_000);
        _maxLateMs = _random.Next(2) == 0 ? 8_000 : 25_000; // a leader stalled well past the node's timeout
        for (ulong id = 1; id <= 5; id++)
        {
            _nodes.Add(new SimDataNode(id, racks ? (id <= 3 ? "r1" : "r2") : null));
        }
    }

    public int FilesWritten => _fileCount;

    /// <summary>Balancer moves started and repair copies landed: that the run exercised them.</summary>
    public int BalancerMoves { get; private set; }

    public int CopiesLanded { get; private set; }

    public void Run()
    {
        try
        {
            Schedule(0, "leader 0 elected", () => ChangeLeader(0));
            foreach (var node in _nodes)
            {
                Schedule(_random.Next(0, 500), $"n{node.Id} starts", () => Boot(node));
            }
            for (int i = 0; i < Candidates; i++)
            {
                int candidate = i;
                Schedule(_random.Next(0, 1000), null, () => ServiceTick(candidate));
            }
            Schedule(2_000, null, ClientStep);
            Schedule(5_000, null, FaultStep);
            Schedule(_faultsEnd - _now, "faults stop", Heal);
            while (_events.TryDequeue(out var action, out var key) && key.Time <= _end)
            {
                _now = key.Time;
                action();
                CheckSafety();
            }
            CheckConverged();
        }
        catch (SimulationViolation e)
        {
            throw new SimulationViolation($"seed {_seed} at t={Seconds(_now)}: {e.Message}\nlast events:\n{string.Join('\n', _trace)}");
        }
    }

    // --- plumbing ---

    private void Schedule(long delay, string? label, Action action)
    {
        _events.Enqueue(() =>
        {
            if (label is not null)
            {
                Trace(label);
            }
            action();
        }, (_now + delay, _order++));
    }

    private void Trace(string line)
    {
        _trace.Enqueue($"{Seconds(_now)} {line}");
        if (_trace.Count > TraceKept)
        {
            _trace.Dequeue();
        }
    }

    private static string Seconds(long t) => $"{(t - Start) / 1000.0:0.000}s";

    private bool Faulty => _now < _faultsEnd;

    private bool Chance(int percent) => _random.Next(100) < percent;

    private static string V(ulong id, ulong stamp) => $"b{id}@{stamp}";

    // --- leadership ---

    private void ChangeLeader(int leader)
    {
        _raftLeader = leader;
        int epoch = ++_leaderEpoch;
        foreach (var node in _nodes)
        {
            // Each data node's consensus loop learns the new leader after its own delay.
            Schedule(_random.Next(0, 3_000), null, () => Learn(node, leader, epoch));
        }
    }

    /// <summary>The consensus term: one election per leadership change.</summary>
    private ulong Term => (ulong)_leaderEpoch;

    private void Learn(SimDataNode node, int leader, int epoch)
    {
        if (node.Up && epoch == _leaderEpoch && node.KnownTerm != Term)
        {
            node.KnownLeader = leader;
            node.KnownTerm = Term;
            Trace($"n{node.Id} learns leader L{leader} in term {Term}");
        }
    }

    /// <summary>BlockManagerService.TickAsync on candidate <paramref name="i"/>: follow leadership, plan, balance, nudge.</summary>
    private void ServiceTick(int i)
    {
        Schedule(1_000, null, () => ServiceTick(i));
        var manager = _managers[i];
        bool leading = _raftLeader == i;
        if (leading != manager.IsActive)
        {
            if (leading)
            {
                manager.BecomeLeader(_now, Term);
                Trace($"L{i} becomes leader in term {Term}");
            }
            else
            {
                manager.StepDown();
                Trace($"L{i} steps down");
            }
        }
        if (!leading)
        {
            return;
        }
        if (manager.Plan(_tree, _now) is { } plan && plan.Work.Count > 0)
        {
            Trace($"L{i} plans {string.Join(", ", plan.Work.Select(Describe))}");
        }
        if (manager.Balance(_tree, _now, 0.05, 16, planNew: true) is { Started.Count: > 0 } pass)
        {
            BalancerMoves += pass.Started.Count;
            Trace($"L{i} balancer moves {string.Join(", ", pass.Started.Select(m => $"{m.Block} n{m.From.Value}->n{m.To.Value}"))}");
        }
        foreach (var id in manager.TakeNewWork())
        {
            var node = _nodes[(int)id.Value - 1];
            if (!Faulty || !Chance(10))
            {
                Schedule(_random.Next(1, 50), null, () => Wake(node));
            }
        }
    }

    private static string Describe(WorkItem item) => item switch
    {
        WorkItem.Copy c => $"copy {c.Block} n{c.Source.Value}->n{c.Target.Value}",
        WorkItem.Delete d => $"delete {d.Block} on n{d.Node.Value} ({d.Reason})",
        _ => item.ToString(),
    };

    // --- data nodes ---

    private void Boot(SimDataNode node)
    {
        node.Start(_now);
        int boot = node.Boot;
        Schedule(_random.Next(0, 2_000), null, () =>
        {
            if (node.Up && node.Boot == boot)
            {
                node.KnownLeader = _raftLeader;
                node.KnownTerm = Term;
                Trace($"n{node.Id} boot {boot} learns leader L{_raftLeader} in term {Term}");
                Wake(node);
            }
        });
        Schedule(_random.Next(0, 1_000), null, () => BeatTick(node, boot));
    }

    private void BeatTick(SimDataNode node, int boot)
    {
        if (!node.Up || node.Boot != boot)
        {
            return;
        }
        Schedule(1_000, null, () => BeatTick(node, boot));
        Wake(node);
    }

    /// <summary>The heartbeat loop wakes (tick, delta or nudge): beat now, or right after the one in flight.</summary>
    private void Wake(SimDataNode node)
    {
        if (!node.Up)
        {
            return;
        }
        if (node.InFlight)
        {
            node.WakePending = true;
            return;
        }
        Heartbeat(node);
    }

    private void Heartbeat(SimDataNode node)
    {
        if (node.BuildHeartbeat() is not { } request)
        {
            return;
        }
        int leader = node.KnownLeader!.Value;
        int boot = node.Boot;
        node.InFlight = true;
        string what = request.Full is { } full ? $"full[{string.Join(' ', full.Select(r => V(r.Id, r.Stamp) + (r.State == "finalized" ? "" : "~")))}]"
            : $"changes[{string.Join(' ', request.Changes.Select(c => $"{c.Change[0]}:{V(c.Id, c.Stamp)}"))}]";
        string name = $"n{node.Id} hb#{request.Sequence} b{boot} to L{leader}";
        int fate = node.Reachable(_now) ? (Faulty ? _random.Next(100) : 99) : 0;
        if (fate < _lossPercent)
        {
            Trace($"{name} {what} LOST");
            Schedule(HttpTimeoutMs, null, () => Failed(node, boot));
        }
        else if (fate < 2 * _lossPercent)
        {
            long late = HttpTimeoutMs + _random.Next(0, _maxLateMs);
            Trace($"{name} {what} DELAYED {late}ms");
            Schedule(HttpTimeoutMs, null, () => Failed(node, boot));
            Schedule(late, null, () => Deliver(node, leader, request, name, answerLost: true));
        }
        else if (fate < 3 * _lossPercent)
        {
            Trace($"{name} {what} (answer will be lost)");
            Schedule(_random.Next(1, 30), null, () => Deliver(node, leader, request, name, answerLost: true));
            Schedule(HttpTimeoutMs, null, () => Failed(node, boot));
        }
        else
        {
            Trace($"{name} {what}");
            Schedule(_random.Next(1, 30), null, () =>
            {
                var response = Deliver(node, leader, request, name, answerLost: false);
                Schedule(_random.Next(1, 30), null, () => Answer(node, boot, leader, response));
            });
        }
    }

    private HeartbeatResponse? Deliver(SimDataNode node, int leader, HeartbeatRequest request, string name, bool answerLost)
    {
        // The endpoint asks the manager only while its node leads (the manager itself follows on its tick).
        var response = _raftLeader == leader ? _managers[leader].Heartbeat(request, _now) : null;
        Trace(response is null ? $"{name} refused: not leader"
            : $"{name} taken{(answerLost ? " (answer lost)" : "")}: full wanted {response.FullReportWanted}"
              + $"{string.Concat(response.Copies.Select(c => $" copy {V(c.Id, c.Stamp)}->{c.Target}"))}"
              + $"{string.Concat(response.Deletes.Select(d => $" delete {V(d.Id, d.Stamp)}"))}");
        return response;
    }

    private void Failed(SimDataNode node, int boot)
    {
        if (node.Up && node.Boot == boot)
        {
            node.InFlight = false;
            AfterBeat(node);
        }
    }

    private void Answer(SimDataNode node, int boot, int leader, HeartbeatResponse? response)
    {
        if (!node.Up || node.Boot != boot)
        {
            return;
        }
        node.InFlight = false;
        if (response is not null)
        {
            node.Answered(leader, response);
            Carry(node, response);
        }
        AfterBeat(node);
    }

    private void AfterBeat(SimDataNode node)
    {
        if (node.WakePending || node.Deltas.Count > 0)
        {
            node.WakePending = false;
            Schedule(1, null, () => Wake(node));
        }
    }

    /// <summary>DataNodeService.Carry: deletes at once, copies in the background (one per block and target).</summary>
    private void Carry(SimDataNode node, HeartbeatResponse response)
    {
        foreach (var delete in response.Deletes)
        {
            CheckDelete(node, delete.Id, delete.Stamp);
            if (node.Delete(delete.Id, delete.Stamp) is { } gone)
            {
                Trace($"n{node.Id} deleted b{delete.Id}{gone}");
            }
        }
        foreach (var copy in response.Copies)
        {
            if (node.Copying.Add((copy.Id, copy.Stamp, copy.Target)))
            {
                StartCopy(node, copy);
            }
        }
        if (node.Deltas.Count > 0)
        {
            node.WakePending = true;
        }
    }

    private void StartCopy(SimDataNode source, CopyCommand copy)
    {
        var target = _nodes.First(n => n.Address == copy.Target);
        int sourceBoot = source.Boot;
        int targetBoot = target.Boot;
        long writer = ++_writers;
        void Done() => source.Copying.Remove((copy.Id, copy.Stamp, copy.Target));
        bool readable = source.Disk.TryGetValue(copy.Id, out var held) && held.Finalized && held.Stamp == copy.Stamp;
        if (!readable || !target.Reachable(_now) || !source.Reachable(_now) || !target.Create(copy.Id, copy.Stamp, writer))
        {
            Trace($"copy {V(copy.Id, copy.Stamp)} n{source.Id}->n{target.Id} refused (target holds {(target.Disk.TryGetValue(copy.Id, out var there) ? there : "nothing")})");
            Done();
            return;
        }
        long length = held!.Length;
        long duration = Faulty && Chance(5) ? _random.Next(30_000, 90_000) : _random.Next(200, 3_000);
        Trace($"copy {V(copy.Id, copy.Stamp)} n{source.Id}->n{target.Id} starts ({duration}ms)");
        Schedule(duration, null, () =>
        {
            bool sourceOk = source.Up && source.Boot == sourceBoot;
            if (sourceOk)
            {
                Done();
            }
            bool ok = sourceOk && source.Reachable(_now) && target.Reachable(_now) && target.Boot == targetBoot && !(Faulty && Chance(5));
            if (ok && target.Finalize(copy.Id, writer, length))
            {
                Trace($"copy {V(copy.Id, copy.Stamp)} n{source.Id}->n{target.Id} landed");
                CopiesLanded++;
                Wake(target);
            }
            else
            {
                Trace($"copy {V(copy.Id, copy.Stamp)} n{source.Id}->n{target.Id} failed (source {(sourceOk ? "up" : "restarted")}, target {(target.Up && target.Boot == targetBoot ? "up" : "restarted")}, target holds {(target.Disk.TryGetValue(copy.Id, out var there) ? there : "nothing")})");
                if (target.Up && target.Boot == targetBoot)
                {
                    target.Discard(copy.Id, writer);
                }
            }
        });
    }

    // --- clients ---

    private void ClientStep()
    {
        if (!Faulty)
        {
            return;
        }
        Schedule(_random.Next(200, 2_500), null, ClientStep);
        if (_files.Count > 8 && Chance(35))
        {
            string victim = _files[_random.Next(_files.Count)];
            _files.Remove(victim);
            Apply(new NamespaceCommand.Delete(victim, false, _now), $"delete {victim}");
        }
        else if (_files.Count < 50)
        {
            string path = $"/f{++_fileCount}";
            string holder = $"client{_fileCount}";
            if (Apply(new NamespaceCommand.Create(path, holder, "u", "g", 0x1A4, 3, BlockSize, false, true, _now), $"create {path}").IsOk)
            {
                WriteBlock(path, holder, _random.Next(1, 4));
            }
        }
    }

    private void WriteBlock(string path, string holder, int left)
    {
        var leader = _managers[_raftLeader];
        var targets = leader.ChooseTargets(3, null, new HashSet<NodeId>(), BlockSize, _now);
        if (targets.Count == 0)
        {
            Abandon(path, "no targets");
            return;
        }
        var added = Apply(new NamespaceCommand.AddBlock(path, holder, [.. targets.Select(t => t.Node)], _now), null);
        if (!added.IsOk)
        {
            return; // deleted meanwhile
        }
        var version = added.Block!.Value.Version;
        long length = _random.Next(1, (int)BlockSize + 1);
        long writer = ++_writers;
        var pipeline = targets.Select(t => _nodes[(int)t.Node.Value - 1]).Where(n => n.Reachable(_now) && n.Create(version.Id.Value, version.Stamp.Value, writer)).ToList();
        Trace($"{path} writes {version} to {string.Join(',', pipeline.Select(n => $"n{n.Id}"))} (chosen {string.Join(',', targets.Select(t => $"n{t.Node.Value}"))})");
        var boots = pipeline.ToDictionary(n => n.Id, n => n.Boot);
        Schedule(_random.Next(100, 800), null, () =>
        {
            int finalized = 0;
            foreach (var node in pipeline)
            {
                if (node.Up && node.Boot == boots[node.Id] && node.Reachable(_now) && node.Finalize(version.Id.Value, writer, length))
                {
                    finalized++;
                    Wake(node);
                }
                else if (node.Up && node.Boot == boots[node.Id])
                {
                    node.Detach(version.Id.Value, writer);
                }
            }
            if (finalized == 0)
            {
                Abandon(path, $"{version} reached no node");
                return;
            }
            if (!Apply(new NamespaceCommand.CommitBlock(path, holder, version, length, 0), $"{path} commits {version}/{length} on {finalized} nodes").IsOk)
            {
                return;
            }
            if (left > 1)
            {
                Schedule(_random.Next(10, 300), null, () => WriteBlock(path, holder, left - 1));
            }
            else if (Apply(new NamespaceCommand.Complete(path, holder, _now), $"{path} complete").IsOk)
            {
                _files.Add(path);
            }
        });
    }

    private void Abandon(string path, string why)
    {
        Apply(new NamespaceCommand.Delete(path, false, _now), $"{path} abandoned: {why}");
    }

    /// <summary>Applies a command as the log would on every candidate: each one's manager hears what it freed.</summary>
    private NamespaceResult Apply(NamespaceCommand command, string? label)
    {
        var result = _tree.Apply(command);
        if (label is not null)
        {
            Trace($"{label}: {result}{(result.FreedBlocks.Count > 0 ? $" freed {string.Join(' ', result.FreedBlocks)}" : "")}");
        }
        if (result.IsOk && result.FreedBlocks.Count > 0)
        {
            foreach (var manager in _managers)
            {
                manager.Freed(result.FreedBlocks);
            }
        }
        return result;
    }

    // --- faults ---

    private void FaultStep()
    {
        if (!Faulty)
        {
            return;
        }
        Schedule(_random.Next(_faultGapMs / 4, _faultGapMs), null, FaultStep);
        int roll = _random.Next(100);
        var node = _nodes[_random.Next(_nodes.Count)];
        int down = _nodes.Count(n => !n.Reachable(_now));
        if (roll < 30 && node.Up && down < 2)
        {
            node.Kill();
            long downFor = Chance(50) ? _random.Next(1_000, 5_000) : _random.Next(5_000, 25_000);
            Trace($"n{node.Id} killed for {downFor}ms");
            Schedule(downFor, null, () =>
            {
                if (!node.Up)
                {
                    Trace($"n{node.Id} restarts");
                    Boot(node); // unless the quiet period already did
                }
            });
        }
        else if (roll < 55 && node.Reachable(_now) && down < 2)
        {
            long cut = Chance(50) ? _random.Next(1_000, 6_000) : _random.Next(11_000, 30_000);
            node.PartitionedUntil = _now + cut;
            Trace($"n{node.Id} partitioned for {cut}ms");
        }
        else if (roll < 70)
        {
            int next = (_raftLeader + 1 + _random.Next(Candidates - 1)) % Candidates;
            Trace($"leadership moves L{_raftLeader} -> L{next}");
            ChangeLeader(next);
        }
    }

    private void Heal()
    {
        foreach (var node in _nodes)
        {
            node.PartitionedUntil = long.MinValue;
            if (!node.Up)
            {
                Boot(node);
            }
        }
    }

    // --- invariants ---

    private int GoodOnDisk(FileBlock block) => _nodes.Count(n => n.Disk.TryGetValue(block.Id.Value, out var r)
        && r.Finalized && r.Stamp == block.Stamp.Value && r.Length == block.Length);

    /// <summary>(1) Every committed block of an existing file has a good replica on some disk.</summary>
    private void CheckSafety()
    {
        foreach (var block in _tree.AllBlocks())
        {
            if (block.Block.State == BlockState.Committed && GoodOnDisk(block.Block) == 0)
            {
                throw new SimulationViolation($"committed block {block.Block.Version} has no good replica on any disk");
            }
        }
    }

    /// <summary>(2) A delete of a live block's current replica never takes it from its factor or more to below.</summary>
    private void CheckDelete(SimDataNode node, ulong id, ulong stamp)
    {
        if (!node.Disk.TryGetValue(id, out var replica) || replica.Stamp > stamp || !_tree.TryGetBlock(new BlockId(id), out var block)
            || block.Block.State != BlockState.Committed || block.Block.Stamp.Value != replica.Stamp || !replica.Finalized
            || replica.Length != block.Block.Length)
        {
            return;
        }
        int good = GoodOnDisk(block.Block);
        if (good >= block.Replication && good - 1 < block.Replication)
        {
            throw new SimulationViolation(
                $"n{node.Id} deletes a good replica of {block.Block.Version}, leaving {good - 1} of {block.Replication} on disk "
                + $"(disks: {string.Join(", ", _nodes.Where(n => n.Disk.ContainsKey(id)).Select(n => $"n{n.Id}{n.Disk[id]}"))})");
        }
    }

    /// <summary>(3) Once quiet: every block fully replicated on disk, and the leader's map equal to the disks.</summary>
    private void CheckConverged()
    {
        var leader = _managers[_raftLeader];
        foreach (var block in _tree.AllBlocks().Where(b => b.Block.State == BlockState.Committed))
        {
            int good = GoodOnDisk(block.Block);
            if (good != block.Replication)
            {
                throw new SimulationViolation($"after the quiet period {block.Block.Version} has {good} of {block.Replication} good replicas on disk");
            }
        }
        var map = leader.ReplicaCounts();
        foreach (var node in _nodes)
        {
            var onDisk = node.Disk.Where(r => r.Value.Finalized).Select(r => V(r.Key, r.Value.Stamp)).Order().ToList();
            var known = _tree.AllBlocks().SelectMany(b => leader.Locations(b.Block.Version, null, _now).Contains(node.Address) ? [V(b.Block.Id.Value, b.Block.Stamp.Value)] : Array.Empty<string>())
                .Order().ToList();
            var expected = node.Disk.Where(r => r.Value.Finalized && _tree.TryGetBlock(new BlockId(r.Key), out var b) && b.Block.Stamp.Value == r.Value.Stamp)
                .Select(r => V(r.Key, r.Value.Stamp)).Order().ToList();
            if (!known.SequenceEqual(expected))
            {
                throw new SimulationViolation($"after the quiet period the leader locates on n{node.Id} [{string.Join(' ', known)}] but its disk holds [{string.Join(' ', expected)}]");
            }
            int finalizedOnMap = map.TryGetValue(new NodeId(node.Id), out var counts) ? counts.Replicas : 0;
            if (finalizedOnMap < onDisk.Count)
            {
                throw new SimulationViolation($"after the quiet period the leader's map has {finalizedOnMap} replicas on n{node.Id}, its disk {onDisk.Count} finalized");
            }
        }
    }
}
