using Colony.Core;

namespace Colony.Storage.Replication;

/// <summary>What a data node's heartbeat is, next to the ones the leader already took from it.</summary>
public enum HeartbeatVerdict : byte
{
    /// <summary>Newer than any taken from this process (or the node names no process): apply it.</summary>
    Fresh = 1,

    /// <summary>From a new process of a node this leader heard from before: whatever the old one was doing is gone.</summary>
    Restarted = 2,

    /// <summary>
    /// Sent before one already taken (a request the node gave up on, delivered late), or by a process the node has since
    /// replaced: its reports are older than what the leader holds and must not be applied.
    /// </summary>
    Stale = 3,
}

/// <summary>
/// Orders each data node's heartbeats by the process that sent them (a boot id, new at every start) and a sequence
/// number that process counts up. A node gives up on a heartbeat after a timeout and sends the next, but the leader
/// may still be holding the first (paused, or slow): taken late, an old full report would replace a newer one and
/// hide replicas the node has, until the next full report, which only a leader change asks for. Pure; one per leader.
/// </summary>
public sealed class HeartbeatOrder
{
    /// <summary>Earlier boot ids remembered per node, so a late heartbeat of a process already replaced is not taken for a restart.</summary>
    private const int RetiredKept = 4;

    private readonly Dictionary<NodeId, Process> _nodes = [];

    /// <summary>
    /// Judges a heartbeat of <paramref name="node"/>, and remembers it unless it is stale. <paramref name="incarnation"/>
    /// orders the node's processes (each start takes a higher one; 0 when the node does not say): a process this order
    /// never heard from with a lower one than the process it knows is an old one whose request arrives late, not a restart.
    /// </summary>
    public HeartbeatVerdict Observe(NodeId node, string? bootId, long sequence, long incarnation = 0)
    {
        if (string.IsNullOrEmpty(bootId))
        {
            return HeartbeatVerdict.Fresh; // a node too old to say: taken as it comes, as before
        }
        if (!_nodes.TryGetValue(node, out var known))
        {
            _nodes[node] = new Process(bootId, sequence, incarnation);
            return HeartbeatVerdict.Fresh;
        }
        if (string.Equals(known.BootId, bootId, StringComparison.Ordinal))
        {
            if (sequence <= known.Sequence)
            {
                return HeartbeatVerdict.Stale;
            }
            known.Sequence = sequence;
            return HeartbeatVerdict.Fresh;
        }
        // Taken for a restart, an old process's full report would stand for the node's disk (replicas it has deleted
        // since would count, and surplus ones be trimmed against them), and the live process would be retired: every
        // heartbeat of it stale from then on.
        if (known.Retired.Contains(bootId, StringComparer.Ordinal) || (incarnation > 0 && incarnation < known.Incarnation))
        {
            return HeartbeatVerdict.Stale;
        }
        known.Retired.Add(known.BootId);
        if (known.Retired.Count > RetiredKept)
        {
            known.Retired.RemoveAt(0);
        }
        known.BootId = bootId;
        known.Sequence = sequence;
        known.Incarnation = incarnation;
        return HeartbeatVerdict.Restarted;
    }

    private sealed class Process(string bootId, long sequence, long incarnation)
    {
        public string BootId { get; set; } = bootId;

        public long Sequence { get; set; } = sequence;

        public long Incarnation { get; set; } = incarnation;

        public List<string> Retired { get; } = [];
    }
}
