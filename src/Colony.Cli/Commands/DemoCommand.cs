using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Colony.Client;
using Colony.Coordination;
using Spectre.Console;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony demo</c>: a guided run on a local cluster. Until the compute service lands it shows
/// the replicated log and the coordination service doing their job: it starts (or reuses) a 3-node
/// cluster, writes keys through the leader, opens a ZooKeeper session holding an ephemeral node,
/// kills the leader with SIGKILL, waits for a new one, reads every key back from it, checks the
/// session and its ephemeral survived, restarts the killed node and waits until it has caught up.
/// The cluster keeps running after; the session closes, so its ephemeral goes with it.
/// </summary>
internal static class DemoCommand
{
    private const int Keys = 200;

    private const string DemoRoot = "/colony-demo";

    public static Command Create(CliContext cli)
    {
        var basePort = new Option<int?>("--base-port") { Description = "Move every port of the cluster (see colony up --help)", HelpName = "P" };
        var command = new Command("demo", "Start a local cluster and show it surviving the loss of its leader") { basePort };
        command.SetAction((parse, ct) => RunAsync(cli, parse, parse.GetValue(basePort), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, ParseResult parse, int? basePort, CancellationToken ct)
    {
        var console = cli.Environment.Console;
        var layout = cli.LocalCluster(parse, "demo");
        string data = layout.Directory;

        console.MarkupLine("[bold]1. Start a 3-node cluster[/] (each node: Raft over TCP, a write-ahead log with fsync, HTTP)");
        string[] up = basePort is { } p ? ["up", "--data", data, "--base-port", p.ToString(CultureInfo.InvariantCulture)] : ["up", "--data", data];
        await RunStepAsync(cli, up, ct).ConfigureAwait(false);
        var target = ClusterTarget.FromDirectory(layout);
        using var client = new NodeClient();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var (leader, status) = await CommandSupport.FindLeaderAsync(client, target.Nodes, ct).ConfigureAwait(false);
        console.MarkupLine($"\n[bold]2. Write {Keys} keys through the leader[/] (node {status.Id}); each is acknowledged once a majority has it on disk");
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Keys; i++)
        {
            leader = await WriteAsync(client, http, target, leader, $"demo-{i}", $"value {i}", ct).ConfigureAwait(false);
        }
        console.MarkupLine($"   {Keys} writes committed in {clock.ElapsedMilliseconds} ms");

        string servers = string.Join(',', ClusterFile.Read(layout).Nodes.Select(n => n.ZooKeeper).Where(a => !string.IsNullOrEmpty(a)));
        await using var zk = await ZooKeeperClient.ConnectAsync(servers, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(10) }, ct).ConfigureAwait(false);
        try
        {
            await zk.CreateAsync(DemoRoot, null, Acl.OpenUnsafe, CreateMode.Persistent, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            // A rerun on the same cluster.
        }
        string holder = await zk.CreateAsync(DemoRoot + "/holder-", null, Acl.OpenUnsafe, CreateMode.EphemeralSequential, cancellationToken: ct).ConfigureAwait(false);
        long session = zk.SessionId;
        console.MarkupLine($"   a ZooKeeper session (0x{session:x}, on {Server(zk)}) holds the ephemeral node {holder}");

        var doomed = (await CommandSupport.FindLeaderAsync(client, target.Nodes, ct).ConfigureAwait(false)).Status.Id;
        console.MarkupLine($"\n[bold]3. Kill the leader[/], node {doomed}, with SIGKILL");
        await RunStepAsync(cli, ["node", "kill", doomed.ToString(CultureInfo.InvariantCulture), "--data", data], ct).ConfigureAwait(false);
        clock.Restart();
        var survivors = target.Nodes.Where(n => n.Id != doomed).ToList();
        var newStatus = await WaitAsync(cli, async () =>
        {
            var answers = await client.GetStatusesAsync(survivors, ct).ConfigureAwait(false);
            return answers.Select(a => a.Status).FirstOrDefault(status => status is { IsLeader: true });
        }, TimeSpan.FromSeconds(30), "a new leader", ct).ConfigureAwait(false);
        var newLeader = survivors.First(n => n.Id == newStatus.Id);
        console.MarkupLine($"   node {newStatus.Id} leads after {clock.ElapsedMilliseconds} ms (term {newStatus.Term})");

        console.MarkupLine($"\n[bold]4. Read every key back[/] through node {newStatus.Id} (linearizable reads)");
        int intact = 0;
        foreach (int i in Enumerable.Range(0, Keys))
        {
            var response = await http.GetAsync(new Uri(newLeader.Http, $"/kv/demo-{i}"), ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.OK && await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false) == $"value {i}")
            {
                intact++;
            }
        }
        if (intact != Keys)
        {
            throw new CliError($"only {intact} of {Keys} acknowledged writes read back after the failover");
        }
        console.MarkupLine($"   [green]{intact} of {Keys}[/] acknowledged writes survived");
        var owner = await WaitAsync(cli, async () =>
        {
            try
            {
                await zk.SyncAsync(holder, ct).ConfigureAwait(false);
                return await zk.ExistsAsync(holder, watch: false, ct).ConfigureAwait(false) is { } stat ? new StrongBox<Stat>(stat) : null;
            }
            catch (ConnectionLossException)
            {
                return null; // still moving to a surviving node
            }
        }, TimeSpan.FromSeconds(30), "the ZooKeeper session to reconnect", ct).ConfigureAwait(false);
        if (zk.SessionId != session || owner.Value.EphemeralOwner != session)
        {
            throw new CliError($"the ZooKeeper session 0x{session:x} did not keep its ephemeral node {holder}");
        }
        console.MarkupLine($"   [green]the ZooKeeper session 0x{session:x} is alive[/] on {Server(zk)} and still holds {holder}");

        console.MarkupLine($"\n[bold]5. Restart node {doomed}[/]: it recovers from its log and catches up");
        await RunStepAsync(cli, ["node", "start", doomed.ToString(CultureInfo.InvariantCulture), "--data", data], ct).ConfigureAwait(false);
        var leaderCommit = (await client.TryGetStatusAsync(newLeader.Http, ct).ConfigureAwait(false))?.Commit ?? 0;
        var restarted = target.Nodes.First(n => n.Id == doomed);
        clock.Restart();
        await WaitAsync(cli, async () =>
        {
            var s = await client.TryGetStatusAsync(restarted.Http, ct).ConfigureAwait(false);
            return s is { Healthy: true } && s.Applied >= leaderCommit ? s : null;
        }, TimeSpan.FromSeconds(30), $"node {doomed} to catch up", ct).ConfigureAwait(false);
        console.MarkupLine($"   node {doomed} applied everything up to index {leaderCommit} in {clock.ElapsedMilliseconds} ms\n");

        await RunStepAsync(cli, ["status", "--data", data], ct).ConfigureAwait(false);
        console.MarkupLine($"\nThe cluster keeps running. Look around with [bold]./colony status[/]; stop it with [bold]./colony down{(data == ClusterLayoutDefault() ? "" : $" --data {Markup.Escape(data)}")}[/].");
        return 0;
    }

