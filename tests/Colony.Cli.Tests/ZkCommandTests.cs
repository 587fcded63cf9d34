using System.Text;
using Colony.Client;
using Colony.Client.Tests;
using Colony.Coordination;

namespace Colony.Cli.Tests;

/// <summary><c>colony zk …</c> against a standalone Apache ZooKeeper server.</summary>
public sealed class ZkCommandTests(StandaloneZooKeeper server) : IClassFixture<StandaloneZooKeeper>, IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task Create_get_set_stat_ls_and_delete_a_node()
    {
        string root = Root("crud");

        Assert.Equal(root + "\n", (await ZkAsync("create", root, "first")).Out);
        Assert.Equal("first\n", (await ZkAsync("get", root)).Out);
        Assert.Equal("version 1\n", (await ZkAsync("set", root, "second", "--version", "0")).Out);
        Assert.Equal("second\n", (await ZkAsync("get", root)).Out);
        await ZkAsync("create", root + "/b");
        await ZkAsync("create", root + "/a");
        Assert.Equal("a\nb\n", (await ZkAsync("ls", root)).Out);

        string[] stat = (await ZkAsync("stat", root)).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("dataVersion = 1", stat);
        Assert.Contains("numChildren = 2", stat);
        Assert.Contains("dataLength = 6", stat);
        Assert.Contains("ephemeralOwner = 0x0", stat);
        Assert.Matches(@"^ctime = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", stat.Single(l => l.StartsWith("ctime", StringComparison.Ordinal)));

        await ZkAsync("delete", root + "/a");
        Assert.Equal("b\n", (await ZkAsync("ls", root)).Out);
    }

    [Fact]
    public async Task Sequential_and_ephemeral_nodes()
    {
        string root = Root("modes");
        await ZkAsync("create", root);

        Assert.Equal(root + "/job-0000000000\n", (await ZkAsync("create", root + "/job-", "--sequential")).Out);
        string ephemeral = (await ZkAsync("create", root + "/gone", "--ephemeral", "--sequential")).Out.Trim();

        Assert.Equal(root + "/gone0000000001", ephemeral);
        // The command's session ended with it, and its ephemeral node with the session.
        Assert.Equal("job-0000000000\n", (await ZkAsync("ls", root)).Out);
    }

    [Fact]
    public async Task Delete_refuses_a_node_with_children_unless_recursive()
    {
        string root = Root("tree");
        await ZkAsync("create", root);
        await ZkAsync("create", root + "/a");
        await ZkAsync("create", root + "/a/b");

        CliResult refused = await RunAsync("zk", "delete", root, "--cluster", server.ConnectString);
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal([$"colony: {root} has children (delete them first, or use --recursive)"], refused.ErrorLines);

        await ZkAsync("delete", root, "--recursive");
        CliResult missing = await RunAsync("zk", "get", root, "--cluster", server.ConnectString);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal([$"colony: {root} does not exist"], missing.ErrorLines);
        Assert.Empty(missing.Out);
    }

    [Fact]
    public async Task Errors_are_one_line_with_a_non_zero_exit()
    {
        string root = Root("errors");
        await ZkAsync("create", root);

        CliResult exists = await RunAsync("zk", "create", root, "--cluster", server.ConnectString);
        CliResult badPath = await RunAsync("zk", "get", "relative/path", "--cluster", server.ConnectString);
        CliResult badVersion = await RunAsync("zk", "set", root, "x", "--version", "9", "--cluster", server.ConnectString);
        CliResult both = await RunAsync("zk", "ls", "/", "--cluster", server.ConnectString, "--data", directory.Path);

        Assert.Equal(1, exists.ExitCode);
        Assert.Equal([$"colony: {root} already exists"], exists.ErrorLines);
        Assert.Equal(2, badPath.ExitCode);
        Assert.Single(badPath.ErrorLines);
        Assert.StartsWith("colony: Invalid path 'relative/path'", badPath.ErrorLines[0], StringComparison.Ordinal);
        Assert.Equal(1, badVersion.ExitCode);
        Assert.Equal([$"colony: {root} is not at the expected version"], badVersion.ErrorLines);
        Assert.Equal(2, both.ExitCode);
    }

    [Fact]
    public async Task An_unreachable_cluster_fails_within_the_timeout()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        string dead = $"127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();

        CliResult result = await RunAsync("zk", "ls", "/", "--cluster", dead, "--timeout", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"colony: no ZooKeeper server answered at {dead} within 1s; is the cluster up? (colony status)"], result.ErrorLines);
    }

    [Fact]
    public async Task The_cluster_comes_from_cluster_json_or_COLONY_CLUSTER()
    {
        string root = Root("resolve");
        var layout = new ClusterLayout(directory.Combine("cluster"));
        Directory.CreateDirectory(layout.Directory);
        ClusterFile.Write(layout, new ClusterManifest
        {
            Nodes = [new ClusterNode { Id = 1, ZooKeeper = server.ConnectString, Http = "http://127.0.0.1:1", DataDir = layout.NodeDataDirectory(1) }],
        });

        CliResult fromFile = await new CliRun(directory.Path).RunAsync("zk", "create", root, "via-data", "--data", layout.Directory);
        CliResult fromVariable = await new CliRun(directory.Path).With(CliContext.ClusterVariable, server.ConnectString).RunAsync("zk", "get", root);

        Assert.Equal(0, fromFile.ExitCode);
        Assert.Equal("via-data\n", fromVariable.Out);
    }

    [Fact]
    public async Task Watch_prints_events_until_the_count()
    {
        string root = Root("watch");
        await ZkAsync("create", root);
        var error = new SignallingWriter("watching");
        using var output = new StringWriter();
        var environment = new CliEnvironment
        {
            Out = output,
            Error = error,
            WorkingDirectory = directory.Path,
            GetVariable = _ => null,
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        Task<int> watching = CliApplication.RunAsync(["zk", "watch", root, "--recursive", "--count", "3", "--cluster", server.ConnectString], environment, timeout.Token);
        await error.Signalled.WaitAsync(timeout.Token);
        await using (var client = await ZooKeeperClient.ConnectAsync(server.ConnectString))
        {
            await client.SetDataAsync(root, "changed"u8.ToArray());
            await client.CreateAsync(root + "/child", null, Acl.OpenUnsafe);
            await client.DeleteAsync(root + "/child");
        }

        Assert.Equal(0, await watching.WaitAsync(timeout.Token));
        Assert.Equal($"NodeDataChanged {root}\nNodeCreated {root}/child\nNodeDeleted {root}/child\n", output.ToString());
        Assert.Equal($"watching {root} and its descendants\n", error.ToString());
    }

    private static string Root(string name) => $"/cli-{name}-{Guid.NewGuid():N}";

    private Task<CliResult> RunAsync(params string[] args) => new CliRun(directory.Path).RunAsync(args);

    /// <summary>Runs <c>colony zk …</c> against the server and expects success.</summary>
    private async Task<CliResult> ZkAsync(params string[] args)
    {
        CliResult result = await RunAsync(["zk", .. args, "--cluster", server.ConnectString]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>A writer that completes <see cref="Signalled"/> once a line containing a marker is written.</summary>
    private sealed class SignallingWriter(string marker) : StringWriter
    {
        private readonly TaskCompletionSource signalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Signalled => signalled.Task;

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(marker, StringComparison.Ordinal) == true)
            {
                signalled.TrySetResult();
            }
        }

        public override Encoding Encoding => Encoding.UTF8;
    }
}
