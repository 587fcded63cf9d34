using Colony.Core;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;

namespace Colony.Storage.Replication;

/// <summary>
/// Turns the namespace (what should exist), the block map (what does) and the node view into repair and
/// garbage-collection work. Runs on the leader, on a timer; pure apart from the state it keeps between
/// plans: work in flight (so it is not planned twice, and is planned again if it times out) and when each
/// orphan was first seen (so a block allocated but not yet visible is not deleted).
/// </summary>
/// <remarks>
/// Rules, per committed block of the namespace:
/// <list type="bullet">
/// <item>A replica counts when it has the namespace's generation stamp and length, is finalized, is not
/// marked corrupt, and its node is Alive. Replicas on draining nodes serve as copy sources but don't count.</item>
/// <item>Fewer counted replicas (plus copies in flight) than the file's factor: copy, most urgent first
/// (fewest counted replicas, then most missing), within the per-node and total caps.</item>
/// <item>Corrupt replicas are deleted only once the count is back to the factor, or sooner when a good
/// replica exists and every other alive node already holds the block (the corrupt one's node is then the
/// only place a replacement can go); while no good replica exists the corrupt one is kept and the block is
/// reported unrepairable.</item>
/// <item>More than the factor: delete extras chosen by <see cref="PlacementPolicy.ChooseReplicaToRemove"/>.</item>
/// <item>A replica of a block no file has (orphan), or with an older stamp (stale), is deleted once it has
/// been seen so in two plans at least <see cref="ReplicationLimits.OrphanGraceMs"/> apart.</item>
/// <item>A draining node is Decommissioned once every block on it is counted enough times elsewhere.</item>
/// </list>
/// Blocks under construction are left alone: their pipeline owns them until they commit.
/// </remarks>
public sealed class ReplicationPlanner(ReplicationLimits? limits = null)
{
    private readonly Dictionary<(BlockId Block, NodeId Target), PendingCopy> _pendingCopies = [];
    private readonly Dictionary<(NodeId Node, BlockVersion Version), long> _pendingDeletes = [];
    private Dictionary<(NodeId Node, BlockVersion Version), long> _orphanSince = [];

    public ReplicationLimits Limits { get; } = (limits ?? ReplicationLimits.Default).Validate();

    /// <summary>Copies planned and not yet confirmed by a block report.</summary>
    public int PendingCopies => _pendingCopies.Count;

    /// <summary>Blocks with a repair copy planned and not yet confirmed.</summary>
    public IReadOnlySet<BlockId> BlocksBeingCopied => _pendingCopies.Keys.Select(k => k.Block).ToHashSet();

    /// <summary>Deletes planned and not yet confirmed.</summary>
    public int PendingDeletes => _pendingDeletes.Count;

    /// <summary>Copies given up before they landed because their source or target died or restarted (planned again at once).</summary>
    public long CopiesAbandoned { get; private set; }

    /// <summary>
    /// <paramref name="node"/> restarted (a new process): a copy it was sending or receiving died with the old one, and a
    /// delete it had not carried out is lost. Forgets that work, so the next plan redoes it rather than wait out
    /// <see cref="ReplicationLimits.PendingTimeoutMs"/>. Returns how many copies were forgotten.
    /// </summary>
    public int ForgetWorkOf(NodeId node)
    {
        int dropped = 0;
        foreach (var (key, pending) in _pendingCopies.ToArray())
        {
            if (key.Target == node || pending.Source == node)
            {
                _pendingCopies.Remove(key);
                dropped++;
            }
        }
        foreach (var key in _pendingDeletes.Keys.Where(k => k.Node == node).ToArray())
        {
            _pendingDeletes.Remove(key);
        }
        CopiesAbandoned += dropped;
        return dropped;
    }

