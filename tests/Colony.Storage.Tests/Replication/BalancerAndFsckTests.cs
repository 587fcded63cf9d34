using Colony.Core;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;
using Colony.Storage.Replication;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Replication;

public sealed class BalancerAndFsckTests
{
    [Fact]
    public void Balancer_moves_from_the_fullest_to_the_emptiest_until_within_the_threshold()
    {
        var c = new ClusterFixture(3);
        var blocks = c.File("/f", 1, 10, 1); // ten 1000-byte blocks on node 1
        c.Nodes[new NodeId(1)] = c.Nodes[new NodeId(1)] with { CapacityBytes = 20_000, FreeBytes = 8_000 }; // 60% used
        c.Nodes[new NodeId(2)] = c.Nodes[new NodeId(2)] with { CapacityBytes = 20_000, FreeBytes = 16_000 }; // 20%
        c.Nodes[new NodeId(3)] = c.Nodes[new NodeId(3)] with { CapacityBytes = 20_000, FreeBytes = 12_000 }; // 40%
        var moves = Balancer.Plan(c.Fs.Tree, c.Map, c.View, threshold: 0.10);
        Assert.NotEmpty(moves);
        Assert.All(moves, m => Assert.Equal(new NodeId(1), m.From));
        Assert.Equal(moves.Count, moves.Select(m => m.Block).Distinct().Count());
        var used = new Dictionary<ulong, long> { [1] = 12_000, [2] = 4_000, [3] = 8_000 };
        foreach (var m in moves)
        {
            used[m.From.Value] -= m.Length;
            used[m.To.Value] += m.Length;
        }
        Assert.True((used.Values.Max() - used.Values.Min()) / 20_000.0 <= 0.10 + 1000 / 20_000.0);
        Assert.Equal(2, Balancer.Plan(c.Fs.Tree, c.Map, c.View, maxMoves: 2).Count);
        Assert.Contains(blocks[0].Version, moves.Select(m => m.Block));
    }

    [Fact]
    public void Balancer_leaves_busy_blocks_alone_and_never_picks_a_draining_node()
    {
        var c = new ClusterFixture(3);
        var blocks = c.File("/f", 1, 4, 1);
        c.Nodes[new NodeId(1)] = c.Nodes[new NodeId(1)] with { CapacityBytes = 10_000, FreeBytes = 2_000 }; // 80% used
        c.Nodes[new NodeId(2)] = c.Nodes[new NodeId(2)] with { CapacityBytes = 10_000, FreeBytes = 10_000 }; // 0%
        c.Nodes[new NodeId(3)] = c.Nodes[new NodeId(3)] with { CapacityBytes = 10_000, FreeBytes = 10_000 };
        c.SetState(3, DataNodeState.Decommissioning);
        Assert.Equal(0.8, Balancer.Spread(c.View), 6);
        var moves = Balancer.Plan(c.Fs.Tree, c.Map, c.View, busy: new HashSet<BlockId> { blocks[0].Id, blocks[1].Id });
        Assert.NotEmpty(moves);
        Assert.All(moves, m => Assert.Equal((new NodeId(1), new NodeId(2)), (m.From, m.To)));
        Assert.DoesNotContain(moves, m => m.Block == blocks[0].Version || m.Block == blocks[1].Version);
    }

    [Fact]
    public void Balancer_does_nothing_within_the_threshold()
    {
        var c = new ClusterFixture(3);
        c.File("/f", 1, 3, 1);
        Assert.Empty(Balancer.Plan(c.Fs.Tree, c.Map, c.View));
    }

    /// <summary>Sets each node's capacity to 10 000 bytes with the given use, in percent.</summary>
    private static void Use(ClusterFixture c, params (ulong Node, int Percent)[] use)
    {
        foreach (var (node, percent) in use)
        {
            c.Nodes[new NodeId(node)] = c.Nodes[new NodeId(node)] with { CapacityBytes = 10_000, FreeBytes = 10_000 - percent * 100 };
        }
    }

