using System.Diagnostics;
using System.Text;
using Colony.Client;
using Colony.Coordination;
using Colony.Coordination.Security;
using Colony.Testing;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// Dynamic reconfiguration on a live cluster: <c>/zookeeper/config</c> follows the membership, kazoo's
/// reconfig adds a running node as an observer (which then serves clients and forwards their writes)
/// and removes it, and the errors ZooKeeper gives for a bad request come back here too.
/// </summary>
public sealed class ZooKeeperReconfigTests(ITestOutputHelper output)
{
    private const string SuperUser = "super:reconfig-secret";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Kazoo_adds_and_removes_an_observer_that_serves_clients_and_forwards_writes()
    {
        var settings = new Dictionary<string, object> { ["SuperDigest"] = DigestAuthentication.IdFor(SuperUser).Identity };
        await using var cluster = new LocalCluster(3, coordination: settings);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
        await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync();
        await using var client = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(1));

        // The config lists the three voters as participants, with their client addresses, once the leader has written it.
        var (config, stat) = await WaitForConfigAsync(client, text => cluster.Ids.All(id => text.Contains($"server.{id}=", StringComparison.Ordinal)));
        foreach (ulong id in cluster.Ids)
        {
            Assert.Contains($"server.{id}={cluster.PeerAddress(id)}:{cluster.HttpPort(id)}:participant;{cluster.ZooKeeperAddress(id)}\n", config, StringComparison.Ordinal);
        }
        Assert.EndsWith($"version={stat.Mzxid:x}", config, StringComparison.Ordinal);
        Assert.Equal(-1, stat.Version); // as in a ZooKeeper ensemble, which writes the config with version −1

