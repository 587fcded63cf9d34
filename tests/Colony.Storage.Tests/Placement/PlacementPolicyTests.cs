using Colony.Core;
using Colony.Storage.Placement;

namespace Colony.Storage.Tests.Placement;

public sealed class PlacementPolicyTests
{
    private const long Block = 100;
    private static readonly HashSet<NodeId> None = [];

    private static DataNodeInfo Node(ulong id, string? rack = null, long free = 1000, int transfers = 0, DataNodeState state = DataNodeState.Alive) =>
        new(new NodeId(id), rack, 1000, free, transfers, state);

    private static IReadOnlyList<NodeId> Choose(int count, IReadOnlyList<DataNodeInfo> nodes, NodeId? writer = null, ulong seed = 1, IReadOnlySet<NodeId>? excluded = null, IReadOnlyList<DataNodeInfo>? existing = null) =>
        PlacementPolicy.ChooseTargets(count, writer, excluded ?? None, nodes, Block, new SeededRandom(seed), existing);

    [Fact]
    public void Targets_are_distinct_and_only_eligible()
    {
        var nodes = new[]
        {
            Node(1), Node(2, state: DataNodeState.Dead), Node(3, state: DataNodeState.Decommissioning), Node(4, free: 99),
            Node(5), Node(6), Node(6),
        };
        for (ulong seed = 0; seed < 50; seed++)
        {
            var chosen = Choose(5, nodes, seed: seed, excluded: new HashSet<NodeId> { new(5) });
            Assert.Equal(2, chosen.Count); // fewer than asked: only 1 and 6 are eligible
            Assert.Equal([new NodeId(1), new NodeId(6)], chosen.Order());
        }
    }

    [Fact]
    public void The_writer_gets_the_first_replica_when_it_is_a_live_data_node()
    {
        var nodes = Enumerable.Range(1, 10).Select(i => Node((ulong)i)).ToArray();
        for (ulong seed = 0; seed < 20; seed++)
        {
            Assert.Equal(new NodeId(7), Choose(3, nodes, writer: new NodeId(7), seed: seed)[0]);
        }
        var full = nodes.Select(n => n.Id == new NodeId(7) ? n with { FreeBytes = 0 } : n).ToArray();
        Assert.DoesNotContain(new NodeId(7), Choose(3, full, writer: new NodeId(7)));
        Assert.Equal(3, Choose(3, nodes, writer: new NodeId(99)).Count); // a writer outside the cluster
    }

    [Fact]
    public void Racks_second_elsewhere_third_beside_the_second()
    {
        var nodes = new[] { Node(1, "r1"), Node(2, "r1"), Node(3, "r1"), Node(4, "r2"), Node(5, "r2"), Node(6, "r3"), Node(7, "r3") };
        var rackOf = nodes.ToDictionary(n => n.Id, n => n.Rack);
        for (ulong seed = 0; seed < 50; seed++)
        {
            var chosen = Choose(3, nodes, writer: new NodeId(1), seed: seed);
            Assert.Equal(new NodeId(1), chosen[0]);
            Assert.NotEqual("r1", rackOf[chosen[1]]);
            Assert.Equal(rackOf[chosen[1]], rackOf[chosen[2]]);
            Assert.Equal(3, chosen.Distinct().Count());
        }
    }

    [Fact]
    public void Further_replicas_spread_over_the_emptiest_racks()
    {
        var nodes = new[] { Node(1, "r1"), Node(2, "r1"), Node(3, "r2"), Node(4, "r2"), Node(5, "r3"), Node(6, "r3") };
        var rackOf = nodes.ToDictionary(n => n.Id, n => n.Rack);
        var chosen = Choose(4, nodes, writer: new NodeId(1), seed: 3);
        Assert.Equal(3, chosen.Select(id => rackOf[id]).Distinct().Count());
        // Re-replication counts where the existing replicas are.
        var again = Choose(1, nodes, existing: [nodes[0], nodes[1]], seed: 4);
        Assert.NotEqual("r1", rackOf[again[0]]);
    }

