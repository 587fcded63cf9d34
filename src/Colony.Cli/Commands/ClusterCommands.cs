using System.CommandLine;
using Spectre.Console;
using static Colony.Cli.Commands.CommandSupport;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony cluster add-node</c> and <c>remove-node</c>: change the membership of a live cluster
/// through its leader.
/// </summary>
internal static class ClusterCommands
{
    public static Command Create(CliContext cli) =>
        new("cluster", "Change the membership of a live cluster")
        {
            CreateAddNode(cli),
            CreateRemoveNode(cli),
        };

    private static Command CreateAddNode(CliContext cli)
    {
        var learner = new Option<bool>("--learner") { Description = "Keep the node a learner: it replicates and serves reads, but does not vote" };
        var timeout = TimeoutOption(60, "How long to wait for the node to catch up and become a voter");
        var command = new Command("add-node", "Start a new node of a local cluster and add it: as a learner, then as a voter once it has caught up")
        {
            learner,
            timeout,
        };
        command.SetAction((parse, ct) => AddNodeAsync(cli, cli.LocalCluster(parse, "cluster add-node"), parse.GetValue(learner), Seconds(parse.GetValue(timeout)), ct));
        return command;
    }

    private static Command CreateRemoveNode(CliContext cli)
    {
        var id = NodeIdArgument("The node to remove");
        var timeout = TimeoutOption(30, "How long to wait for the removal to take effect");
        var command = new Command("remove-node", "Remove a node from the cluster; on a local cluster, also stop its process (its data stays)")
        {
            id,
            timeout,
        };
        command.SetAction((parse, ct) => RemoveNodeAsync(cli, cli.RemoteCluster(parse), parse.GetValue(id), Seconds(parse.GetValue(timeout)), ct));
        return command;
    }

