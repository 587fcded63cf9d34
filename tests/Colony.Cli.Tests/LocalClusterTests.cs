using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Colony.Cli.Tests;

/// <summary>
/// Process control end to end on loopback: the CLI starts stand-in nodes (see StandInNode), which
/// serve the node's HTTP contract, in place of real ones.
/// </summary>
public sealed class LocalClusterTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();
    private readonly string data;
    private readonly CliRun cli;
    private readonly List<Process> others = [];

    public LocalClusterTests()
    {
        data = directory.Combine("cluster");
        cli = new CliRun(directory.Path).With(NodeCommandLine.OverrideVariable, TestHost.StandInCommand);
    }

    public void Dispose()
    {
        // Whatever a test left running, by the process ids it recorded, and only while they still run those nodes.
        var layout = new ClusterLayout(data);
        if (ClusterFile.Exists(layout))
        {
            foreach (var node in ClusterFile.Read(layout).Nodes)
            {
                ProcessTable.SignalNode(node.Pid, layout.NodeConfig(node.Id), ProcessTable.SigKill);
            }
        }

        foreach (var process in others)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }

        directory.Dispose();
    }

    [Fact]
    public async Task Up_status_kill_start_stop_down()
    {
        var basePort = TestHost.FreeBasePort(3);
        var layout = new ClusterLayout(data);

        var up = await Colony("up", "--base-port", Text(basePort), "--timeout", "30");
        Assert.Contains("is up: 3 nodes", up.Out, StringComparison.Ordinal);
        Assert.Contains($"http://127.0.0.1:{basePort + 12}", up.Out, StringComparison.Ordinal);
        var manifest = ClusterFile.Read(layout);
        Assert.Equal(basePort, manifest.BasePort);
        Assert.Equal([1, 2, 3], manifest.Nodes.Select(n => n.Id));
        Assert.All(manifest.Nodes, n => Assert.True(ProcessTable.IsNode(n.Pid, layout.NodeConfig(n.Id))));
        Assert.Equal(
            Enumerable.Range(1, 3).Select(i => ($"127.0.0.1:{basePort + (10 * (i - 1))}", $"http://127.0.0.1:{basePort + (10 * (i - 1)) + 2}", layout.NodeDataDirectory(i))),
            manifest.Nodes.Select(n => (n.ZooKeeper, n.Http, n.DataDir)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(layout.SecretFile));
        Assert.Contains("stand-in node 2", await File.ReadAllTextAsync(layout.NodeLog(2)), StringComparison.Ordinal);
        var clusterId = NodeConfig.Read(layout.NodeConfig(1)).ClusterId;
        Assert.True(Guid.TryParse(clusterId, out _));

        var status = await StatusAsync();
        Assert.Equal([(1, "leader", true), (2, "follower", true), (3, "follower", true)], status.Select(s => (s.Id, s.Role, s.Healthy)));
        Assert.Equal(manifest.Nodes.Select(n => n.Http), status.Select(s => s.Http));
        // The overview's figures come from the first node that answered (the stand-in counts 10 blocks per id).
        Assert.Equal([(10, 1), (20, 0), (30, 0)], status.Select(s => (s.Blocks ?? -1, s.RunningTasks ?? -1)));
        string table = (await Colony("status")).Out;
        Assert.Contains("stand-in node 1 drew this overview", table, StringComparison.Ordinal);
        Assert.Contains("Blocks", table, StringComparison.Ordinal);

        var killed = await Colony("node", "kill", "2");
        Assert.Equal("node 2 killed", killed.Out.Trim());
        Assert.False(ProcessTable.IsNode(manifest.Node(2).Pid, layout.NodeConfig(2)));
        Assert.Equal([(1, "leader", true), (2, "unreachable", false), (3, "follower", true)], (await StatusAsync()).Select(s => (s.Id, s.Role, s.Healthy)));
        Assert.Contains("unreachable", (await Colony("status")).Out, StringComparison.Ordinal);

        var started = await Colony("node", "start", "2");
        var restarted = ClusterFile.Read(layout).Node(2);
        Assert.NotEqual(manifest.Node(2).Pid, restarted.Pid);
        Assert.Equal($"node 2 started (pid {restarted.Pid}) on http://127.0.0.1:{basePort + 12}", started.Out.Trim());
        Assert.All(await StatusAsync(), s => Assert.True(s.Healthy));
        Assert.Contains("already running", (await Colony("node", "start", "2")).Out, StringComparison.Ordinal);

        var again = await Colony("up");
        Assert.Contains("already running (3 nodes)", again.Out, StringComparison.Ordinal);
        Assert.Equal(restarted.Pid, ClusterFile.Read(layout).Node(2).Pid);

        Assert.Equal("node 3 stopped", (await Colony("node", "stop", "3")).Out.Trim());
        Assert.Equal("node 3 was not running", (await Colony("node", "stop", "3")).Out.Trim());
        Assert.Equal("node 3 was not running", (await Colony("node", "kill", "3")).Out.Trim());

        var down = await Colony("down");
        Assert.Contains("node 1 stopped", down.Out, StringComparison.Ordinal);
        Assert.Contains("node 3 was not running", down.Out, StringComparison.Ordinal);
        var after = ClusterFile.Read(layout);
        Assert.All(after.Nodes, n => Assert.False(ProcessTable.IsNode(n.Pid, layout.NodeConfig(n.Id))));
        Assert.True(File.Exists(layout.NodeConfig(1)) && File.Exists(layout.SecretFile) && Directory.Exists(layout.NodeDataDirectory(1)));
        Assert.All(await StatusAsync(), s => Assert.Equal("unreachable", s.Role));

        // A second up brings the same cluster back from its files.
        var resumed = await Colony("up");
        Assert.Contains("started node 1, node 2, node 3", resumed.Out, StringComparison.Ordinal);
        Assert.Equal(clusterId, NodeConfig.Read(layout.NodeConfig(1)).ClusterId);
        Assert.All(await StatusAsync(), s => Assert.True(s.Healthy));
        await Colony("down");
    }

    [Fact]
    public async Task Status_finds_nodes_by_address_from_the_flag_or_the_environment()
    {
        var basePort = TestHost.FreeBasePort(2);
        await Colony("up", "--base-port", Text(basePort), "--nodes", "2");
        var addresses = $"127.0.0.1:{basePort + 2},127.0.0.1:{basePort + 12}";

        var byFlag = await cli.RunAsync("status", "--json", "--cluster", addresses);
        var byEnvironment = await new CliRun(directory.Path).With("COLONY_CLUSTER", addresses).RunAsync("status", "--json");

        foreach (var result in new[] { byFlag, byEnvironment })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal([(1, "leader"), (2, "follower")], ParseStatus(result.Out).Select(s => (s.Id, s.Role)));
        }
    }

    [Fact]
    public async Task Add_and_remove_nodes()
    {
        var basePort = TestHost.FreeBasePort(5);
        var layout = new ClusterLayout(data);
        await Colony("up", "--base-port", Text(basePort));

        var added = await Colony("cluster", "add-node");
        Assert.Contains("node 4 joined as a voter", added.Out, StringComparison.Ordinal);
        var node4 = ClusterFile.Read(layout).Node(4);
        Assert.True(ProcessTable.IsNode(node4.Pid, layout.NodeConfig(4)));
        var config = NodeConfig.Read(layout.NodeConfig(4));
        Assert.True(config.Join);
        Assert.Equal(new PortLayout(basePort).For(4) with { TlsZooKeeper = null }, config.Ports());
        Assert.Equal([1, 2, 3, 4], config.Members.Select(m => m.Id));
        Assert.Equal(NodeConfig.Read(layout.NodeConfig(1)).ClusterId, config.ClusterId);
        Assert.True((await LeaderAsync(basePort)).Peer(4)?.Voter);
        Assert.Equal([(1, "leader"), (2, "follower"), (3, "follower"), (4, "learner")], (await StatusAsync()).Select(s => (s.Id, s.Role)));

        var removed = await Colony("cluster", "remove-node", "4");
        Assert.Contains("node 4 removed and stopped", removed.Out, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], ClusterFile.Read(layout).Nodes.Select(n => n.Id));
        Assert.False(ProcessTable.IsNode(node4.Pid, layout.NodeConfig(4)));
        Assert.Null((await LeaderAsync(basePort)).Peer(4));
        Assert.True(File.Exists(layout.NodeConfig(4)), "a removed node keeps its files");

        // Ids are not reused; a learner stays one.
        var learner = await Colony("cluster", "add-node", "--learner");
        Assert.Contains("node 5 joined as a learner", learner.Out, StringComparison.Ordinal);
        Assert.False((await LeaderAsync(basePort)).Peer(5)?.Voter);

        // Through a follower's address only: the leader is found by redirect, and no process is touched.
        var remote = await cli.RunAsync("cluster", "remove-node", "5", "--cluster", $"127.0.0.1:{basePort + 12}");
        Assert.True(remote.ExitCode == 0, remote.ToString());
        Assert.Equal("node 5 removed", remote.Out.Trim());
        Assert.Null((await LeaderAsync(basePort)).Peer(5));
        Assert.True(ProcessTable.IsNode(ClusterFile.Read(layout).Node(5).Pid, layout.NodeConfig(5)));

        var missing = await cli.RunAsync("cluster", "remove-node", "9", "--data", data);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("colony: could not remove node 9:", Assert.Single(missing.ErrorLines), StringComparison.Ordinal);

        await Colony("down");
    }

    [Fact]
    public async Task Up_fails_with_one_line_when_a_port_is_taken()
    {
        var basePort = TestHost.FreeBasePort(3);
        using var taken = new TcpListener(IPAddress.Loopback, basePort + 12);
        taken.Start();

        var result = await cli.RunAsync("up", "--data", data, "--base-port", Text(basePort));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"colony: port {basePort + 12} (http of node 2) is in use; stop what holds it, or pick another --base-port", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(data), "a failed up leaves no directory it made");
    }

    [Fact]
    public async Task Up_fails_with_one_line_when_nodes_exit()
    {
        var basePort = TestHost.FreeBasePort(2);
        var failing = new CliRun(directory.Path).With(NodeCommandLine.OverrideVariable, "/bin/sh -c \"echo cannot bind >&2; exit 3\"");

        var result = await failing.RunAsync("up", "--data", data, "--base-port", Text(basePort), "--nodes", "2");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Matches("^colony: node [12] exited while the cluster was starting \\(cannot bind\\); see .*node-[12]\\.log$", line);
    }

    [Fact]
    public async Task Up_that_times_out_stops_the_nodes_it_started()
    {
        var basePort = TestHost.FreeBasePort(2);
        var layout = new ClusterLayout(data);
        var unhealthy = new CliRun(directory.Path).With(NodeCommandLine.OverrideVariable, $"{TestHost.StandInCommand} --unhealthy");

        var result = await unhealthy.RunAsync("up", "--data", data, "--base-port", Text(basePort), "--nodes", "2", "--timeout", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches($"^colony: the cluster was not healthy within 1s \\((0|no node) .*\\); see the node logs in {System.Text.RegularExpressions.Regex.Escape(data)}$", Assert.Single(result.ErrorLines));
        var manifest = ClusterFile.Read(layout);
        Assert.Equal(2, manifest.Nodes.Count);
        Assert.All(manifest.Nodes, n => Assert.True(n.Pid > 0));
        Assert.All(manifest.Nodes, n => Assert.False(ProcessTable.IsNode(n.Pid, layout.NodeConfig(n.Id))));
    }

    [Fact]
    public async Task Up_refuses_a_directory_with_configurations_but_no_cluster_file()
    {
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "node-1.json"), "{}");

        var result = await cli.RunAsync("up", "--data", data, "--base-port", Text(TestHost.FreeBasePort(3)));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no cluster.json", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Down_leaves_a_process_alone_that_is_not_the_node()
    {
        var layout = new ClusterLayout(data);
        Directory.CreateDirectory(data);
        var stranger = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        others.Add(stranger);
        ClusterFile.Write(layout, new ClusterManifest
        {
            Nodes = [new ClusterNode { Id = 1, Pid = stranger.Id, ZooKeeper = "127.0.0.1:1", Http = "http://127.0.0.1:2", DataDir = layout.NodeDataDirectory(1) }],
        });

        var down = await Colony("down");
        var kill = await Colony("node", "kill", "1");

        Assert.Contains("node 1 was not running", down.Out, StringComparison.Ordinal);
        Assert.Equal("node 1 was not running", kill.Out.Trim());
        Assert.False(stranger.HasExited);
    }

    private async Task<CliResult> Colony(params string[] args)
    {
        var result = await cli.RunAsync([.. args, "--data", data]);
        Assert.True(result.ExitCode == 0, $"colony {string.Join(' ', args)}: {result}\n{NodeLogs()}");
        Assert.Equal("", result.Error);
        return result;
    }

    private string NodeLogs() => Directory.Exists(data)
        ? string.Join('\n', Directory.GetFiles(data, "node-*.log").Order().Select(f => $"{Path.GetFileName(f)}:\n{File.ReadAllText(f)}"))
        : "";

    private async Task<List<StatusReportNode>> StatusAsync() => ParseStatus((await Colony("status", "--json")).Out);

    private static List<StatusReportNode> ParseStatus(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal(["nodes", "alerts"], document.RootElement.EnumerateObject().Select(p => p.Name));
        return [.. JsonSerializer.Deserialize(json, CliJson.Default.StatusReport)!.Nodes];
    }

    private static async Task<NodeStatus> LeaderAsync(int basePort)
    {
        using var client = new NodeClient();
        var status = await client.TryGetStatusAsync(new Uri($"http://127.0.0.1:{basePort + 2}"), CancellationToken.None);
        Assert.True(status?.IsLeader);
        return status!;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
