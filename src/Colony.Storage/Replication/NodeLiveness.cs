using Colony.Core;
using Colony.Storage.Placement;

namespace Colony.Storage.Replication;

/// <summary>
/// The leader's view of its data nodes: heartbeats with their times and usage, and administrative
/// decommissioning. A node is Dead once no heartbeat arrived for <see cref="DeadAfterMs"/>.
/// </summary>
public sealed class NodeLiveness
{
    /// <summary>The default silence after which a node is dead: 10 s.</summary>
    public const long DefaultDeadAfterMs = 10_000;

    private readonly SortedDictionary<NodeId, Entry> _nodes = [];

    public NodeLiveness(long deadAfterMs = DefaultDeadAfterMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(deadAfterMs);
        DeadAfterMs = deadAfterMs;
    }

    public long DeadAfterMs { get; }

    /// <summary>Records a heartbeat at <paramref name="now"/> (unix ms) with the node's usage.</summary>
    public void Heartbeat(NodeId node, long now, string? rack, long capacityBytes, long freeBytes, int transfersInFlight)
    {
        var entry = _nodes.GetValueOrDefault(node) ?? new Entry();
        entry.LastHeartbeat = Math.Max(entry.LastHeartbeat, now);
        entry.Rack = rack;
        entry.Capacity = capacityBytes;
        entry.Free = freeBytes;
        entry.Transfers = transfersInFlight;
        _nodes[node] = entry;
    }

    /// <summary>Starts draining a node. False if it is unknown.</summary>
    public bool StartDecommission(NodeId node) => Set(node, e => e.Decommission = DataNodeState.Decommissioning);

    /// <summary>Marks a drained node decommissioned (the planner says when).</summary>
    public bool MarkDecommissioned(NodeId node) => Set(node, e => e.Decommission = DataNodeState.Decommissioned);

    /// <summary>Puts a node back in service.</summary>
    public bool Recommission(NodeId node) => Set(node, e => e.Decommission = null);

    /// <summary>Decommissioning or Decommissioned when an administrator drains the node, else null; whether it is alive aside.</summary>
    public DataNodeState? AdministrativeStateOf(NodeId node) => _nodes.GetValueOrDefault(node)?.Decommission;

    /// <summary>Forgets a node entirely (removed from the cluster).</summary>
    public bool Remove(NodeId node) => _nodes.Remove(node);

    /// <summary>The node's state at <paramref name="now"/>; null if it never sent a heartbeat.</summary>
    public DataNodeState? StateOf(NodeId node, long now) => _nodes.TryGetValue(node, out var e) ? State(e, now) : null;

    /// <summary>
    /// When the next node still alive at <paramref name="now"/> turns dead if it stays silent: the instant
    /// its last heartbeat is <see cref="DeadAfterMs"/> old. Null when no node is alive.
    /// </summary>
    public long? NextDeathAt(long now)
    {
        long? next = null;
        foreach (var entry in _nodes.Values)
        {
            long dies = entry.LastHeartbeat + DeadAfterMs;
            if (dies > now && (next is null || dies < next))
            {
                next = dies;
            }
        }
        return next;
    }

    /// <summary>Every known node as placement sees it at <paramref name="now"/>, in id order.</summary>
    public IReadOnlyList<DataNodeInfo> View(long now) =>
        _nodes.Select(n => new DataNodeInfo(n.Key, n.Value.Rack, n.Value.Capacity, n.Value.Free, n.Value.Transfers, State(n.Value, now))).ToArray();

    private DataNodeState State(Entry e, long now) =>
        now - e.LastHeartbeat >= DeadAfterMs ? DataNodeState.Dead : e.Decommission ?? DataNodeState.Alive;

    private bool Set(NodeId node, Action<Entry> change)
    {
        if (!_nodes.TryGetValue(node, out var entry))
        {
            return false;
        }
        change(entry);
        return true;
    }

    private sealed class Entry
    {
        public long LastHeartbeat = long.MinValue / 2;
        public string? Rack;
        public long Capacity;
        public long Free;
        public int Transfers;
        public DataNodeState? Decommission;
    }
}