    [Fact]
    public void Balancer_never_moves_a_blocks_only_replica_on_one_rack_onto_the_other()
    {
        // Replicas on rack A (node 1) and rack B (node 2); node 2 is full, the only emptier node is on rack A.
        var c = new ClusterFixture(3, rack: i => i == 2 ? "B" : "A");
        c.File("/f", 2, 1, 1, 2);
        Use(c, (1, 5), (2, 90), (3, 0)); // node 1 is within the threshold of node 3: only node 2 is worth moving from
        Assert.Empty(Balancer.Plan(c.Fs.Tree, c.Map, c.View));

        // A fourth node on rack B, less empty than node 3 but well below node 2, takes it instead.
        var withB = new ClusterFixture(4, rack: i => i is 2 or 4 ? "B" : "A");
        var block = withB.File("/f", 2, 1, 1, 2)[0];
        Use(withB, (1, 5), (2, 90), (3, 0), (4, 20));
        var move = Assert.Single(Balancer.Plan(withB.Fs.Tree, withB.Map, withB.View, maxMoves: 1));
        Assert.Equal(new BalancerMove(block.Version, block.Length, new NodeId(2), new NodeId(4)), move);
    }

    [Fact]
    public void Balancer_prefers_a_target_that_keeps_the_rack_spread_and_narrows_it_only_down_to_placements()
    {
        // Three replicas on racks A, B, C: more spread than placement wants (two), so narrowing to two is allowed.
        var c = new ClusterFixture(5, rack: i => i switch { 1 => "A", 2 or 4 => "B", 3 => "C", _ => "D" });
        var block = c.File("/f", 3, 1, 1, 2, 3)[0];
        Use(c, (1, 90), (2, 50), (3, 50), (4, 0), (5, 10));
        // Node 4 is emptiest but shares rack B with a replica; node 5, on rack D, keeps three racks.
        Assert.Equal(new NodeId(5), Assert.Single(Balancer.Plan(c.Fs.Tree, c.Map, c.View, maxMoves: 1)).To);

        // Without node 5 the move narrows to two racks, which placement would have chosen anyway: allowed.
        c.SetState(5, DataNodeState.Dead);
        Assert.Equal(new BalancerMove(block.Version, block.Length, new NodeId(1), new NodeId(4)),
            Assert.Single(Balancer.Plan(c.Fs.Tree, c.Map, c.View, maxMoves: 1)));
    }

    [Theory]
    [InlineData(21UL)]
    [InlineData(22UL)]
    [InlineData(23UL)]
    public void No_balancer_move_narrows_a_blocks_racks_below_placements(ulong seed)
    {
        var random = new SeededRandom(seed);
        var c = new ClusterFixture(8, rack: i => "r" + (i % 3));
        var replication = new Dictionary<BlockId, int>();
        for (int f = 0; f < 20; f++)
        {
            short factor = (short)random.Next(2, 4);
            var holders = Enumerable.Range(1, 8).Select(i => (ulong)i).OrderBy(_ => random.Next(1000)).Take(factor).ToArray();
            foreach (var block in c.File($"/f{f}", factor, 2, holders))
            {
                replication[block.Id] = factor;
            }
        }
        foreach (var node in c.View)
        {
            c.Nodes[node.Id] = node with { CapacityBytes = 100_000, FreeBytes = 100_000 - random.Next(0, 90) * 1_000 };
        }
        var racks = c.View.ToDictionary(n => n.Id);
        var moves = Balancer.Plan(c.Fs.Tree, c.Map, c.View, threshold: 0.05, maxMoves: 50);
        Assert.NotEmpty(moves);
        foreach (var move in moves)
        {
            var before = c.Map.ReplicasOf(move.Block.Id).Select(r => racks[r.Node]).ToList();
            var after = before.Where(n => n.Id != move.From).Append(racks[move.To]).ToList();
            Assert.DoesNotContain(before, n => n.Id == move.To);
            Assert.True(PlacementPolicy.RackCount(after) >= Math.Min(PlacementPolicy.RackCount(before), PlacementPolicy.RacksWanted(replication[move.Block.Id], 3)),
                $"{move} narrows {string.Join(',', before.Select(n => n.Rack))} to {string.Join(',', after.Select(n => n.Rack))}");
        }
    }

