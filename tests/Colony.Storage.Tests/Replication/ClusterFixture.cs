using Colony.Core;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;
using Colony.Storage.Replication;
using Colony.Storage.Tests.Namespace;

namespace Colony.Storage.Tests.Replication;

/// <summary>A namespace, a block map and a set of nodes to plan against.</summary>
internal sealed class ClusterFixture
{
    public TreeFixture Fs { get; } = new();

    public BlockMap Map { get; } = new();

    public Dictionary<NodeId, DataNodeInfo> Nodes { get; } = [];

    public ReplicationPlanner Planner { get; }

    public ClusterFixture(int nodes, ReplicationLimits? limits = null, Func<int, string?>? rack = null)
    {
        Planner = new ReplicationPlanner(limits);
        for (int i = 1; i <= nodes; i++)
        {
            Nodes[new NodeId((ulong)i)] = new DataNodeInfo(new NodeId((ulong)i), rack?.Invoke(i), 1_000_000, 900_000, 0, DataNodeState.Alive);
        }
    }

    public IReadOnlyList<DataNodeInfo> View => Nodes.Values.OrderBy(n => n.Id).ToArray();

    public void SetState(ulong node, DataNodeState state) => Nodes[new NodeId(node)] = Nodes[new NodeId(node)] with { State = state };

    /// <summary>Writes a complete file and places its blocks' replicas on <paramref name="holders"/>.</summary>
    public FileBlock[] File(string path, short replication, int blocks, params ulong[] holders)
    {
        var written = Fs.WriteFile(path, blocks, replication: replication);
        foreach (var block in written)
        {
            foreach (ulong holder in holders)
            {
                Put(holder, block);
            }
        }
        return written;
    }

    public void Put(ulong node, FileBlock block, long? length = null, ReplicaState state = ReplicaState.Finalized) =>
        Map.Received(new NodeId(node), new ReplicaInfo(block.Version, length ?? block.Length, state));

    public ReplicationPlan Plan(long now, ulong seed = 1) => Planner.Plan(Fs.Tree, Map, View, now, new SeededRandom(seed));

    /// <summary>Does what the plan says, as data nodes would, and reports it back.</summary>
    public void Execute(ReplicationPlan plan)
    {
        foreach (var item in plan.Work)
        {
            switch (item)
            {
                case WorkItem.Copy copy:
                    Map.Received(copy.Target, new ReplicaInfo(copy.Block, copy.Length, ReplicaState.Finalized));
                    break;
                case WorkItem.Delete delete:
                    Map.Deleted(delete.Node, delete.Block.Id);
                    break;
            }
        }
    }

    public int LiveCount(FileBlock block) => Map.ReplicasOf(block.Id)
        .Count(r => r.Info.Version == block.Version && !r.Corrupt && Nodes[r.Node].State == DataNodeState.Alive);
}
