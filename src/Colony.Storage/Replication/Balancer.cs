using Colony.Core;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;

namespace Colony.Storage.Replication;

/// <summary>One balancing move: copy the replica from the fuller node to the emptier, then drop it from the fuller.</summary>
public sealed record BalancerMove(BlockVersion Block, long Length, NodeId From, NodeId To);

/// <summary>
/// Evens out disk use between live nodes. While the most-used node's used fraction exceeds the least-used
/// node's by more than the threshold, move a healthy block from the one to the other, as the usage would
/// be after each move, up to a cap per run. The leader sends each move as a copy; once it lands, it
/// deletes the replica on <see cref="BalancerMove.From"/>.
/// </summary>
public static class Balancer
{
    /// <summary>The default spread tolerated between the most- and least-used nodes: 10 percentage points.</summary>
    public const double DefaultThreshold = 0.10;

    /// <summary>The spread in used fraction between the most- and least-used live nodes; 0 with fewer than two.</summary>
    public static double Spread(IReadOnlyList<DataNodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var fractions = nodes.Where(n => n.State == DataNodeState.Alive && n.CapacityBytes > 0)
            .Select(n => (double)(n.CapacityBytes - n.FreeBytes) / n.CapacityBytes).ToList();
        return fractions.Count < 2 ? 0 : fractions.Max() - fractions.Min();
    }

    /// <summary>Plans up to <paramref name="maxMoves"/> moves; blocks in <paramref name="busy"/> (already moving or being repaired) are left alone.</summary>
    public static IReadOnlyList<BalancerMove> Plan(
        IBlockCatalog catalog, BlockMap map, IReadOnlyList<DataNodeInfo> nodes, double threshold = DefaultThreshold, int maxMoves = 16,
        IReadOnlySet<BlockId>? busy = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfNegative(threshold);
        var live = nodes.Where(n => n.State == DataNodeState.Alive && n.CapacityBytes > 0).OrderBy(n => n.Id).ToList();
        var used = live.ToDictionary(n => n.Id, n => n.CapacityBytes - n.FreeBytes);
        var capacity = live.ToDictionary(n => n.Id, n => n.CapacityBytes);
        var exhausted = new HashSet<NodeId>();
        var moved = new HashSet<BlockId>();
        var moves = new List<BalancerMove>();
        double Fraction(NodeId id) => (double)used[id] / capacity[id];
        while (moves.Count < maxMoves)
        {
            var sources = live.Where(n => !exhausted.Contains(n.Id)).ToList();
            if (sources.Count == 0 || live.Count < 2)
            {
                break;
            }
            var most = sources.MaxBy(n => Fraction(n.Id))!.Id;
            var least = live.MinBy(n => Fraction(n.Id))!.Id;
            if (Fraction(most) - Fraction(least) <= threshold)
            {
                break;
            }
            var pick = map.ReplicasOn(most).FirstOrDefault(r =>
                !moved.Contains(r.Info.Id)
                && busy?.Contains(r.Info.Id) != true
                && catalog.TryGetBlock(r.Info.Id, out var block)
                && block.Block.State == BlockState.Committed
                && ReplicationPlanner.IsGood(r, block.Block)
                && used[least] + block.Block.Length <= capacity[least]
                && map.ReplicasOf(r.Info.Id).All(other => other.Node != least));
            if (pick.Node.IsNone)
            {
                exhausted.Add(most);
                continue;
            }
            moved.Add(pick.Info.Id);
            used[most] -= pick.Info.Length;
            used[least] += pick.Info.Length;
            moves.Add(new BalancerMove(pick.Info.Version, pick.Info.Length, most, least));
        }
        return moves;
    }
}