    [Fact]
    public void Balancer_without_racks_moves_to_the_emptiest_node()
    {
        var c = new ClusterFixture(5);
        c.File("/f", 3, 1, 1, 2, 3);
        Use(c, (1, 90), (2, 50), (3, 50), (4, 0), (5, 10));
        Assert.Equal(new NodeId(4), Assert.Single(Balancer.Plan(c.Fs.Tree, c.Map, c.View, maxMoves: 1)).To);
    }

    [Fact]
    public void Fsck_healthy()
    {
        var c = new ClusterFixture(3);
        c.File("/f", 2, 2, 1, 2);
        c.Fs.Create("/open");
        c.Fs.AddBlock("/open");
        var report = FsckReport.Build(c.Fs.Tree, c.Map, c.View);
        Assert.Equal(("HEALTHY", 2, 1), (report.StatusText, report.Healthy, report.OpenBlocks));
        Assert.All(report.Blocks, b => Assert.Equal([new NodeId(1), new NodeId(2)], b.Live));
        Assert.Equal("/f", report.Blocks[0].Path);
    }

    [Fact]
    public void Fsck_under_replicated_and_over_replicated()
    {
        var c = new ClusterFixture(4);
        c.File("/under", 3, 1, 1, 2);
        c.File("/over", 1, 1, 1, 2, 3);
        c.SetState(3, DataNodeState.Decommissioning);
        var report = FsckReport.Build(c.Fs.Tree, c.Map, c.View);
        Assert.Equal((FsckStatus.UnderReplicated, "UNDER-REPLICATED", 1, 1), (report.Status, report.StatusText, report.UnderReplicated, report.OverReplicated));
        Assert.Equal([new NodeId(3)], report.Blocks.Single(b => b.Path == "/over").Draining);
    }

    [Fact]
    public void Fsck_corrupt_when_a_block_is_missing_or_only_corrupt()
    {
        var c = new ClusterFixture(3);
        var bad = c.File("/bad", 1, 1, 1)[0];
        c.Map.MarkCorrupt(new NodeId(1), bad.Version);
        var report = FsckReport.Build(c.Fs.Tree, c.Map, c.View);
        Assert.Equal(("CORRUPT", 1, 0), (report.StatusText, report.Corrupt, report.Missing));
        Assert.Equal([new NodeId(1)], report.Blocks[0].CorruptOn);

        var lost = new ClusterFixture(3);
        lost.File("/lost", 2, 1, 1, 2);
        lost.SetState(1, DataNodeState.Dead);
        lost.SetState(2, DataNodeState.Dead);
        var lostReport = FsckReport.Build(lost.Fs.Tree, lost.Map, lost.View);
        Assert.Equal((FsckStatus.Corrupt, 1, BlockHealth.Missing), (lostReport.Status, lostReport.Missing, lostReport.Blocks[0].Health));
    }

