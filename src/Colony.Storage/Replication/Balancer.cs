using Colony.Core;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;

namespace Colony.Storage.Replication;

/// <summary>One balancing move: copy the replica from the fuller node to the emptier, then drop it from the fuller.</summary>
public sealed record BalancerMove(BlockVersion Block, long Length, NodeId From, NodeId To);

/// <summary>
/// Evens out disk use between live nodes. While the most-used node's used fraction exceeds the least-used
/// node's by more than the threshold, move a healthy block from it to a node used less by more than the
/// threshold, as the usage would be after each move, up to a cap per run, never narrowing a block's rack
/// spread below placement's. The leader sends each move as a copy; once it lands, it deletes the replica
/// on <see cref="BalancerMove.From"/>.
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

    /// <summary>
    /// Plans up to <paramref name="maxMoves"/> moves; blocks in <paramref name="busy"/> (already moving or being repaired) are
    /// left alone. A move never narrows a block's rack spread below what placement would choose
    /// (<see cref="PlacementPolicy.KeepsRackSpread"/>), and among the nodes worth moving to (used less than the source by more
    /// than the threshold) it prefers, first, a move that keeps or widens the spread, then the emptiest target.
    /// </summary>
    public static IReadOnlyList<BalancerMove> Plan(
        IBlockCatalog catalog, BlockMap map, IReadOnlyList<DataNodeInfo> nodes, double threshold = DefaultThreshold, int maxMoves = 16,
        IReadOnlySet<BlockId>? busy = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfNegative(threshold);
        var alive = nodes.Where(n => n.State == DataNodeState.Alive).GroupBy(n => n.Id).ToDictionary(g => g.Key, g => g.First());
        var live = alive.Values.Where(n => n.CapacityBytes > 0).OrderBy(n => n.Id).ToList();
        var plan = new MovePlanner(catalog, map, alive, live, threshold, busy);
        var moves = new List<BalancerMove>();
        while (moves.Count < maxMoves && plan.Next() is { } move)
        {
            moves.Add(move);
        }
        return moves;
    }

    /// <summary>The state of one <see cref="Plan"/> run: usage as it will be after the moves chosen so far.</summary>
    private sealed class MovePlanner
    {
        private readonly IBlockCatalog _catalog;
        private readonly BlockMap _map;
        private readonly Dictionary<NodeId, DataNodeInfo> _alive;
        private readonly List<DataNodeInfo> _live;
        private readonly double _threshold;
        private readonly IReadOnlySet<BlockId>? _busy;
        private readonly Dictionary<NodeId, long> _used;
        private readonly HashSet<NodeId> _exhausted = [];
        private readonly HashSet<BlockId> _moved = [];
        private readonly int _racks;

        public MovePlanner(IBlockCatalog catalog, BlockMap map, Dictionary<NodeId, DataNodeInfo> alive, List<DataNodeInfo> live, double threshold,
            IReadOnlySet<BlockId>? busy)
        {
            (_catalog, _map, _alive, _live, _threshold, _busy) = (catalog, map, alive, live, threshold, busy);
            _used = live.ToDictionary(n => n.Id, n => n.CapacityBytes - n.FreeBytes);
            _racks = PlacementPolicy.RackCount(alive.Values);
        }

        private double Fraction(DataNodeInfo n) => (double)_used[n.Id] / n.CapacityBytes;

        /// <summary>The next move, with usage updated as if it were done; null when balanced or nothing can move.</summary>
        public BalancerMove? Next()
        {
            while (_live.Count >= 2)
            {
                var sources = _live.Where(n => !_exhausted.Contains(n.Id)).ToList();
                if (sources.Count == 0)
                {
                    return null;
                }
                var most = sources.MaxBy(Fraction)!;
                var least = _live.MinBy(Fraction)!;
                if (Fraction(most) - Fraction(least) <= _threshold)
                {
                    return null;
                }
                var targets = _live.Where(n => n.Id != most.Id && Fraction(most) - Fraction(n) > _threshold)
                    .OrderBy(Fraction).ThenBy(n => n.Id).ToList();
                if (Choose(most, targets) is not { } choice)
                {
                    _exhausted.Add(most.Id);
                    continue;
                }
                _moved.Add(choice.Replica.Info.Id);
                _used[most.Id] -= choice.Replica.Info.Length;
                _used[choice.Target.Id] += choice.Replica.Info.Length;
                return new BalancerMove(choice.Replica.Info.Version, choice.Replica.Info.Length, most.Id, choice.Target.Id);
            }
            return null;
        }

        /// <summary>
        /// The best replica on <paramref name="source"/> to move and where: a move that keeps or widens the block's rack spread
        /// to the emptiest target such a move reaches; failing any, a move that narrows the spread but not below placement's
        /// (the emptiest target again); null when no replica may move.
        /// </summary>
        private (Replica Replica, DataNodeInfo Target)? Choose(DataNodeInfo source, List<DataNodeInfo> targets)
        {
            (Replica, DataNodeInfo)? keeping = null, narrowing = null;
            int keepingAt = targets.Count, narrowingAt = targets.Count;
            foreach (var replica in _map.ReplicasOn(source.Id))
            {
                if (keepingAt == 0)
                {
                    break; // nothing beats a spread-keeping move to the emptiest node
                }
                if (_moved.Contains(replica.Info.Id) || _busy?.Contains(replica.Info.Id) == true
                    || !_catalog.TryGetBlock(replica.Info.Id, out var block) || block.Block.State != BlockState.Committed
                    || !ReplicationPlanner.IsGood(replica, block.Block))
                {
                    continue;
                }
                var replicas = _map.ReplicasOf(replica.Info.Id);
                var holders = replicas.Where(r => ReplicationPlanner.IsGood(r, block.Block) && _alive.ContainsKey(r.Node))
                    .Select(r => _alive[r.Node]).ToList();
                for (int i = 0; i < Math.Min(keepingAt, targets.Count); i++)
                {
                    var target = targets[i];
                    if (_used[target.Id] + block.Block.Length > target.CapacityBytes || replicas.Any(r => r.Node == target.Id))
                    {
                        continue;
                    }
                    var after = holders.Where(h => h.Id != source.Id).Append(target).ToList();
                    if (PlacementPolicy.RackCount(after) >= PlacementPolicy.RackCount(holders))
                    {
                        (keeping, keepingAt) = ((replica, target), i);
                        break;
                    }
                    if (i < narrowingAt && PlacementPolicy.KeepsRackSpread(holders, after, block.Replication, _racks))
                    {
                        (narrowing, narrowingAt) = ((replica, target), i);
                    }
                }
            }
            return keeping ?? narrowing;
        }
    }
}
