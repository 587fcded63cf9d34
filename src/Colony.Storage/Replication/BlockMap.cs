using Colony.Core;

namespace Colony.Storage.Replication;

public enum ReplicaState : byte
{
    /// <summary>Written and closed on the data node.</summary>
    Finalized = 1,

    /// <summary>Still being written by a pipeline.</summary>
    BeingWritten = 2,
}

/// <summary>One replica as a data node reports it.</summary>
public readonly record struct ReplicaInfo(BlockVersion Version, long Length, ReplicaState State)
{
    public BlockId Id => Version.Id;
}

/// <summary>A replica and where it is. Corrupt when a client or scrubber said its bytes don't match.</summary>
public readonly record struct Replica(NodeId Node, ReplicaInfo Info, bool Corrupt);

/// <summary>
/// Soft state held by the leader: which node holds which replica. Rebuilt from block reports after a
/// leader change, never replicated: the data nodes are the truth about their disks.
/// </summary>
public sealed class BlockMap
{
    private readonly Dictionary<NodeId, Dictionary<BlockId, ReplicaInfo>> _byNode = [];
    private readonly Dictionary<BlockId, Dictionary<NodeId, ReplicaInfo>> _byBlock = [];
    private readonly HashSet<(NodeId Node, BlockVersion Version)> _corrupt = [];

    /// <summary>The nodes that have reported, in id order.</summary>
    public IReadOnlyList<NodeId> Nodes => _byNode.Keys.Order().ToArray();

    public int ReplicaCount => _byNode.Values.Sum(r => r.Count);

    /// <summary>Replaces everything known of <paramref name="node"/> with its full report.</summary>
    public void ApplyFullReport(NodeId node, IEnumerable<ReplicaInfo> replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        RemoveNode(node);
        _byNode[node] = [];
        foreach (var replica in replicas)
        {
            Received(node, replica);
        }
    }

    /// <summary>A node reports a new or updated replica (incremental report).</summary>
    public void Received(NodeId node, ReplicaInfo replica)
    {
        if (!_byNode.TryGetValue(node, out var held))
        {
            _byNode[node] = held = [];
        }
        if (held.TryGetValue(replica.Id, out var old) && old.Version != replica.Version)
        {
            _corrupt.Remove((node, old.Version)); // a new version is new bytes
        }
        held[replica.Id] = replica;
        if (!_byBlock.TryGetValue(replica.Id, out var holders))
        {
            _byBlock[replica.Id] = holders = [];
        }
        holders[node] = replica;
    }

    /// <summary>A node reports it deleted a replica (incremental report).</summary>
    public void Deleted(NodeId node, BlockId block)
    {
        if (_byNode.TryGetValue(node, out var held) && held.Remove(block, out var old))
        {
            _corrupt.Remove((node, old.Version));
            var holders = _byBlock[block];
            holders.Remove(node);
            if (holders.Count == 0)
            {
                _byBlock.Remove(block);
            }
        }
    }

    /// <summary>
    /// Marks the replica of <paramref name="version"/> on <paramref name="node"/> corrupt (a client's
    /// checksum failure, a scrubber's). False if that node holds no such replica.
    /// </summary>
    public bool MarkCorrupt(NodeId node, BlockVersion version)
    {
        if (_byNode.TryGetValue(node, out var held) && held.TryGetValue(version.Id, out var replica) && replica.Version == version)
        {
            _corrupt.Add((node, version));
            return true;
        }
        return false;
    }

    /// <summary>Forgets a node and every replica on it (it died, or is about to send a full report).</summary>
    public void RemoveNode(NodeId node)
    {
        if (!_byNode.Remove(node, out var held))
        {
            return;
        }
        foreach (var replica in held.Values)
        {
            _corrupt.Remove((node, replica.Version));
            var holders = _byBlock[replica.Id];
            holders.Remove(node);
            if (holders.Count == 0)
            {
                _byBlock.Remove(replica.Id);
            }
        }
    }

    /// <summary>Every replica of a block, any version, in node order.</summary>
    public IReadOnlyList<Replica> ReplicasOf(BlockId block) =>
        _byBlock.TryGetValue(block, out var holders)
            ? holders.OrderBy(h => h.Key).Select(h => new Replica(h.Key, h.Value, _corrupt.Contains((h.Key, h.Value.Version)))).ToArray()
            : [];

    /// <summary>Every replica on a node, in block order.</summary>
    public IReadOnlyList<Replica> ReplicasOn(NodeId node) =>
        _byNode.TryGetValue(node, out var held)
            ? held.OrderBy(h => h.Key).Select(h => new Replica(node, h.Value, _corrupt.Contains((node, h.Value.Version)))).ToArray()
            : [];

    /// <summary>Every block with at least one replica, in id order.</summary>
    public IReadOnlyList<BlockId> Blocks => _byBlock.Keys.Order().ToArray();
}
