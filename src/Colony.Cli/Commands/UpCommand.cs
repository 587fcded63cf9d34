using System.CommandLine;
using Spectre.Console;
using static Colony.Cli.Commands.CommandSupport;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony up</c>: creates a local cluster (secret, cluster id, one configuration per node),
/// starts its nodes in the background and waits until it is healthy. On a cluster that exists it
/// starts the nodes that are not running, and only reports one that runs.
/// </summary>
internal static class UpCommand
{
    public const int DefaultNodes = 3;

    public static Command Create(CliContext cli)
    {
        var nodes = new Option<int?>("--nodes")
        {
            Description = $"How many nodes a new cluster has [default: {DefaultNodes}]",
            HelpName = "N",
            CustomParser = result => PositiveNumber(result, "--nodes takes a positive number"),
        };
        var basePort = new Option<int?>("--base-port")
        {
            Description = "Node i listens on P+10(i-1) for ZooKeeper, +1 peer, +2 HTTP, +3 block data, +4 TLS ZooKeeper [default: ZooKeeper 2181…, peer 2888…, HTTP 8080…, data 9866…, TLS ZooKeeper 2281…]",
            HelpName = "P",
            CustomParser = result => PositiveNumber(result, "--base-port takes a port number"),
        };
        var tls = new Option<bool>("--tls")
        {
            Description = "TLS everywhere, with a CA and certificates made for this cluster in DIR/tls: HTTPS, mutual TLS between nodes (peers, block transfers), and ZooKeeper over TLS on its own port (a new cluster only)",
        };
        var timeout = TimeoutOption(60, "How long to wait for a leader and healthy nodes");
        var command = new Command("up", "Start a local cluster in the background, or report the one that runs")
        {
            nodes,
            basePort,
            tls,
            timeout,
        };
        command.SetAction((parse, ct) => RunAsync(cli, cli.LocalCluster(parse, "up"), parse.GetValue(nodes), parse.GetValue(basePort), parse.GetValue(tls), Seconds(parse.GetValue(timeout)), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, ClusterLayout layout, int? nodes, int? basePort, bool tls, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var count = nodes ?? DefaultNodes;
        var ports = new PortLayout(basePort);
        ports.Validate(count);
        var existed = Directory.Exists(layout.Directory);
        using var held = await LockAsync(cli, layout, cancellationToken, create: true).ConfigureAwait(false);
        if (ClusterFile.Exists(layout))
        {
            return await ResumeAsync(cli, layout, nodes, basePort, timeout, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await CreateAsync(cli, layout, count, ports, tls, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch when (!existed && !ClusterFile.Exists(layout))
        {
            // Nothing was started: leave no half-made directory behind.
            Directory.Delete(layout.Directory, recursive: true);
            throw;
        }
    }

    private static async Task<int> CreateAsync(CliContext cli, ClusterLayout layout, int count, PortLayout ports, bool tls, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (layout.ConfiguredNodeIds().Count > 0)
        {
            throw new CliError($"{layout.Directory} holds node configurations but no cluster.json; remove the directory to start a new cluster");
        }

        var plan = Enumerable.Range(1, count).Select(id => (NodeId: id, Ports: tls ? ports.For(id) : ports.For(id) with { TlsZooKeeper = null })).ToList();
        PortProbe.EnsureFree(plan, "stop what holds it, or pick another --base-port");

        ClusterSecret.Create(layout.SecretFile);
        if (tls)
        {
            layout.Certificates.Create();
        }
        var clusterId = Guid.NewGuid().ToString();
        var members = plan.Select(p => new MemberConfig { Id = p.NodeId, Peer = p.Ports.PeerAddress, Http = layout.HttpUrl(p.Ports), ZooKeeper = p.Ports.ZooKeeperAddress }).ToList();
        var manifest = new ClusterManifest { BasePort = ports.BasePort };
        foreach (var (id, nodePorts) in plan)
        {
            var config = layout.CreateNodeConfig(id, clusterId, nodePorts, members, join: false, machineNodes: plan.Count);
            Directory.CreateDirectory(config.DataDir);
            config.Write(layout.NodeConfig(id));
            manifest = manifest.With(ManifestEntry(config, pid: 0));
        }

        ClusterFile.Write(layout, manifest);
        manifest = await StartAndWaitAsync(cli, layout, manifest, manifest.Nodes, timeout, cancellationToken).ConfigureAwait(false);

        WriteEndpoints(cli.Environment, layout, manifest);
        cli.Environment.Console.WriteLine($"Cluster {clusterId} is up: {count} nodes in {layout.Directory}. Stop it with: colony down{DataFlag(cli, layout)}");
        if (tls)
        {
            var certificates = layout.Certificates;
            cli.Environment.Console.WriteLine($"HTTPS and mutual TLS between nodes, trusting only the CA {certificates.CaCertificate}; the CLI uses it from {layout.Directory}.");
            cli.Environment.Console.WriteLine($"TLS ZooKeeper on {string.Join(",", manifest.Nodes.Select(n => n.SecureZooKeeper))}: CA {certificates.CaCertificate}, client certificate {certificates.ClientCertificate} and key {certificates.ClientKey} (x509 id \"{LocalCertificates.ClientSubject}\").");
        }
        return 0;
    }

    private static async Task<int> ResumeAsync(CliContext cli, ClusterLayout layout, int? nodes, int? basePort, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var manifest = ClusterFile.Read(layout);
        if (manifest.Nodes.Count == 0)
        {
            throw new CliError($"{layout.ClusterFile} lists no nodes");
        }

        if ((nodes is { } n && n != manifest.Nodes.Count) || (basePort is not null && basePort != manifest.BasePort))
        {
            cli.Environment.Console.WriteLine($"The cluster in {layout.Directory} exists: --nodes and --base-port apply only to a new one.");
        }

        var stopped = manifest.Nodes.Where(node => !ProcessTable.IsNode(node.Pid, layout.NodeConfig(node.Id))).ToList();
        if (stopped.Count == 0)
        {
            WriteEndpoints(cli.Environment, layout, manifest);
            cli.Environment.Console.WriteLine($"The cluster in {layout.Directory} is already running ({manifest.Nodes.Count} nodes).");
            return 0;
        }

        var configs = stopped.Select(node => NodeConfig.Read(layout.NodeConfig(node.Id))).ToList();
        PortProbe.EnsureFree(configs.Select(c => (c.NodeId, c.Ports())), "stop what holds it");
        manifest = await StartAndWaitAsync(cli, layout, manifest, stopped, timeout, cancellationToken).ConfigureAwait(false);

        WriteEndpoints(cli.Environment, layout, manifest);
        cli.Environment.Console.WriteLine($"The cluster in {layout.Directory} is up: started {string.Join(", ", stopped.Select(s => $"node {s.Id}"))}.");
        return 0;
    }

    /// <summary>
    /// Starts <paramref name="toStart"/>, records their process ids, and waits for the cluster to be
    /// healthy. If that fails, the nodes started here are stopped again.
    /// </summary>
    private static async Task<ClusterManifest> StartAndWaitAsync(CliContext cli, ClusterLayout layout, ClusterManifest manifest, IReadOnlyList<ClusterNode> toStart, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var processes = cli.Processes();
        var started = new List<ClusterNode>();
        try
        {
            foreach (var node in toStart)
            {
                var pid = await processes.StartAsync(layout.NodeConfig(node.Id), layout.NodeLog(node.Id), layout.Directory, cancellationToken).ConfigureAwait(false);
                var running = node with { Pid = pid };
                started.Add(running);
                manifest = manifest.With(running);
                ClusterFile.Write(layout, manifest);
            }

            await WaitForHealthyClusterAsync(cli, layout, manifest, started, timeout, cancellationToken).ConfigureAwait(false);
            return manifest;
        }
        catch
        {
            await Task.WhenAll(started.Select(node =>
                processes.StopOrKillAsync(node.Pid, layout.NodeConfig(node.Id), TimeSpan.FromSeconds(5), CancellationToken.None))).ConfigureAwait(false);
            throw;
        }
    }
}