    /// <summary>
    /// Plans the work due at <paramref name="now"/> (unix ms). Blocks in <paramref name="balancing"/> are being moved
    /// by the balancer, which deletes the moved replica's source itself: their surplus replica is left to it, so the
    /// two never delete one replica each and leave the block short.
    /// </summary>
    public ReplicationPlan Plan(IBlockCatalog catalog, BlockMap map, IReadOnlyList<DataNodeInfo> nodes, long now, IRandomSource random,
        IReadOnlySet<BlockId>? balancing = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(random);
        var byId = nodes.GroupBy(n => n.Id).ToDictionary(g => g.Key, g => g.First());
        DataNodeState StateOf(NodeId id) => byId.TryGetValue(id, out var n) ? n.State : DataNodeState.Dead;
        ForgetFinished(map, StateOf, now);
        var inFlightByBlock = _pendingCopies.Keys.GroupBy(k => k.Block).ToDictionary(g => g.Key, g => g.Select(k => k.Target).ToList());

        var copies = new List<Candidate>();
        var deletes = new List<WorkItem.Delete>();
        var unrepairable = new List<BlockId>();
        var counted = new Dictionary<BlockId, int>();
        int underReplicated = 0;
        foreach (var block in catalog.AllBlocks())
        {
            if (block.Block.State != BlockState.Committed)
            {
                continue;
            }
            var current = map.ReplicasOf(block.Block.Id).Where(r => r.Info.Version == block.Block.Version).ToList();
            var good = current.Where(r => IsGood(r, block.Block)).ToList();
            var bad = current.Where(r => !IsGood(r, block.Block) && r.Info.State == ReplicaState.Finalized).ToList();
            var live = good.Where(r => StateOf(r.Node) == DataNodeState.Alive && !_pendingDeletes.ContainsKey((r.Node, r.Info.Version))).ToList();
            var sources = good.Where(r => StateOf(r.Node) != DataNodeState.Dead).ToList();
            int expected = block.Replication;
            counted[block.Block.Id] = live.Count;
            if (sources.Count == 0)
            {
                unrepairable.Add(block.Block.Id);
                continue;
            }
            if (live.Count < expected)
            {
                underReplicated++;
            }
            int inFlight = inFlightByBlock.TryGetValue(block.Block.Id, out var targets) ? targets.Count : 0;
            if (live.Count + inFlight < expected)
            {
                copies.Add(new Candidate(block, live, sources, expected - live.Count - inFlight));
            }
            // A corrupt replica is normally kept until its replacement exists. But when every other eligible node
            // already holds the block, its own node is the only place a replacement can go: delete it first.
            if (live.Count >= expected || (live.Count > 0 && bad.Count > 0 && !HasSpareNodes(map, nodes, block.Block.Id, Math.Max(1, expected - live.Count - inFlight))))
            {
                deletes.AddRange(bad.Where(r => StateOf(r.Node) != DataNodeState.Dead && !_pendingDeletes.ContainsKey((r.Node, r.Info.Version)))
                    .Select(r => new WorkItem.Delete(r.Info.Version, r.Node, DeleteReason.Corrupt)));
            }
            if (live.Count > expected && inFlight == 0 && balancing?.Contains(block.Block.Id) != true)
            {
                var holders = live.Select(r => byId[r.Node]).ToList();
                while (holders.Count > expected)
                {
                    var victim = PlacementPolicy.ChooseReplicaToRemove(holders);
                    holders.RemoveAll(h => h.Id == victim);
                    deletes.Add(new WorkItem.Delete(block.Block.Version, victim, DeleteReason.OverReplicated));
                }
            }
        }

        var work = new List<WorkItem>();
        PlanCopies(copies, map, byId, nodes, inFlightByBlock, now, random, work);
        PlanOrphans(catalog, map, StateOf, now, deletes);
        var perNode = new Dictionary<NodeId, int>();
        foreach (var delete in deletes)
        {
            int sent = perNode.GetValueOrDefault(delete.Node);
            if (sent < Limits.MaxDeletesPerNode)
            {
                perNode[delete.Node] = sent + 1;
                _pendingDeletes[(delete.Node, delete.Block)] = now + Limits.PendingTimeoutMs;
                work.Add(delete);
            }
        }
        var drained = nodes.Where(n => n.State == DataNodeState.Decommissioning && IsDrained(n.Id, catalog, map, counted))
            .Select(n => n.Id).Order().ToArray();
        return new ReplicationPlan(work, drained, unrepairable, underReplicated);
    }

    /// <summary>Whether placement has at least <paramref name="needed"/> alive nodes that hold no replica of the block.</summary>
    private static bool HasSpareNodes(BlockMap map, IReadOnlyList<DataNodeInfo> nodes, BlockId block, int needed)
    {
        var holders = map.ReplicasOf(block).Select(r => r.Node).ToHashSet();
        return nodes.Count(n => n.State == DataNodeState.Alive && !holders.Contains(n.Id)) >= needed;
    }

