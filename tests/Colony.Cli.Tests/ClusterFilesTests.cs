using System.Text.Json;

namespace Colony.Cli.Tests;

public sealed class ClusterFilesTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void Cluster_file_round_trips()
    {
        var layout = new ClusterLayout(directory.Path);
        var manifest = new ClusterManifest
        {
            BasePort = 30000,
            Nodes =
            [
                new ClusterNode { Id = 1, Pid = 4242, ZooKeeper = "127.0.0.1:30000", Http = "http://127.0.0.1:30002", DataDir = layout.NodeDataDirectory(1) },
                new ClusterNode { Id = 2, Pid = 4343, ZooKeeper = "127.0.0.1:30010", Http = "http://127.0.0.1:30012", DataDir = layout.NodeDataDirectory(2) },
            ],
        };

        ClusterFile.Write(layout, manifest);
        var read = ClusterFile.Read(layout);

        Assert.Equal(manifest.BasePort, read.BasePort);
        Assert.Equal(manifest.Nodes, read.Nodes);
        Assert.Equal([layout.ClusterFile], Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void Cluster_file_has_the_documented_shape()
    {
        var layout = new ClusterLayout(directory.Path);
        ClusterFile.Write(layout, new ClusterManifest
        {
            Nodes = [new ClusterNode { Id = 1, Pid = 7, ZooKeeper = "127.0.0.1:2181", Http = "http://127.0.0.1:8080", Data = "127.0.0.1:9866", DataDir = "/d/node-1" }],
        });

        using var json = JsonDocument.Parse(File.ReadAllText(layout.ClusterFile));
        var root = json.RootElement;
        Assert.Equal(["nodes"], root.EnumerateObject().Select(p => p.Name));
        var node = Assert.Single(root.GetProperty("nodes").EnumerateArray().ToList());
        Assert.Equal(["id", "pid", "zk", "http", "data", "dataDir"], node.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, node.GetProperty("id").GetInt32());
        Assert.Equal(7, node.GetProperty("pid").GetInt32());
        Assert.Equal("127.0.0.1:2181", node.GetProperty("zk").GetString());
        Assert.Equal("http://127.0.0.1:8080", node.GetProperty("http").GetString());
        Assert.Equal("127.0.0.1:9866", node.GetProperty("data").GetString());
        Assert.Equal("/d/node-1", node.GetProperty("dataDir").GetString());
    }

    [Fact]
    public void Missing_or_broken_cluster_file_is_a_one_line_error()
    {
        var layout = new ClusterLayout(directory.Combine("nowhere"));
        var missing = Assert.Throws<CliError>(() => ClusterFile.Read(layout));
        Assert.Contains("cluster.json not found", missing.Message, StringComparison.Ordinal);

        var broken = new ClusterLayout(directory.Path);
        File.WriteAllText(broken.ClusterFile, "{\"nodes\": [");
        var invalid = Assert.Throws<CliError>(() => ClusterFile.Read(broken));
        Assert.DoesNotContain('\n', invalid.Message);
    }

    [Fact]
    public void Manifest_replaces_and_removes_nodes_by_id()
    {
        var manifest = new ClusterManifest { Nodes = [new ClusterNode { Id = 1, Pid = 1 }, new ClusterNode { Id = 3, Pid = 3 }] };

        var changed = manifest.With(new ClusterNode { Id = 2, Pid = 2 }).With(new ClusterNode { Id = 1, Pid = 10 }).Without(3);

        Assert.Equal([(1, 10), (2, 2)], changed.Nodes.Select(n => (n.Id, n.Pid)));
        Assert.Throws<CliError>(() => changed.Node(3));
    }

    [Fact]
    public void Node_config_holds_the_node_contract()
    {
        var layout = new ClusterLayout(directory.Path);
        var ports = new PortLayout(30000);
        var members = Enumerable.Range(1, 3).Select(i => new MemberConfig { Id = i, Peer = ports.For(i).PeerAddress, Http = ports.For(i).HttpUrl }).ToList();
        var config = layout.CreateNodeConfig(2, "5b0e7c1a-0000-4000-8000-000000000000", ports.For(2), members, join: false, machineNodes: 3);

        config.Write(layout.NodeConfig(2));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory.Path, "node-2.json")));
        var colony = json.RootElement.GetProperty("Colony");
        Assert.Equal(2, colony.GetProperty("NodeId").GetInt32());
        Assert.Equal("5b0e7c1a-0000-4000-8000-000000000000", colony.GetProperty("ClusterId").GetString());
        Assert.Equal(Path.Combine(directory.Path, "secret"), colony.GetProperty("SecretFile").GetString());
        Assert.Equal(Path.Combine(directory.Path, "node-2"), colony.GetProperty("DataDir").GetString());
        Assert.Equal("127.0.0.1:30010", colony.GetProperty("ZooKeeper").GetString());
        Assert.Equal("127.0.0.1:30011", colony.GetProperty("Peer").GetString());
        Assert.Equal("http://127.0.0.1:30012", colony.GetProperty("Http").GetString());
        Assert.Equal("127.0.0.1:30013", colony.GetProperty("DataTransfer").GetString());
        Assert.False(colony.GetProperty("Join").GetBoolean());
        // Three nodes share this machine: each gets a third of its cores for tasks, at least one.
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 3), colony.GetProperty("Compute").GetProperty("Cores").GetInt32());
        var written = colony.GetProperty("Members").EnumerateArray()
            .Select(m => (m.GetProperty("Id").GetInt32(), m.GetProperty("Peer").GetString(), m.GetProperty("Http").GetString()))
            .ToList();
        Assert.Equal([(1, "127.0.0.1:30001", "http://127.0.0.1:30002"), (2, "127.0.0.1:30011", "http://127.0.0.1:30012"), (3, "127.0.0.1:30021", "http://127.0.0.1:30022")], written);

        var read = NodeConfig.Read(layout.NodeConfig(2));
        Assert.Equal(config with { Members = read.Members }, read);
        Assert.Equal(members, read.Members);
        Assert.Equal(new NodePorts(30010, 30011, 30012, null, 30013), read.Ports());
    }

    [Fact]
    public void Configured_node_ids_come_from_the_config_files()
    {
        var layout = new ClusterLayout(directory.Path);
        foreach (var name in (string[])["node-1.json", "node-12.json", "node-3.json", "node-x.json", "node-2.log", "cluster.json"])
        {
            File.WriteAllText(directory.Combine(name), "{}");
        }

        Assert.Equal([1, 3, 12], layout.ConfiguredNodeIds());
    }

    [Fact]
    public void Secret_is_32_random_bytes_that_only_the_owner_may_read()
    {
        var first = directory.Combine("secret-1");
        var second = directory.Combine("secret-2");

        ClusterSecret.Create(first);
        ClusterSecret.Create(second);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first));
        var bytes = Convert.FromBase64String(File.ReadAllText(first));
        Assert.Equal(32, bytes.Length);
        Assert.NotEqual(bytes, Convert.FromBase64String(File.ReadAllText(second)));
        Assert.True(bytes.Distinct().Count() > 8, "32 random bytes are not this repetitive");
    }

    [Fact]
    public void Secret_over_an_existing_file_is_still_0600()
    {
        var path = directory.Combine("secret");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        ClusterSecret.Create(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(path)).Length);
    }
}
