using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Spectre.Console;

namespace Colony.Cli.Commands;

/// <summary>Pieces the commands share: options, waits on nodes, and tables.</summary>
internal static class CommandSupport
{
    /// <summary>How long a command waits for another one working on the same cluster.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    public static Option<int> TimeoutOption(int defaultSeconds, string what) => new("--timeout")
    {
        Description = $"{what}, in seconds",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => defaultSeconds,
        CustomParser = result => PositiveNumber(result, "--timeout takes a positive number of seconds"),
    };

    public static Argument<int> NodeIdArgument(string description) => new("ID")
    {
        Description = description,
        CustomParser = result => PositiveNumber(result, "a node ID is a positive number"),
    };

    /// <summary>Parses one positive integer token, or records <paramref name="error"/>.</summary>
    public static int PositiveNumber(ArgumentResult result, string error)
    {
        if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        result.AddError($"{error}, not '{string.Join(' ', result.Tokens.Select(t => t.Value))}'");
        return 0;
    }

    public static TimeSpan Seconds(int seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>Holds the cluster's lock; <paramref name="create"/> only for a new cluster.</summary>
    public static Task<ClusterLock> LockAsync(CliContext cli, ClusterLayout layout, CancellationToken cancellationToken, bool create = false) =>
        ClusterLock.AcquireAsync(layout, create, cli.Environment.Time, LockTimeout, cancellationToken);

    /// <summary>
    /// The end of a node's log, for an error message: the last line of its latest run (what follows the
    /// last <see cref="NodeProcesses.StartMarker"/>) that is not a stack frame; empty if that run wrote
    /// nothing, or the log cannot be read.
    /// </summary>
    public static string LastLogLine(string logPath)
    {
        try
        {
            using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var from = Math.Max(0, stream.Length - 4096);
            stream.Seek(from, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n').AsEnumerable();
            if (from > 0)
            {
                lines = lines.Skip(1); // begun before the window: perhaps only its end
            }

            // The last line that says something: not a stack frame of an unhandled exception.
            var last = lines.Reverse()
                .Select(line => line.Trim())
                .TakeWhile(line => !line.StartsWith(NodeProcesses.StartMarker, StringComparison.Ordinal))
                .FirstOrDefault(line => line.Length > 0 && !line.StartsWith("at ", StringComparison.Ordinal) && !line.StartsWith("--- ", StringComparison.Ordinal));
            return last is null ? "" : NodeClient.OneLine(last);
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// Fails when the node's process has exited, quoting its log. A process between two programs, as one
    /// just launched is for a moment, has not exited.
    /// </summary>
    public static void EnsureRunning(ClusterLayout layout, ClusterNode node, string doing)
    {
        if (ProcessTable.HasExited(node.Pid, layout.NodeConfig(node.Id)))
        {
            var log = layout.NodeLog(node.Id);
            var last = LastLogLine(log);
            throw new CliError($"node {node.Id} exited while {doing} ({(last.Length > 0 ? last : "it wrote nothing to its log")}); see {log}");
        }
    }

    /// <summary>
    /// Waits until some node reports a leader and every node reports healthy, failing early when
    /// one of <paramref name="watched"/> exits.
    /// </summary>
    public static async Task WaitForHealthyClusterAsync(CliContext cli, ClusterLayout layout, ClusterManifest manifest, IReadOnlyCollection<ClusterNode> watched, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new NodeClient(tls: layout.Trust());
        var endpoints = manifest.Nodes.Select(n => new NodeEndpoint(n.Id, NodeEndpoint.ParseHttp(n.Http))).ToList();
        var summary = "no node answered";
        var ready = await Progress.RunAsync(cli.Environment, "Starting the nodes…", async report =>
            await Wait.UntilAsync(cli.Environment.Time, timeout, async ct =>
            {
                foreach (var node in watched)
                {
                    EnsureRunning(layout, node, "the cluster was starting");
                }

                var statuses = await client.GetStatusesAsync(endpoints, ct).ConfigureAwait(false);
                var healthy = statuses.Count(s => s.Status?.Healthy == true);
                var leader = statuses.Select(s => s.Status).FirstOrDefault(s => s?.IsLeader == true)?.Id
                    ?? statuses.Select(s => s.Status?.Leader).FirstOrDefault(l => l is > 0);
                summary = $"{healthy} of {endpoints.Count} nodes healthy, {(leader is { } id ? $"node {id} leads" : "no leader yet")}";
                report($"Waiting for the cluster: {summary}…");
                return leader is not null && healthy == endpoints.Count;
            }, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        if (!ready)
        {
            throw new CliError($"the cluster was not healthy within {timeout.TotalSeconds:0}s ({summary}); see the node logs in {layout.Directory}");
        }
    }

    /// <summary>The leader's address and status, or a node that knows it: the target for membership changes.</summary>
    public static async Task<(NodeEndpoint Node, NodeStatus Status)> FindLeaderAsync(NodeClient client, IReadOnlyList<NodeEndpoint> nodes, CancellationToken cancellationToken)
    {
        var statuses = await client.GetStatusesAsync(nodes, cancellationToken).ConfigureAwait(false);
        var reachable = statuses.Where(s => s.Status is not null).Select(s => (s.Node, Status: s.Status!)).ToList();
        if (reachable.Count == 0)
        {
            throw new CliError("no node answers; is the cluster up? (colony status)");
        }

        foreach (var answer in reachable)
        {
            if (answer.Status.IsLeader)
            {
                return answer;
            }
        }

        // Nobody here says it leads, but a node that knows the leader redirects to it.
        foreach (var answer in reachable)
        {
            if (answer.Status.KnowsLeader)
            {
                return answer;
            }
        }

        throw new CliError("the cluster has no leader right now; try again shortly");
    }

    /// <summary>The table of a local cluster's nodes and where they listen.</summary>
    public static void WriteEndpoints(CliEnvironment environment, ClusterLayout layout, ClusterManifest manifest)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in (string[])["Node", "PID", "ZooKeeper", "Peer", "HTTP", "Data"])
        {
            table.AddColumn(column);
        }

        foreach (var node in manifest.Nodes)
        {
            var peer = TryReadConfig(layout, node.Id)?.Peer ?? "?";
            table.AddRow(
                Markup.Escape(node.Id.ToString(CultureInfo.InvariantCulture)),
                Markup.Escape(node.Pid.ToString(CultureInfo.InvariantCulture)),
                Markup.Escape(node.ZooKeeper),
                Markup.Escape(peer),
                Markup.Escape(node.Http),
                Markup.Escape(node.DataDir));
        }

        environment.Console.Write(table);
    }

    public static NodeConfig? TryReadConfig(ClusterLayout layout, int id)
    {
        try
        {
            return NodeConfig.Read(layout.NodeConfig(id));
        }
        catch (CliError)
        {
            return null;
        }
    }

    /// <summary>How to name this cluster's directory on a follow-up command line.</summary>
    public static string DataFlag(CliContext cli, ClusterLayout layout)
    {
        var fallback = new ClusterLayout(Path.Combine(cli.Environment.WorkingDirectory, ClusterLayout.DefaultDirectoryName));
        return layout.Directory == fallback.Directory && string.IsNullOrEmpty(cli.Environment.GetVariable(CliContext.DataVariable))
            ? ""
            : $" --data {layout.Directory}";
    }

    public static ClusterNode ManifestEntry(NodeConfig config, int pid) => new()
    {
        Id = config.NodeId,
        Pid = pid,
        ZooKeeper = config.ZooKeeper,
        Http = config.Http,
        Data = config.DataTransfer,
        SecureZooKeeper = config.SecureZooKeeper.Length > 0 ? config.SecureZooKeeper : null,
        DataDir = config.DataDir,
    };
}
