namespace Colony.Cli.Tests;

public sealed class PortLayoutTests
{
    [Theory]
    [InlineData(1, 2181, 2888, 8080, 9866)]
    [InlineData(2, 2182, 2889, 8081, 9867)]
    [InlineData(3, 2183, 2890, 8082, 9868)]
    [InlineData(4, 2184, 2891, 8083, 9869)]
    [InlineData(5, 2185, 2892, 8084, 9870)]
    public void Default_layout_counts_up_from_the_well_known_ports(int node, int zooKeeper, int peer, int http, int data)
    {
        var ports = PortLayout.Default.For(node);

        Assert.Equal(new NodePorts(zooKeeper, peer, http, zooKeeper + 100, data), ports);
        Assert.Equal($"127.0.0.1:{data}", ports.DataAddress);
        Assert.Equal($"127.0.0.1:{zooKeeper}", ports.ZooKeeperAddress);
        Assert.Equal($"127.0.0.1:{peer}", ports.PeerAddress);
        Assert.Equal($"http://127.0.0.1:{http}", ports.HttpUrl);
    }

    [Theory]
    [InlineData(1, 30000, 30001, 30002, 30003, 30004)]
    [InlineData(2, 30010, 30011, 30012, 30013, 30014)]
    [InlineData(3, 30020, 30021, 30022, 30023, 30024)]
    [InlineData(4, 30030, 30031, 30032, 30033, 30034)]
    [InlineData(5, 30040, 30041, 30042, 30043, 30044)]
    public void Base_port_layout_gives_each_node_a_block_of_ten(int node, int zooKeeper, int peer, int http, int data, int tls)
    {
        Assert.Equal(new NodePorts(zooKeeper, peer, http, tls, data), new PortLayout(30000).For(node));
    }

    [Fact]
    public void Layouts_never_share_a_port_between_nodes()
    {
        foreach (var layout in new[] { PortLayout.Default, new PortLayout(40000) })
        {
            var ports = Enumerable.Range(1, PortLayout.MaxNodes).SelectMany(i => layout.For(i).Listening().Select(p => p.Port)).ToList();
            Assert.Equal(ports.Count, ports.Distinct().Count());
        }
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData(null, 100)]
    [InlineData(80, 3)]
    [InlineData(65500, 5)]
    public void Validate_rejects_counts_and_ports_out_of_range(int? basePort, int nodes)
    {
        var error = Assert.Throws<CliError>(() => new PortLayout(basePort).Validate(nodes));
        Assert.Equal(CliError.Usage, error.ExitCode);
    }

    [Fact]
    public void Validate_accepts_the_last_layout_that_fits()
    {
        new PortLayout(65535 - 44).Validate(5);
        PortLayout.Default.Validate(PortLayout.MaxNodes);
    }
}