    private void PlanCopies(List<Candidate> candidates, BlockMap map, Dictionary<NodeId, DataNodeInfo> byId,
        IReadOnlyList<DataNodeInfo> nodes, Dictionary<BlockId, List<NodeId>> inFlightByBlock, long now, IRandomSource random, List<WorkItem> work)
    {
        var busy = new Dictionary<NodeId, int>();
        foreach (var (key, pending) in _pendingCopies)
        {
            busy[key.Target] = busy.GetValueOrDefault(key.Target) + 1;
            busy[pending.Source] = busy.GetValueOrDefault(pending.Source) + 1;
        }
        bool HasRoom(NodeId id) => busy.GetValueOrDefault(id) < Limits.MaxCopiesPerNode;
        // Most urgent first: a block with one counted replica is one failure from loss.
        foreach (var c in candidates.OrderBy(c => c.Live.Count).ThenByDescending(c => c.Block.Replication - c.Live.Count).ThenBy(c => c.Block.Block.Id))
        {
            int room = Limits.MaxCopiesTotal - _pendingCopies.Count;
            if (room <= 0)
            {
                break;
            }
            // A being-written replica of a committed block is what an interrupted copy leaves behind (a pipeline's
            // would have an older stamp): its node is still a fine target, and the store replaces it. Copies this
            // planner has running are in inFlightByBlock.
            var holders = map.ReplicasOf(c.Block.Block.Id).Where(r => r.Info.State != ReplicaState.BeingWritten).Select(r => r.Node)
                .Concat(inFlightByBlock.GetValueOrDefault(c.Block.Block.Id) ?? []).ToHashSet();
            var targets = PlacementPolicy.ChooseTargets(Math.Min(c.Needed, room), writer: null, holders,
                nodes.Where(n => HasRoom(n.Id)).ToList(), c.Block.Block.Length, random, c.Live.Select(r => byId[r.Node]).ToList());
            foreach (var target in targets)
            {
                var sourceNodes = c.Sources.Where(r => HasRoom(r.Node)).Select(r => byId[r.Node]).ToList();
                if (PlacementPolicy.ChooseSourceForCopy(sourceNodes, random) is not { } source)
                {
                    break;
                }
                busy[source] = busy.GetValueOrDefault(source) + 1;
                busy[target] = busy.GetValueOrDefault(target) + 1;
                _pendingCopies[(c.Block.Block.Id, target)] = new PendingCopy(c.Block.Block.Version, source, now + Limits.PendingTimeoutMs);
                work.Add(new WorkItem.Copy(c.Block.Block.Version, c.Block.Block.Length, source, target, c.Live.Count, c.Block.Replication));
            }
        }
    }

    private void PlanOrphans(IBlockCatalog catalog, BlockMap map, Func<NodeId, DataNodeState> stateOf, long now, List<WorkItem.Delete> deletes)
    {
        var seen = new Dictionary<(NodeId, BlockVersion), long>();
        foreach (var node in map.Nodes)
        {
            if (stateOf(node) == DataNodeState.Dead)
            {
                continue; // nothing can be sent to it; a full report starts afresh when it returns
            }
            foreach (var replica in map.ReplicasOn(node))
            {
                DeleteReason? reason = !catalog.TryGetBlock(replica.Info.Id, out var expected) ? DeleteReason.Orphan
                    : replica.Info.Version.Stamp < expected.Block.Stamp ? DeleteReason.Stale
                    : null;
                if (reason is null)
                {
                    continue;
                }
                var key = (node, replica.Info.Version);
                bool seenBefore = _orphanSince.TryGetValue(key, out long since);
                seen[key] = seenBefore ? since : now;
                if (seenBefore && now - since >= Limits.OrphanGraceMs && !_pendingDeletes.ContainsKey(key))
                {
                    deletes.Add(new WorkItem.Delete(replica.Info.Version, node, reason.Value));
                }
            }
        }
        _orphanSince = seen;
    }

    private static bool IsDrained(NodeId node, IBlockCatalog catalog, BlockMap map, Dictionary<BlockId, int> counted)
    {
        foreach (var replica in map.ReplicasOn(node))
        {
            if (!catalog.TryGetBlock(replica.Info.Id, out var block) || block.Block.Version != replica.Info.Version)
            {
                continue; // garbage: nothing to preserve
            }
            if (block.Block.State != BlockState.Committed || counted.GetValueOrDefault(block.Block.Id) < block.Replication)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Drops work that a block report confirmed, and work that timed out so it is planned again. A copy whose source or
    /// target is dead cannot land: it is dropped at once and planned again (elsewhere if need be).
    /// </summary>
    private void ForgetFinished(BlockMap map, Func<NodeId, DataNodeState> stateOf, long now)
    {
        foreach (var (key, pending) in _pendingCopies.ToArray())
        {
            bool landed = map.ReplicasOf(key.Block).Any(r => r.Node == key.Target && r.Info.Version == pending.Version);
            bool doomed = !landed && (stateOf(key.Target) == DataNodeState.Dead || stateOf(pending.Source) == DataNodeState.Dead);
            if (landed || doomed || now >= pending.Deadline)
            {
                _pendingCopies.Remove(key);
                CopiesAbandoned += doomed ? 1 : 0;
            }
        }
        foreach (var (key, deadline) in _pendingDeletes.ToArray())
        {
            bool gone = !map.ReplicasOf(key.Version.Id).Any(r => r.Node == key.Node && r.Info.Version == key.Version);
            if (gone || now >= deadline)
            {
                _pendingDeletes.Remove(key);
            }
        }
    }

    internal static bool IsGood(Replica replica, FileBlock expected) =>
        !replica.Corrupt && replica.Info.State == ReplicaState.Finalized && replica.Info.Version == expected.Version && replica.Info.Length == expected.Length;

    private sealed record Candidate(CatalogBlock Block, List<Replica> Live, List<Replica> Sources, int Needed);

    private readonly record struct PendingCopy(BlockVersion Version, NodeId Source, long Deadline);
}