    private static async Task<int> AddNodeAsync(CliContext cli, ClusterLayout layout, bool learnerOnly, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(cli, layout, cancellationToken).ConfigureAwait(false);
        var manifest = ClusterFile.Read(layout);
        var local = ClusterTarget.FromDirectory(layout);
        var endpoints = local.Nodes;
        using var client = new NodeClient(FsCommands.Token(cli, local), layout.Trust());
        var (leader, _) = await FindLeaderAsync(client, endpoints, cancellationToken).ConfigureAwait(false);

        // A fresh id: past every node listed and every configuration left behind by a removed one.
        var id = manifest.Nodes.Select(n => n.Id).Concat(layout.ConfiguredNodeIds()).DefaultIfEmpty(0).Max() + 1;
        var ports = manifest.Layout.For(id);
        if (manifest.BasePort is null && id > PortLayout.MaxNodes)
        {
            throw new CliError($"a local cluster has at most {PortLayout.MaxNodes} nodes");
        }

        PortProbe.EnsureFree([(id, ports)], "stop what holds it");
        var existing = manifest.Nodes.Select(n => NodeConfig.Read(layout.NodeConfig(n.Id))).ToList();
        var clusterId = existing.Count > 0 ? existing[0].ClusterId : throw new CliError($"{layout.ClusterFile} lists no nodes");
        var config = layout.CreateNodeConfig(id, clusterId, ports, [.. existing.Select(c => c.AsMember()), new MemberConfig { Id = id, Peer = ports.PeerAddress, Http = layout.HttpUrl(ports), ZooKeeper = ports.ZooKeeperAddress }], join: true, machineNodes: existing.Count + 1);
        Directory.CreateDirectory(config.DataDir);
        config.Write(layout.NodeConfig(id));

        var processes = cli.Processes();
        var pid = await processes.StartAsync(layout.NodeConfig(id), layout.NodeLog(id), layout.Directory, cancellationToken).ConfigureAwait(false);
        var node = ManifestEntry(config, pid);
        ClusterFile.Write(layout, manifest.With(node));

        var member = new MemberRequest { Id = id, Peer = config.Peer, Http = config.Http, Role = "learner", ZooKeeper = config.ZooKeeper };
        try
        {
            await client.AddMemberAsync(leader.Http, member, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // It never became a member: take it back out entirely.
            await processes.StopOrKillAsync(pid, layout.NodeConfig(id), TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            ClusterFile.Write(layout, manifest);
            File.Delete(layout.NodeConfig(id));
            throw;
        }

        var console = cli.Environment.Console;
        await Progress.RunAsync(cli.Environment, $"Node {id} joins as a learner…", async report =>
        {
            // Caught up: its match index has reached the leader's commit index from when it joined.
            var target = (await FindLeaderAsync(client, endpoints, cancellationToken).ConfigureAwait(false)).Status.Commit;
            var caughtUp = await Wait.UntilAsync(cli.Environment.Time, timeout, async ct =>
            {
                EnsureRunning(layout, node, "catching up");
                var match = await LeaderViewAsync(client, endpoints, id, ct).ConfigureAwait(false);
                report($"Node {id} catches up: {match?.Match.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} of {target}…");
                return match is not null && match.Match >= target;
            }, cancellationToken).ConfigureAwait(false);
            if (!caughtUp)
            {
                throw new CliError($"node {id} did not catch up within {timeout.TotalSeconds:0}s; it stays a learner (pid {pid}, log {layout.NodeLog(id)})");
            }

            if (learnerOnly)
            {
                return;
            }

            report($"Node {id} becomes a voter…");
            var (current, _) = await FindLeaderAsync(client, endpoints, cancellationToken).ConfigureAwait(false);
            await client.AddMemberAsync(current.Http, member with { Role = "voter" }, cancellationToken).ConfigureAwait(false);
            var promoted = await Wait.UntilAsync(cli.Environment.Time, timeout, async ct =>
                (await LeaderViewAsync(client, endpoints, id, ct).ConfigureAwait(false))?.Voter == true, cancellationToken).ConfigureAwait(false);
            if (!promoted)
            {
                throw new CliError($"node {id} was not a voter within {timeout.TotalSeconds:0}s; it stays a learner (pid {pid})");
            }
        }).ConfigureAwait(false);

        WriteEndpoints(cli.Environment, layout, ClusterFile.Read(layout));
        console.WriteLine($"node {id} joined as a {(learnerOnly ? "learner" : "voter")} (pid {pid})");
        return 0;
    }

    private static async Task<int> RemoveNodeAsync(CliContext cli, ClusterTarget target, int id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var held = target.Layout is { } layout ? await LockAsync(cli, layout, cancellationToken).ConfigureAwait(false) : null;
        using var client = new NodeClient(FsCommands.Token(cli, target), target.Tls);
        var (leader, _) = await FindLeaderAsync(client, target.Nodes, cancellationToken).ConfigureAwait(false);
        var accepted = await client.RemoveMemberAsync(leader.Http, id, cancellationToken).ConfigureAwait(false);

        // Done when a leader other than the removed node no longer lists it among its peers; when
        // no such leader is in reach (a cluster given by a few addresses), when the nodes that are
        // know a leader other than the removed one. The node that accepted the change is asked too:
        // it may be known only from a redirect.
        var others = target.Nodes.Where(n => n.Id != id).Append(new NodeEndpoint(null, accepted)).ToList();
        var gone = await Wait.UntilAsync(cli.Environment.Time, timeout, async ct =>
        {
            var statuses = (await client.GetStatusesAsync(others, ct).ConfigureAwait(false))
                .Select(s => s.Status).OfType<NodeStatus>().Where(s => s.Id != id).ToList();
            var leader = statuses.FirstOrDefault(s => s.IsLeader);
            return leader is not null
                ? leader.Peer(id) is null
                : statuses.Count > 0 && statuses.All(s => s.KnowsLeader && s.Leader != id);
        }, cancellationToken).ConfigureAwait(false);
        if (!gone)
        {
            throw new CliError($"the leader still listed node {id} after {timeout.TotalSeconds:0}s");
        }

        if (target.Layout is { } local && target.Manifest is { } manifest && manifest.Nodes.FirstOrDefault(n => n.Id == id) is { } node)
        {
            await cli.Processes().StopOrKillAsync(node.Pid, local.NodeConfig(id), TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            ClusterFile.Write(local, manifest.Without(id));
            cli.Environment.Console.WriteLine($"node {id} removed and stopped; its data stays in {node.DataDir}");
            return 0;
        }

        cli.Environment.Console.WriteLine($"node {id} removed");
        return 0;
    }

    /// <summary>The current leader's view of one peer's progress, or null when there is no leader or it does not list the peer.</summary>
    private static async Task<PeerProgress?> LeaderViewAsync(NodeClient client, IReadOnlyList<NodeEndpoint> nodes, int id, CancellationToken cancellationToken)
    {
        var statuses = await client.GetStatusesAsync(nodes, cancellationToken).ConfigureAwait(false);
        return statuses.Select(s => s.Status).FirstOrDefault(s => s is { IsLeader: true })?.Peer(id);
    }
}
