using System.Net;

namespace Colony.Client.Tests;

public sealed class ConnectStringTests
{
    [Fact]
    public void Parses_servers_ports_and_a_chroot()
    {
        var parsed = ConnectString.Parse("zk1:2181, zk2 ,[::1]:2300,10.0.0.1:1/app/one");

        Assert.Equal([new DnsEndPoint("zk1", 2181), new DnsEndPoint("zk2", 2181), new DnsEndPoint("::1", 2300), new DnsEndPoint("10.0.0.1", 1)], parsed.Servers);
        Assert.Equal("/app/one", parsed.Chroot);
        Assert.Equal("zk1:2181,zk2:2181,[::1]:2300,10.0.0.1:1/app/one", parsed.ToString());
    }

    [Fact]
    public void A_root_chroot_is_no_chroot()
    {
        Assert.Null(ConnectString.Parse("h:1/").Chroot);
        Assert.Null(ConnectString.Parse("h:1").Chroot);
    }

    [Theory]
    [InlineData("")]
    [InlineData("h:1,,h:2")]
    [InlineData("h:0")]
    [InlineData("h:65536")]
    [InlineData("h:x")]
    [InlineData(":2181")]
    [InlineData("::1:2181")]
    [InlineData("[::1")]
    [InlineData("[::1]2181")]
    [InlineData("h:1/app/")]
    [InlineData("h:1/app//x")]
    public void Rejects_malformed_strings(string text)
    {
        Assert.ThrowsAny<ArgumentException>(() => ConnectString.Parse(text));
    }

    [Fact]
    public void Maps_paths_between_client_and_server_views()
    {
        var rooted = ConnectString.Parse("h/app");

        Assert.Equal("/app", rooted.ToServerPath("/"));
        Assert.Equal("/app/x/y", rooted.ToServerPath("/x/y"));
        Assert.Equal("/", rooted.ToClientPath("/app"));
        Assert.Equal("/x/y", rooted.ToClientPath("/app/x/y"));
        Assert.Equal("/apple", rooted.ToClientPath("/apple"));
        Assert.Equal("/x", ConnectString.Parse("h").ToServerPath("/x"));
    }
}

public sealed class ZooKeeperPathTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/a")]
    [InlineData("/a/b.c/..d/d..")]
    [InlineData("/ünïcødé/日本")]
    [InlineData("/zookeeper/quota")]
    public void Accepts_valid_paths(string path)
    {
        ZooKeeperPath.Validate(path);
        Assert.True(ZooKeeperPath.IsValid(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("/a/")]
    [InlineData("//")]
    [InlineData("/a//b")]
    [InlineData("/.")]
    [InlineData("/..")]
    [InlineData("/a/./b")]
    [InlineData("/a/../b")]
    [InlineData("/a/..")]
    [InlineData("/a\0b")]
    [InlineData("/a\u0001")]
    [InlineData("/a\u007f")]
    [InlineData("/a\u009f")]
    [InlineData("/a\ue000")]
    [InlineData("/a\ufff0")]
    [InlineData("/a\ud800")]
    [InlineData("/emoji/😀")]
    public void Rejects_invalid_paths(string path)
    {
        Assert.Throws<ArgumentException>(() => ZooKeeperPath.Validate(path));
        Assert.False(ZooKeeperPath.IsValid(path));
    }

    [Fact]
    public void A_sequential_create_may_end_with_a_slash()
    {
        ZooKeeperPath.Validate("/queue/", sequential: true);
        Assert.Throws<ArgumentException>(() => ZooKeeperPath.Validate("/queue/"));
        Assert.Throws<ArgumentException>(() => ZooKeeperPath.Validate("/queue//", sequential: true));
    }

    [Fact]
    public void Splits_and_joins_paths()
    {
        Assert.Null(ZooKeeperPath.Parent("/"));
        Assert.Equal("/", ZooKeeperPath.Parent("/a"));
        Assert.Equal("/a", ZooKeeperPath.Parent("/a/b"));
        Assert.Equal("b", ZooKeeperPath.Name("/a/b"));
        Assert.Equal("/a", ZooKeeperPath.Combine("/", "a"));
        Assert.Equal("/a/b", ZooKeeperPath.Combine("/a", "b"));
    }
}