        // Only the super user may reconfigure; a malformed spec or a stale version is refused.
        string observer4 = "";
        await Assert.ThrowsAsync<NoAuthException>(() => client.ReconfigAsync(null, "3", null));
        await using var admin = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(2));
        await admin.AddAuthAsync("digest", Encoding.UTF8.GetBytes(SuperUser));
        await Assert.ThrowsAsync<BadArgumentsException>(() => admin.ReconfigAsync("server.4=127.0.0.1:1", null, null));
        await Assert.ThrowsAsync<BadArgumentsException>(() => admin.ReconfigAsync("server.4=no-such-host.invalid:1:2:observer", null, null));
        await Assert.ThrowsAsync<BadArgumentsException>(() => admin.ReconfigAsync(null, "1,2,3", null));
        await Assert.ThrowsAsync<BadVersionException>(() => admin.ReconfigAsync(null, "3", null, fromConfig: stat.Mzxid + 1));

        // A node started to join, with nobody to ask: kazoo adds it as an observer.
        var changed = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.GetConfigAsync(e => changed.TrySetResult(e));
        ulong joined = cluster.StartJoiningNode();
        await LocalCluster.WaitForAsync(() => cluster.StatusAsync(joined), _ => true, Bound, $"node {joined} to start");
        observer4 = $"server.{joined}={cluster.PeerAddress(joined)}:{cluster.HttpPort(joined)}:observer;{cluster.ZooKeeperAddress(joined)}";
        var added = await RunKazooAsync(cluster, "add", observer4, $"{stat.Mzxid:x}");
        Assert.Contains($"CONFIG {observer4}", added);
        Assert.Equal(added.Single(l => l.StartsWith("VERSION ", StringComparison.Ordinal))[8..], added.Single(l => l.StartsWith("MZXID ", StringComparison.Ordinal))[6..]);
        // conf ends with the dynamic config, as ZooKeeper's does in an ensemble: the server lines, then the version.
        string version = added.Single(l => l.StartsWith("VERSION ", StringComparison.Ordinal))[8..];
        string conf = await LocalCluster.WaitForAsync(() => cluster.FourLetterWordAsync(1, "conf"),
            c => c.Contains($"\n{observer4}\n", StringComparison.Ordinal), Bound, "conf on node 1 to list the observer");
        Assert.Contains($"\nmembership: \nserver.1=", conf, StringComparison.Ordinal);
        Assert.EndsWith($"\nversion={version}", conf, StringComparison.Ordinal);
        var confJson = System.Text.Json.Nodes.JsonNode.Parse(await cluster.Http.GetStringAsync($"{cluster.HttpAddress(1)}/commands/conf"))!;
        Assert.Equal(observer4[(observer4.IndexOf('=', StringComparison.Ordinal) + 1)..], (string?)confJson["membership"]![$"server.{joined}"]);
        Assert.Equal(version, (string?)confJson["membership"]!["version"]);
        var fired = await changed.Task.WaitAsync(Bound);
        Assert.Equal(EventType.NodeDataChanged, fired.Type);
        Assert.Equal(ZooKeeperClient.ConfigPath, fired.Path);

        // The observer says so, serves a session, and forwards its client's write to the leader.
        await LocalCluster.WaitForAsync(() => cluster.FourLetterWordAsync(joined, "srvr"), a => a.Contains("Mode: observer", StringComparison.Ordinal), Bound, "srvr to report an observer");
        Assert.Contains("zk_server_state\tobserver", await cluster.FourLetterWordAsync(joined, "mntr") ?? "", StringComparison.Ordinal);
        Assert.Contains("zk_peer_state\tobserving - broadcast", await cluster.FourLetterWordAsync(joined, "mntr") ?? "", StringComparison.Ordinal);
        ulong leader = await cluster.WaitForLeaderAsync();
        await LocalCluster.WaitForAsync(() => cluster.FourLetterWordAsync(leader, "mntr"), m => m.Contains("zk_synced_observers\t1\n", StringComparison.Ordinal),
            Bound, "the leader's mntr to count the observer");
        Assert.Equal("learner", (await cluster.StatusAsync(joined))!.Role);
        await using (var viaObserver = await ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(joined)))
        {
            await viaObserver.CreateAsync("/through-observer", "w"u8.ToArray(), Acl.OpenUnsafe);
            Assert.Equal("w"u8.ToArray(), (await viaObserver.GetDataAsync("/through-observer")).Data);
            Assert.Contains(":observer;", Encoding.UTF8.GetString((await viaObserver.GetConfigAsync()).Data), StringComparison.Ordinal);
        }
        await client.SyncAsync("/through-observer");
        Assert.Equal("w"u8.ToArray(), (await client.GetDataAsync("/through-observer")).Data);

        // A second reconfig while one runs is refused: pipelined on one session, so the first is surely running.
        int ghostPeer = TestPorts.One();
        int ghostHttp = TestPorts.One();
        try
        {
            // Named by host name, as ZooKeeper allows: the node records the address it resolves to.
            var first = admin.ReconfigAsync($"server.9=localhost:{ghostPeer}:{ghostHttp}:observer", null, null);
            var second = admin.ReconfigAsync(null, "3", null);
            await Assert.ThrowsAsync<ReconfigInProgressException>(() => second);
            var (afterFirst, _) = await first;
            Assert.Contains($"server.9=127.0.0.1:{ghostPeer}:{ghostHttp}:observer\n", Encoding.UTF8.GetString(afterFirst), StringComparison.Ordinal);
            Assert.Contains("server.3=", Encoding.UTF8.GetString(afterFirst), StringComparison.Ordinal);

            // Apache's Java CLI removes the server and adds it back.
            string spec = $"server.9=127.0.0.1:{ghostPeer}:{ghostHttp}:observer";
            string cli = await RunZkCliAsync(cluster.ZooKeeperAddress(3), $"addauth digest {SuperUser}", "reconfig -remove 9", $"reconfig -add {spec}");
            var committed = cli.Split("Committed new configuration:", StringSplitOptions.None);
            Assert.True(committed.Length == 3, cli);
            Assert.DoesNotContain("server.9=", committed[1], StringComparison.Ordinal);
            Assert.Contains(spec, committed[2], StringComparison.Ordinal);
            await admin.ReconfigAsync(null, "9", null);
        }
        finally
        {
            TestPorts.Release([ghostPeer, ghostHttp]);
        }

        // kazoo removes the observer again; the removed node stops serving clients.
        string voters = string.Join(',', cluster.Ids.Where(id => id != joined).Select(cluster.ZooKeeperAddress));
        var removed = await RunKazooAsync(cluster, "remove", joined.ToString(System.Globalization.CultureInfo.InvariantCulture), hosts: voters);
        Assert.DoesNotContain(removed, l => l.StartsWith($"CONFIG server.{joined}=", StringComparison.Ordinal));
        Assert.Equal(3, removed.Count(l => l.StartsWith("CONFIG server.", StringComparison.Ordinal)));
        await LocalCluster.WaitForAsync(() => cluster.StatusAsync(cluster.Ids.First()), s => !s.Learners.Contains(joined), Bound, $"node {joined} to be gone");
        await Assert.ThrowsAnyAsync<ZooKeeperException>(() => ZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(joined),
            new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(2) }));
        logs.Pass();
    }

    /// <summary>Runs zkCli.sh with <paramref name="commands"/> on stdin and returns all it printed.</summary>
    private async Task<string> RunZkCliAsync(string server, params string[] commands)
    {
        var start = new ProcessStartInfo("/usr/share/zookeeper/bin/zkCli.sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-server");
        start.ArgumentList.Add(server);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start zkCli.sh");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        foreach (string command in commands.Append("quit"))
        {
            await process.StandardInput.WriteLineAsync(command);
        }
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        string text = await stdout + await stderr;
        output.WriteLine(text);
        return text;
    }

    private static async Task<(string Text, Stat Stat)> WaitForConfigAsync(ZooKeeperClient client, Func<string, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (data, stat) = await client.GetConfigAsync();
            string text = Encoding.UTF8.GetString(data);
            if (condition(text))
            {
                return (text, stat);
            }
            Assert.True(clock.Elapsed < Bound, $"the config never showed what was expected; last:\n{text}");
            await Task.Delay(100); // polling the server's state, not a stand-in for synchronisation
        }
    }

    private async Task<IReadOnlyList<string>> RunKazooAsync(LocalCluster cluster, string action, string argument, string? fromConfig = null, string? hosts = null)
    {
        var arguments = new List<string> { "--hosts", hosts ?? cluster.ConnectString, "--auth", SuperUser };
        if (fromConfig is not null)
        {
            arguments.AddRange(["--from-config", fromConfig]);
        }
        arguments.AddRange([action, argument]);
        await using var script = PythonScript.Start(Path.Combine("..", "reconfig", "reconfig.py"), [.. arguments]);
        await script.WaitForLineAsync(l => l.StartsWith("MZXID ", StringComparison.Ordinal) || l.StartsWith("ERROR ", StringComparison.Ordinal), Bound, $"kazoo's reconfig {action}");
        foreach (string line in script.Output)
        {
            output.WriteLine(line);
        }
        Assert.DoesNotContain(script.Output, l => l.StartsWith("ERROR ", StringComparison.Ordinal));
        return script.Output;
    }
}
