using Colony.FaultTests.Nemeses;

namespace Colony.FaultTests;

public class CutsTests
{
    [Fact]
    public void A_client_host_is_cut_from_exactly_what_its_node_is_cut_from()
    {
        // Nodes 1–2 against 3–5; client hosts 6, 7, 8 stand beside nodes 1, 3 and 1.
        var cuts = Cuts.Between([1, 2], [3, 4, 5]).WithClientHosts([1, 3, 1], nodeCount: 5);

        Assert.Equal([3, 4, 5], cuts.CutFrom(6).Order());
        Assert.Equal([1, 2], cuts.CutFrom(7).Order());
        Assert.Equal([3, 4, 5], cuts.CutFrom(8).Order());
        // Nodes now drop the client hosts of the other side too, and the node-to-node cuts are kept.
        Assert.Equal([1, 2, 6, 8], cuts.CutFrom(3).Order());
        Assert.True(cuts.Separates(1, 5));
        Assert.False(cuts.Separates(6, 1));
        Assert.False(cuts.Separates(6, 7)); // client hosts never talk to each other anyway
        Assert.Equal(6 + 3 + 2 + 3, cuts.Pairs.Count);
    }

    [Fact]
    public void Without_cuts_client_hosts_reach_every_node()
    {
        var cuts = Cuts.None.WithClientHosts([1, 2, 3], nodeCount: 3);
        Assert.True(cuts.IsEmpty);
    }

    [Fact]
    public void An_isolated_nodes_client_host_is_isolated_with_it()
    {
        var cuts = Cuts.Isolate(2, 3).WithClientHosts([2, 1], nodeCount: 3);
        Assert.Equal([1, 3], cuts.CutFrom(4).Order());
        Assert.Equal([2], cuts.CutFrom(5).Order());
    }

    [Fact]
    public void A_client_host_must_stand_beside_a_node()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Cuts.None.WithClientHosts([4], nodeCount: 3));
    }
}
