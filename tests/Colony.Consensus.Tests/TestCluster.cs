using Colony.Consensus;
using Colony.Core;

namespace Colony.Consensus.Tests;

/// <summary>
/// A few RaftNodes wired together in memory, driven step by step: messages are queued, and the
/// test decides when to deliver them and which links are cut. Storage is an in-memory record of
/// what each Ready asked to persist, so restarts can be simulated too.
/// </summary>
internal sealed class TestCluster
{
    private readonly Dictionary<NodeId, RaftNode> _nodes = [];
    private readonly Dictionary<NodeId, NodeStorage> _storage = [];
    private readonly Queue<Message> _inFlight = new();
    private readonly HashSet<(NodeId, NodeId)> _cut = [];
    private readonly SeededRandom _random = new(1);

    public TestCluster(int voters, Func<NodeId, RaftOptions>? configure = null)
    {
        var membership = Membership.OfVoters(Enumerable.Range(1, voters).Select(i => new NodeId((ulong)i)));
        Configure = configure ?? (id => new RaftOptions { Id = id, InitialMembership = membership });
        foreach (var id in membership.Voters)
        {
            Add(id);
        }
    }

    public Func<NodeId, RaftOptions> Configure { get; }

    public Dictionary<NodeId, List<Entry>> Applied { get; } = [];

    public Dictionary<NodeId, List<ReadState>> Reads { get; } = [];

    public IEnumerable<RaftNode> Nodes => _nodes.Values;

    public RaftNode this[ulong id] => _nodes[new NodeId(id)];

    public RaftNode? Leader => _nodes.Values.Where(n => n.Role == RaftRole.Leader).MaxBy(n => n.Term);

    public void Add(NodeId id, RaftOptions? options = null)
    {
        var storage = new NodeStorage();
        _storage[id] = storage;
        _nodes[id] = new RaftNode(options ?? Configure(id), PersistentState.Empty, _random.Fork());
        Applied[id] = [];
        Reads[id] = [];
    }

    /// <summary>Restarts a node from what it persisted (a crash: everything else is lost).</summary>
    public void Restart(ulong id)
    {
        var nodeId = new NodeId(id);
        var storage = _storage[nodeId];
        var state = new PersistentState(storage.HardState, storage.Snapshot, storage.Entries.ToList());
        _nodes[nodeId] = new RaftNode(Configure(nodeId), state, _random.Fork());
        Applied[nodeId] = storage.Snapshot.IsEmpty ? [] : [.. Applied[nodeId].Where(e => e.Index <= storage.Snapshot.Metadata.Index)];
        Applied[nodeId].RemoveAll(e => e.Index > storage.Snapshot.Metadata.Index);
    }

    public void Cut(ulong a, ulong b)
    {
        _cut.Add((a, b));
        _cut.Add((b, a));
    }

    public void Isolate(ulong id)
    {
        foreach (var other in _nodes.Keys)
        {
            if (other.Value != id)
            {
                Cut(id, other.Value);
            }
        }
    }

    public void Heal() => _cut.Clear();

    /// <summary>Drops any message this returns true for (in addition to cut links).</summary>
    public Func<Message, bool>? DropIf { get; set; }

    /// <summary>Every message delivered, in order, for tests that count traffic.</summary>
    public List<Message> Delivered { get; } = [];

    public int Dropped { get; private set; }

    /// <summary>Processes Readys and delivers messages until nothing moves.</summary>
    public void Stabilize(int maxRounds = 10_000)
    {
        for (int round = 0; round < maxRounds; round++)
        {
            bool progress = false;
            foreach (var (id, node) in _nodes.ToList())
            {
                while (node.HasReady())
                {
                    progress = true;
                    Process(id, node);
                }
            }
            while (_inFlight.TryDequeue(out var m))
            {
                progress = true;
                if (_cut.Contains((m.From, m.To)) || !_nodes.TryGetValue(m.To, out var target) || DropIf?.Invoke(m) == true)
                {
                    Dropped++;
                    continue;
                }
                Delivered.Add(m);
                target.Step(m);
            }
            if (!progress)
            {
                return;
            }
        }
        throw new InvalidOperationException("cluster did not stabilize");
    }

    public void Tick(int ticks = 1)
    {
        for (int i = 0; i < ticks; i++)
        {
            foreach (var node in _nodes.Values)
            {
                node.Tick();
            }
            Stabilize();
        }
    }

    /// <summary>Ticks until some node leads (bounded).</summary>
    public RaftNode ElectLeader(int maxTicks = 200)
    {
        for (int i = 0; i < maxTicks; i++)
        {
            if (Leader is { } leader && _nodes.Values.Count(n => n.Leader == leader.Id) >= leader.Membership.Quorum)
            {
                return leader;
            }
            Tick();
        }
        throw new InvalidOperationException("no leader elected");
    }

    public void Compact(ulong id, ulong index)
    {
        var nodeId = new NodeId(id);
        var data = System.Text.Encoding.UTF8.GetBytes($"state@{index}");
        var snapshot = _nodes[nodeId].Compact(index, data) ?? throw new InvalidOperationException("nothing to compact");
        _storage[nodeId].Snapshot = snapshot;
        _storage[nodeId].Entries.RemoveAll(e => e.Index <= index);
    }

    private void Process(NodeId id, RaftNode node)
    {
        var ready = node.GetReady();
        var storage = _storage[id];
        foreach (var m in ready.Messages)
        {
            _inFlight.Enqueue(m);
        }
        if (ready.Snapshot is { } snapshot)
        {
            storage.Snapshot = snapshot;
            storage.Entries.Clear();
            Applied[id].Clear();
            Applied[id].Add(new Entry(snapshot.Metadata.Term, snapshot.Metadata.Index, EntryType.Noop, snapshot.Data));
        }
        if (ready.Entries.Count > 0)
        {
            storage.Entries.RemoveAll(e => e.Index >= ready.Entries[0].Index);
            storage.Entries.AddRange(ready.Entries);
        }
        if (ready.HardState is { } hs)
        {
            storage.HardState = hs;
        }
        foreach (var m in ready.MessagesAfterPersist)
        {
            _inFlight.Enqueue(m);
        }
        Applied[id].AddRange(ready.CommittedEntries);
        Reads[id].AddRange(ready.ReadStates);
        node.Advance(ready);
    }

    private sealed class NodeStorage
    {
        public HardState HardState { get; set; }

        public Snapshot Snapshot { get; set; } = Snapshot.Empty;

        public List<Entry> Entries { get; } = [];
    }
}
