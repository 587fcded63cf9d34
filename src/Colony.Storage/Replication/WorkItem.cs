using Colony.Core;

namespace Colony.Storage.Replication;

public enum DeleteReason : byte
{
    /// <summary>The replica's bytes are bad and enough good replicas exist again.</summary>
    Corrupt = 1,

    /// <summary>The block has more live replicas than its file asks for.</summary>
    OverReplicated = 2,

    /// <summary>No file has the block any more.</summary>
    Orphan = 3,

    /// <summary>The replica's generation stamp is older than the namespace's (a failed pipeline's leftover).</summary>
    Stale = 4,
}

/// <summary>A command for a data node, planned by the leader.</summary>
public abstract record WorkItem
{
    private protected WorkItem()
    {
    }

    /// <summary>
    /// Copy a replica from <paramref name="Source"/> to <paramref name="Target"/>. LiveReplicas and Expected
    /// say how urgent it was when planned.
    /// </summary>
    public sealed record Copy(BlockVersion Block, long Length, NodeId Source, NodeId Target, int LiveReplicas, int Expected) : WorkItem;

    /// <summary>Delete one replica from one node.</summary>
    public sealed record Delete(BlockVersion Block, NodeId Node, DeleteReason Reason) : WorkItem;
}

/// <summary>
/// One plan: work in order (copies, most urgent first, then deletes), the decommissioning nodes now
/// drained, and the blocks no copy can save (missing, or only corrupt replicas left).
/// </summary>
public sealed record ReplicationPlan(
    IReadOnlyList<WorkItem> Work, IReadOnlyList<NodeId> Decommissioned, IReadOnlyList<BlockId> Unrepairable, int UnderReplicated);
