using System.Text;
using Colony.Coordination.Commands;
using Colony.Coordination.Reconfig;
using Colony.Coordination.Tests.Tree;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Reconfig;

public sealed class DynamicConfigTests
{
    [Theory]
    [InlineData("server.1=127.0.0.1:2888:3888", "server.1=127.0.0.1:2888:3888:participant")]
    [InlineData("server.2=10.0.0.2:2888:3888:observer;2181", "server.2=10.0.0.2:2888:3888:observer;0.0.0.0:2181")]
    [InlineData("server.3=h:1:2:PARTICIPANT;127.0.0.1:2182", "server.3=h:1:2:participant;127.0.0.1:2182")]
    [InlineData("server.4=[::1]:2888:3888:observer;[::1]:2181", "server.4=[::1]:2888:3888:observer;[::1]:2181")]
    [InlineData(" server.12 = host.example:10:20 ", "server.12=host.example:10:20:participant")]
    public void Parses_and_formats_server_lines_as_ZooKeeper_writes_them(string line, string formatted)
    {
        Assert.True(ServerSpec.TryParse(line, out var spec, out string error), error);
        Assert.Equal(formatted, spec.Format());
        Assert.True(ServerSpec.TryParse(formatted, out var again, out _));
        Assert.Equal(spec, again);
    }

    [Theory]
    [InlineData("server.1=127.0.0.1:2888")]
    [InlineData("server.1=127.0.0.1:2888:3888:voter")]
    [InlineData("server.1=127.0.0.1:2888:x")]
    [InlineData("server.1=127.0.0.1:0:3888")]
    [InlineData("server.1=127.0.0.1:2888:70000")]
    [InlineData("server.x=127.0.0.1:2888:3888")]
    [InlineData("server.0=127.0.0.1:2888:3888")]
    [InlineData("peer.1=127.0.0.1:2888:3888")]
    [InlineData("server.1")]
    [InlineData("server.1=127.0.0.1:2888:3888;a:b:c")]
    [InlineData("server.1=[::1:2888:3888")]
    [InlineData("server.1=:2888:3888")]
    public void Rejects_malformed_server_lines(string line) =>
        Assert.False(ServerSpec.TryParse(line, out _, out _));

    [Fact]
    public void Maps_the_ports_onto_Colony_addresses()
    {
        Assert.True(ServerSpec.TryParse("server.5=127.0.0.1:35001:35002:observer;127.0.0.1:35003", out var spec, out _));
        Assert.Equal("127.0.0.1:35001", spec.PeerAddress);
        Assert.Equal("http://127.0.0.1:35002", spec.HttpAddress);
        Assert.Equal("127.0.0.1:35003", spec.ClientAddress);
        Assert.Equal(ServerRole.Observer, spec.Role);
    }

    [Fact]
    public void Maps_the_http_port_onto_an_https_address_in_a_tls_cluster()
    {
        Assert.True(ServerSpec.TryParse("server.5=[::1]:35001:35002", out var spec, out _));
        Assert.Equal("https://[::1]:35002", spec.HttpAddressWith("https"));
    }

    [Theory]
    [InlineData("server.1=127.0.0.1:1:2;0.0.0.0:3", "")]
    [InlineData("server.1=[::1]:1:2;3", "")]
    [InlineData("server.1=localhost:1:2", "localhost")]
    [InlineData("server.1=zk1.example:1:2:observer;zk1-client.example:3", "zk1.example zk1-client.example")]
    [InlineData("server.1=127.0.0.1:1:2;localhost:3", "localhost")]
    public void Host_names_are_the_hosts_that_are_not_ip_addresses(string line, string names)
    {
        Assert.True(ServerSpec.TryParse(line, out var spec, out string error), error);
        Assert.Equal(names, string.Join(' ', spec.HostNames()));
    }

    [Fact]
    public void Resolving_replaces_each_host_name_by_its_address_and_keeps_the_rest()
    {
        Assert.True(ServerSpec.TryParse("server.4=localhost:104:204:observer;Client.Example:304", out var spec, out _));
        var addresses = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["LOCALHOST"] = "127.0.0.1", ["client.example"] = "::1" };
        Assert.True(spec.TryResolve(addresses, out var resolved, out _));
        Assert.Equal("server.4=127.0.0.1:104:204:observer;[::1]:304", resolved.Format());

        Assert.False(spec.TryResolve(new Dictionary<string, string> { ["localhost"] = "127.0.0.1" }, out _, out string unresolved));
        Assert.Equal("Client.Example", unresolved);
    }

    [Fact]
    public void Config_text_lists_servers_by_id_then_the_version_in_hex()
    {
        var config = new DynamicConfig(
        [
            new ServerSpec(2, "127.0.0.1", 2, 3, ServerRole.Observer),
            new ServerSpec(1, "127.0.0.1", 4, 5, ServerRole.Participant, "127.0.0.1", 2181),
        ], 0x1_0000_002a);
        string text = config.Format();
        Assert.Equal("server.1=127.0.0.1:4:5:participant;127.0.0.1:2181\nserver.2=127.0.0.1:2:3:observer\nversion=10000002a", text);
        Assert.True(DynamicConfig.TryParse(text, out var parsed, out string error), error);
        Assert.Equal(config.Version, parsed.Version);
        Assert.Equal(config.Servers.OrderBy(s => s.Id), parsed.Servers);
    }

    [Theory]
    [InlineData("server.1=a:1:2\nserver.1=b:1:2\n")]
    [InlineData("server.1=a:1:2\nversion=xyz")]
    [InlineData("clientPort=2181")]
    public void Rejects_malformed_config_text(string text) => Assert.False(DynamicConfig.TryParse(text, out _, out _));

    [Fact]
    public void The_tree_stamps_the_config_with_the_zxid_that_wrote_it_and_fires_its_watch()
    {
        var driver = new TreeDriver();
        Assert.True(driver.Tree.TryGetNode(DataTree.ConfigPath, out var before));
        var result = driver.Tree.Apply(CoordinationCommand.FromCluster(1, 5, new Op.SetConfig("server.1=h:1:2:participant\n"u8.ToArray())));
        Assert.Equal(ErrorCode.Ok, result.Error);
        Assert.True(driver.Tree.TryGetNode(DataTree.ConfigPath, out var after));
        Assert.Equal($"server.1=h:1:2:participant\nversion={result.Zxid:x}", Encoding.UTF8.GetString(after.Data!.Value.Span));
        Assert.Equal(0, before.Stat.Version);
        Assert.Equal(-1, after.Stat.Version); // ZooKeeper writes the config with version −1, every time
        Assert.Equal(result.Zxid, after.Stat.Mzxid);
        Assert.Contains(result.Triggers, t => t.Path == DataTree.ConfigPath && t.Type == EventType.NodeDataChanged);
        // Clients still may not write it.
        Assert.Equal(ErrorCode.NoAuth, driver.SetData(DataTree.ConfigPath, [1]).Error);
    }
}