    private static string Server(ZooKeeperClient zk) => zk.ConnectedServer is { } server ? $"{server.Host}:{server.Port}" : "no server";

    private static string ClusterLayoutDefault() => Path.GetFullPath(ClusterLayout.DefaultDirectoryName);

    private static async Task RunStepAsync(CliContext cli, string[] args, CancellationToken ct)
    {
        int code = await CliApplication.RunAsync(args, cli.Environment, ct).ConfigureAwait(false);
        if (code != 0)
        {
            throw new CliError($"the demo stopped: colony {string.Join(' ', args)} failed", code);
        }
    }

    /// <summary>PUT through the leader, following it across a change (bounded).</summary>
    private static async Task<NodeEndpoint> WriteAsync(NodeClient client, HttpClient http, ClusterTarget target, NodeEndpoint leader, string key, string value, CancellationToken ct)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                var response = await http.PutAsync(new Uri(leader.Http, $"/kv/{key}"), new StringContent(value), ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    return leader;
                }
            }
            catch (HttpRequestException)
            {
            }
            leader = (await CommandSupport.FindLeaderAsync(client, target.Nodes, ct).ConfigureAwait(false)).Node;
            await Task.Delay(Wait.Interval, ct).ConfigureAwait(false);
        }
        throw new CliError($"could not write {key}: the cluster keeps refusing writes");
    }

    /// <summary>Polls <paramref name="probe"/> on the CLI's clock until it finds something, or fails after <paramref name="timeout"/>.</summary>
    private static async Task<T> WaitAsync<T>(CliContext cli, Func<Task<T?>> probe, TimeSpan timeout, string what, CancellationToken ct)
        where T : class
    {
        T? found = null;
        bool ok = await Wait.UntilAsync(cli.Environment.Time, timeout, async _ => (found = await probe().ConfigureAwait(false)) is not null, ct).ConfigureAwait(false);
        return ok && found is not null ? found : throw new CliError($"timed out after {timeout.TotalSeconds:0}s waiting for {what}");
    }
}
