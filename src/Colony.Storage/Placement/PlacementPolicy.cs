using Colony.Core;

namespace Colony.Storage.Placement;

/// <summary>
/// Where replicas go, and which to copy from or remove. Pure: the caller passes the node view and a
/// seeded random source, so a choice replays exactly from its seed.
/// </summary>
/// <remarks>
/// Targets follow the rack rule HDFS made familiar: the first replica on the writer's own node when it is
/// a live data node, the second on another rack, the third on the second's rack (another node), and any
/// further ones on the racks holding fewest so far. Within the preferred set, the "power of two choices":
/// draw two eligible nodes at random and take the better (more free space relative to capacity, fewer
/// transfers in flight), which spreads load without herding onto the single emptiest node.
/// </remarks>
public static class PlacementPolicy
{
    /// <summary>
    /// Chooses up to <paramref name="count"/> distinct target nodes for a block of <paramref name="blockSize"/>
    /// bytes. Never picks a dead, decommissioning or excluded node, nor one without room for the block.
    /// <paramref name="existing"/> are nodes that already hold the block: excluded, and counted for rack
    /// spreading. Returns fewer than asked when there are not enough eligible nodes (the caller warns).
    /// </summary>
    public static IReadOnlyList<NodeId> ChooseTargets(
        int count, NodeId? writer, IReadOnlySet<NodeId> excluded, IReadOnlyList<DataNodeInfo> candidates, long blockSize,
        IRandomSource random, IReadOnlyList<DataNodeInfo>? existing = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(excluded);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(random);
        var placed = new List<DataNodeInfo>(existing ?? []);
        var taken = new HashSet<NodeId>(placed.Select(n => n.Id));
        var eligible = candidates
            .Where(n => n.State == DataNodeState.Alive && !excluded.Contains(n.Id) && !taken.Contains(n.Id) && n.FreeBytes >= blockSize)
            .GroupBy(n => n.Id).Select(g => g.First()) // distinct even if the caller repeats a node
            .ToList();
        var chosen = new List<NodeId>(count);
        while (chosen.Count < count && eligible.Count > 0)
        {
            DataNodeInfo pick;
            if (placed.Count == 0 && writer is { } w && eligible.FirstOrDefault(n => n.Id == w) is { } local)
            {
                pick = local;
            }
            else
            {
                var preferred = Preferred(placed, eligible);
                pick = BetterOfTwo(preferred.Count > 0 ? preferred : eligible, random);
            }
            chosen.Add(pick.Id);
            placed.Add(pick);
            eligible.Remove(pick);
        }
        return chosen;
    }

    /// <summary>
    /// The node to copy a replica from: never a dead one; live nodes before draining ones (a draining node
    /// is still readable, but live nodes are likelier to stay); then fewest transfers in flight; ties at random.
    /// Null when no holder can serve.
    /// </summary>
    public static NodeId? ChooseSourceForCopy(IReadOnlyList<DataNodeInfo> holders, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(holders);
        var usable = holders.Where(n => n.State != DataNodeState.Dead).ToList();
        if (usable.Count == 0)
        {
            return null;
        }
        int bestRank = usable.Min(Rank);
        var best = usable.Where(n => Rank(n) == bestRank).OrderBy(n => n.Id).ToList();
        return best[random.Next(best.Count)].Id;

        static int Rank(DataNodeInfo n) => (n.State == DataNodeState.Alive ? 0 : 1_000_000) + n.TransfersInFlight;
    }

