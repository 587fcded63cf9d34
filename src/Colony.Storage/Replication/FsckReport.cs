using Colony.Core;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;

namespace Colony.Storage.Replication;

public enum BlockHealth : byte
{
    Healthy = 1,
    UnderReplicated = 2,

    /// <summary>Replicas exist but every one is corrupt.</summary>
    Corrupt = 3,

    /// <summary>No replica at all on a node that can serve it.</summary>
    Missing = 4,
}

public enum FsckStatus : byte
{
    Healthy = 1,
    UnderReplicated = 2,

    /// <summary>At least one block is missing or has only corrupt replicas: data is unreadable.</summary>
    Corrupt = 3,
}

/// <summary>One committed block's health and where its replicas are.</summary>
public sealed record FsckBlock(
    string Path, BlockVersion Block, long Length, short Expected, BlockHealth Health,
    IReadOnlyList<NodeId> Live, IReadOnlyList<NodeId> Draining, IReadOnlyList<NodeId> CorruptOn);

/// <summary>What <c>fsck</c> prints: every committed block's health, totals and an overall status.</summary>
public sealed record FsckReport(
    IReadOnlyList<FsckBlock> Blocks, int Healthy, int UnderReplicated, int OverReplicated, int Corrupt, int Missing,
    int OpenBlocks, FsckStatus Status)
{
    /// <summary>The status as fsck prints it: HEALTHY, UNDER-REPLICATED or CORRUPT.</summary>
    public string StatusText => Status switch
    {
        FsckStatus.Healthy => "HEALTHY",
        FsckStatus.UnderReplicated => "UNDER-REPLICATED",
        _ => "CORRUPT",
    };

    /// <summary>
    /// Builds the report. A replica is live as in <see cref="ReplicationPlanner"/>; replicas on draining
    /// nodes still make a block readable (not missing) but don't count towards its factor. Blocks still
    /// being written are counted as open and not judged.
    /// </summary>
    public static FsckReport Build(IBlockCatalog catalog, BlockMap map, IReadOnlyList<DataNodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(nodes);
        var state = nodes.GroupBy(n => n.Id).ToDictionary(g => g.Key, g => g.First().State);
        DataNodeState StateOf(NodeId id) => state.GetValueOrDefault(id, DataNodeState.Dead);
        var blocks = new List<FsckBlock>();
        int healthy = 0, under = 0, over = 0, corrupt = 0, missing = 0, open = 0;
        foreach (var block in catalog.AllBlocks())
        {
            if (block.Block.State != BlockState.Committed)
            {
                open++;
                continue;
            }
            var replicas = map.ReplicasOf(block.Block.Id).Where(r => r.Info.Version == block.Block.Version).ToList();
            var good = replicas.Where(r => ReplicationPlanner.IsGood(r, block.Block)).ToList();
            var live = good.Where(r => StateOf(r.Node) == DataNodeState.Alive).Select(r => r.Node).ToArray();
            var draining = good.Where(r => StateOf(r.Node) is DataNodeState.Decommissioning or DataNodeState.Decommissioned).Select(r => r.Node).ToArray();
            var bad = replicas.Where(r => !ReplicationPlanner.IsGood(r, block.Block) && r.Info.State == ReplicaState.Finalized).Select(r => r.Node).ToArray();
            var health = live.Length + draining.Length > 0
                ? live.Length >= block.Replication ? BlockHealth.Healthy : BlockHealth.UnderReplicated
                : bad.Length > 0 ? BlockHealth.Corrupt : BlockHealth.Missing;
            switch (health)
            {
                case BlockHealth.Healthy: healthy++; break;
                case BlockHealth.UnderReplicated: under++; break;
                case BlockHealth.Corrupt: corrupt++; break;
                default: missing++; break;
            }
            over += live.Length > block.Replication ? 1 : 0;
            blocks.Add(new FsckBlock(block.Path, block.Block.Version, block.Block.Length, block.Replication, health, live, draining, bad));
        }
        var status = corrupt + missing > 0 ? FsckStatus.Corrupt : under > 0 ? FsckStatus.UnderReplicated : FsckStatus.Healthy;
        return new FsckReport(blocks, healthy, under, over, corrupt, missing, open, status);
    }
}