    [Fact]
    public void Choices_are_deterministic_per_seed_and_favour_free_idle_nodes()
    {
        var nodes = Enumerable.Range(1, 20).Select(i => Node((ulong)i, free: i * 50, transfers: i % 3)).ToArray();
        Assert.Equal(Choose(3, nodes, seed: 42), Choose(3, nodes, seed: 42));
        var counts = new Dictionary<NodeId, int>();
        for (ulong seed = 0; seed < 400; seed++)
        {
            var id = Choose(1, nodes, seed: seed)[0];
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        int emptiest = counts.GetValueOrDefault(new NodeId(18)) + counts.GetValueOrDefault(new NodeId(20));
        int fullest = counts.GetValueOrDefault(new NodeId(2)) + counts.GetValueOrDefault(new NodeId(4));
        Assert.True(emptiest > fullest, $"emptiest {emptiest}, fullest {fullest}");
    }

    [Fact]
    public void Source_is_a_live_idle_holder()
    {
        var holders = new[] { Node(1, transfers: 5), Node(2, state: DataNodeState.Dead), Node(3, transfers: 1), Node(4, state: DataNodeState.Decommissioning) };
        Assert.Equal(new NodeId(3), PlacementPolicy.ChooseSourceForCopy(holders, new SeededRandom(1)));
        Assert.Equal(new NodeId(4), PlacementPolicy.ChooseSourceForCopy([holders[1], holders[3]], new SeededRandom(1)));
        Assert.Null(PlacementPolicy.ChooseSourceForCopy([holders[1]], new SeededRandom(1)));
    }

    [Fact]
    public void Removal_takes_from_the_busiest_rack_then_the_fullest_node()
    {
        var holders = new[] { Node(1, "r1", free: 10), Node(2, "r2", free: 500), Node(3, "r2", free: 400), Node(4, "r3", free: 1) };
        Assert.Equal(new NodeId(3), PlacementPolicy.ChooseReplicaToRemove(holders));
        Assert.Equal(new NodeId(4), PlacementPolicy.ChooseReplicaToRemove([Node(1, free: 10), Node(4, free: 1)]));
        Assert.Throws<ArgumentException>(() => PlacementPolicy.ChooseReplicaToRemove([]));
    }

    [Theory]
    [InlineData(1, 3, 1)]
    [InlineData(2, 3, 2)]
    [InlineData(3, 3, 2)] // the third replica beside the second
    [InlineData(4, 3, 3)]
    [InlineData(5, 3, 3)]
    [InlineData(3, 1, 1)]
    [InlineData(0, 2, 0)]
    public void Racks_wanted_are_what_placement_would_spread_over(int replicas, int racks, int wanted)
    {
        Assert.Equal(wanted, PlacementPolicy.RacksWanted(replicas, racks));
        if (replicas > 0)
        {
            // The rule agrees with what ChooseTargets does on a cluster of that many racks.
            var nodes = Enumerable.Range(1, 12).Select(i => Node((ulong)i, $"r{i % racks}")).ToArray();
            var chosen = Choose(replicas, nodes).Select(id => nodes.Single(n => n.Id == id)).ToList();
            Assert.Equal(wanted, PlacementPolicy.RackCount(chosen));
        }
    }

    [Fact]
    public void A_rack_spread_may_shrink_only_down_to_what_placement_wants()
    {
        DataNodeInfo[] Holders(params (ulong Id, string? Rack)[] nodes) => [.. nodes.Select(n => Node(n.Id, n.Rack))];
        // Two racks for three replicas: losing rack B's only replica collapses the block onto rack A.
        Assert.False(PlacementPolicy.KeepsRackSpread(Holders((1, "A"), (2, "A"), (3, "B")), Holders((1, "A"), (2, "A"), (4, "A")), 3, 2));
        Assert.True(PlacementPolicy.KeepsRackSpread(Holders((1, "A"), (2, "A"), (3, "B")), Holders((1, "A"), (4, "A"), (3, "B")), 3, 2));
        // Three racks for three replicas is more than placement wants: down to two is allowed, to one is not.
        Assert.True(PlacementPolicy.KeepsRackSpread(Holders((1, "A"), (2, "B"), (3, "C")), Holders((1, "A"), (2, "B"), (4, "B")), 3, 3));
        Assert.False(PlacementPolicy.KeepsRackSpread(Holders((1, "A"), (2, "B")), Holders((1, "A"), (4, "A")), 2, 3));
        // A block already on one rack may stay there; no racks declared is one rack.
        Assert.True(PlacementPolicy.KeepsRackSpread(Holders((1, "A"), (2, "A")), Holders((1, "A"), (3, "A")), 2, 2));
        Assert.True(PlacementPolicy.KeepsRackSpread(Holders((1, null), (2, null)), Holders((1, null), (3, null)), 2, 1));
    }
}