    [Fact]
    public void Block_map_tracks_full_and_incremental_reports()
    {
        var map = new BlockMap();
        var v1 = new BlockVersion(new BlockId(1), new GenerationStamp(1));
        var v2 = new BlockVersion(new BlockId(2), new GenerationStamp(1));
        map.ApplyFullReport(new NodeId(1), [new ReplicaInfo(v1, 10, ReplicaState.Finalized), new ReplicaInfo(v2, 5, ReplicaState.BeingWritten)]);
        map.Received(new NodeId(2), new ReplicaInfo(v1, 10, ReplicaState.Finalized));
        Assert.Equal([new NodeId(1), new NodeId(2)], map.ReplicasOf(v1.Id).Select(r => r.Node));
        Assert.True(map.MarkCorrupt(new NodeId(2), v1));
        Assert.False(map.MarkCorrupt(new NodeId(3), v1));
        Assert.False(map.MarkCorrupt(new NodeId(2), v1 with { Stamp = new GenerationStamp(9) }));
        Assert.True(map.ReplicasOf(v1.Id).Single(r => r.Node == new NodeId(2)).Corrupt);
        map.Received(new NodeId(2), new ReplicaInfo(v1 with { Stamp = new GenerationStamp(2) }, 10, ReplicaState.Finalized));
        Assert.False(map.ReplicasOf(v1.Id).Single(r => r.Node == new NodeId(2)).Corrupt); // new bytes, new judgement
        map.ApplyFullReport(new NodeId(1), [new ReplicaInfo(v2, 5, ReplicaState.Finalized)]);
        Assert.Equal([new NodeId(2)], map.ReplicasOf(v1.Id).Select(r => r.Node));
        map.Deleted(new NodeId(2), v1.Id);
        Assert.Empty(map.ReplicasOf(v1.Id));
        map.RemoveNode(new NodeId(1));
        Assert.Equal(0, map.ReplicaCount);
        Assert.Empty(map.Blocks);
    }

    [Fact]
    public void Liveness_declares_silent_nodes_dead_and_tracks_decommissioning()
    {
        var liveness = new NodeLiveness();
        Assert.Equal(10_000, liveness.DeadAfterMs);
        liveness.Heartbeat(new NodeId(1), 1_000, "r1", 100, 50, 2);
        liveness.Heartbeat(new NodeId(2), 5_000, null, 100, 90, 0);
        Assert.Equal(DataNodeState.Alive, liveness.StateOf(new NodeId(1), 10_999));
        Assert.Equal(DataNodeState.Dead, liveness.StateOf(new NodeId(1), 11_000));
        Assert.Null(liveness.StateOf(new NodeId(3), 0));
        Assert.True(liveness.StartDecommission(new NodeId(2)));
        Assert.False(liveness.StartDecommission(new NodeId(3)));
        var view = liveness.View(11_000);
        Assert.Equal([DataNodeState.Dead, DataNodeState.Decommissioning], view.Select(n => n.State));
        Assert.Equal(("r1", 0.5), (view[0].Rack, view[0].FreeFraction));
        liveness.MarkDecommissioned(new NodeId(2));
        Assert.Equal(DataNodeState.Decommissioned, liveness.StateOf(new NodeId(2), 6_000));
        liveness.Recommission(new NodeId(2));
        Assert.Equal(DataNodeState.Alive, liveness.StateOf(new NodeId(2), 6_000));
        liveness.Heartbeat(new NodeId(1), 20_000, "r1", 100, 50, 0);
        Assert.Equal(DataNodeState.Alive, liveness.StateOf(new NodeId(1), 20_000));
    }

    [Fact]
    public void Liveness_names_the_instant_the_next_live_node_turns_dead()
    {
        var liveness = new NodeLiveness(deadAfterMs: 10_000);
        Assert.Null(liveness.NextDeathAt(0));
        liveness.Heartbeat(new NodeId(1), 1_000, null, 100, 50, 0);
        liveness.Heartbeat(new NodeId(2), 4_000, null, 100, 50, 0);

        Assert.Equal(11_000, liveness.NextDeathAt(5_000));
        Assert.Equal(DataNodeState.Dead, liveness.StateOf(new NodeId(1), liveness.NextDeathAt(5_000)!.Value));
        // Node 1 is dead from 11 s on: the next to go is node 2, unless it speaks again.
        Assert.Equal(14_000, liveness.NextDeathAt(11_000));
        liveness.Heartbeat(new NodeId(2), 12_000, null, 100, 50, 0);
        Assert.Equal(22_000, liveness.NextDeathAt(12_000));
        Assert.Null(liveness.NextDeathAt(22_000));
    }
}