    /// <summary>
    /// The order a reader should try <paramref name="holders"/> in: the reader's own node, then (when the reader
    /// declares a rack) nodes on its rack, then fewest transfers in flight, ties in a random order so equal
    /// replicas share the reads. <paramref name="reader"/> is null when the client is not a known data node.
    /// </summary>
    public static IReadOnlyList<DataNodeInfo> OrderForRead(IReadOnlyList<DataNodeInfo> holders, DataNodeInfo? reader, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(holders);
        ArgumentNullException.ThrowIfNull(random);
        var shuffled = holders.ToList();
        for (int i = shuffled.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
        }
        string? rack = reader?.Rack;
        // OrderBy is stable, so the shuffle decides among nodes that tie on every key.
        return [.. shuffled
            .OrderBy(n => reader is not null && n.Id == reader.Id ? 0 : 1)
            .ThenBy(n => rack is not null && string.Equals(n.Rack, rack, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(n => n.TransfersInFlight)];
    }

    /// <summary>
    /// Which replica to drop from an over-replicated block: one on the rack holding most replicas (so
    /// dropping it keeps the spread), and there the node with least free space; ties by lowest id.
    /// </summary>
    public static NodeId ChooseReplicaToRemove(IReadOnlyList<DataNodeInfo> holders)
    {
        ArgumentNullException.ThrowIfNull(holders);
        if (holders.Count == 0)
        {
            throw new ArgumentException("no replica to remove", nameof(holders));
        }
        var perRack = holders.GroupBy(n => n.RackKey).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return holders
            .OrderByDescending(n => perRack[n.RackKey])
            .ThenBy(n => n.FreeBytes)
            .ThenBy(n => n.Id)
            .First().Id;
    }

    /// <summary>
    /// How many racks placement spreads <paramref name="replicas"/> replicas over when <paramref name="racks"/>
    /// racks are available: one for one replica, two for two or three (the second replica off the first's rack,
    /// the third beside the second), and each further replica on a rack of its own while racks last.
    /// </summary>
    public static int RacksWanted(int replicas, int racks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        ArgumentOutOfRangeException.ThrowIfNegative(racks);
        return Math.Min(racks, replicas <= 2 ? replicas : replicas - 1);
    }

    /// <summary>
    /// Whether a block held on <paramref name="before"/> may be held on <paramref name="after"/> instead (a
    /// balancer move: one holder swapped for another): the racks it spans must not fall below what placement
    /// would choose for <paramref name="replication"/> replicas over <paramref name="racks"/> racks, nor below
    /// what it spans now when that is less. Nodes without a declared rack count as one rack together.
    /// </summary>
    public static bool KeepsRackSpread(IEnumerable<DataNodeInfo> before, IEnumerable<DataNodeInfo> after, int replication, int racks)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return RackCount(after) >= Math.Min(RackCount(before), RacksWanted(Math.Max(0, replication), racks));
    }

    /// <summary>How many distinct racks <paramref name="nodes"/> span; undeclared racks count as one.</summary>
    public static int RackCount(IEnumerable<DataNodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return nodes.Select(n => n.RackKey).Distinct(StringComparer.Ordinal).Count();
    }

    private static List<DataNodeInfo> Preferred(List<DataNodeInfo> placed, List<DataNodeInfo> eligible)
    {
        switch (placed.Count)
        {
            case 0:
                return eligible;
            case 1:
                return eligible.Where(n => n.RackKey != placed[0].RackKey).ToList();
            case 2 when placed[0].RackKey != placed[1].RackKey:
                return eligible.Where(n => n.RackKey == placed[1].RackKey).ToList();
            case 2:
                return eligible.Where(n => n.RackKey != placed[0].RackKey).ToList();
            default:
                var perRack = placed.GroupBy(n => n.RackKey).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                int fewest = eligible.Min(n => perRack.GetValueOrDefault(n.RackKey));
                return eligible.Where(n => perRack.GetValueOrDefault(n.RackKey) == fewest).ToList();
        }
    }

    private static DataNodeInfo BetterOfTwo(List<DataNodeInfo> pool, IRandomSource random)
    {
        if (pool.Count == 1)
        {
            return pool[0];
        }
        int i = random.Next(pool.Count);
        int j = random.Next(pool.Count - 1);
        if (j >= i)
        {
            j++;
        }
        var (a, b) = (pool[i], pool[j]);
        return Score(b) > Score(a) ? b : a;
    }

    /// <summary>Free space relative to capacity, discounted by the transfers a node is already serving.</summary>
    private static double Score(DataNodeInfo n) => n.FreeFraction / (1 + n.TransfersInFlight);
}
