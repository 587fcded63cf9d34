using System.CommandLine;
using Spectre.Console;
using static Colony.Cli.Commands.CommandSupport;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony node --config FILE</c> runs one node in the foreground; <c>colony node start|stop|kill
/// ID</c> control one node of a local cluster, so tests and operators can fail nodes on purpose.
/// </summary>
internal static class NodeCommands
{
    public static Command Create(CliContext cli)
    {
        var config = new Option<string>("--config")
        {
            Description = "Run the node configured by this file in the foreground (the \"Colony\" section of a JSON file); further --Colony:Key=value flags override it",
            HelpName = "FILE",
        };
        var join = new Option<string>("--join")
        {
            Description = "Join a running cluster through this member's HTTP address: the node asks to be added as a learner, then as a voter once caught up",
            HelpName = "ADDR",
        };
        var command = new Command("node", "Run one node in the foreground, or start, stop or kill a node of a local cluster")
        {
            config,
            join,
            CreateStart(cli),
            CreateStop(cli),
            CreateKill(cli),
            FsCommands.CreateDecommission(cli),
            FsCommands.CreateRecommission(cli),
        };

        // Options the CLI does not know, written --Section:Key=value, go to the node as configuration flags.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) =>
        {
            var path = parse.GetValue(config);
            var flags = parse.UnmatchedTokens.ToList();
            if (parse.GetValue(join) is { Length: > 0 } address)
            {
                flags.AddRange(["--Colony:Join=true", $"--Colony:JoinVia={NodeEndpoint.ParseHttp(address)}"]);
            }
            if (flags.FirstOrDefault(f => !f.StartsWith("--", StringComparison.Ordinal) || !f.Contains('=', StringComparison.Ordinal)) is { } stray)
            {
                throw new CliError($"unrecognized command or argument '{stray}' (node flags look like --Colony:Key=value; see colony node --help)", CliError.Usage);
            }

            if (string.IsNullOrEmpty(path) && parse.UnmatchedTokens.Count == 0)
            {
                throw new CliError("colony node needs --config FILE (and/or configuration flags), or one of start, stop, kill (see colony node --help)", CliError.Usage);
            }

            return NodeCommand.RunAsync(string.IsNullOrEmpty(path) ? null : Path.GetFullPath(path, cli.Environment.WorkingDirectory), flags, ct);
        });
        return command;
    }

    private static Command CreateStart(CliContext cli)
    {
        var id = NodeIdArgument("The node to start");
        var timeout = TimeoutOption(30, "How long to wait for the node to answer on HTTP");
        var command = new Command("start", "Start a stopped node of a local cluster from its configuration") { id, timeout };
        command.SetAction(async (parse, ct) =>
        {
            var layout = cli.LocalCluster(parse, "node start");
            using var held = await LockAsync(cli, layout, ct).ConfigureAwait(false);
            var manifest = ClusterFile.Read(layout);
            var node = manifest.Node(parse.GetValue(id));
            var configPath = layout.NodeConfig(node.Id);
            if (ProcessTable.IsNode(node.Pid, configPath))
            {
                cli.Environment.Console.WriteLine($"node {node.Id} is already running (pid {node.Pid})");
                return 0;
            }

            var nodeConfig = NodeConfig.Read(configPath);
            PortProbe.EnsureFree([(node.Id, nodeConfig.Ports())], "stop what holds it");
            var pid = await cli.Processes().StartAsync(configPath, layout.NodeLog(node.Id), layout.Directory, ct).ConfigureAwait(false);
            var running = node with { Pid = pid };
            ClusterFile.Write(layout, manifest.With(running));

            using var client = new NodeClient(tls: layout.Trust());
            var http = NodeEndpoint.ParseHttp(node.Http);
            var answered = await Wait.UntilAsync(cli.Environment.Time, Seconds(parse.GetValue(timeout)), async c =>
            {
                EnsureRunning(layout, running, "starting");
                return await client.TryGetStatusAsync(http, c).ConfigureAwait(false) is not null;
            }, ct).ConfigureAwait(false);
            if (!answered)
            {
                throw new CliError($"node {node.Id} (pid {pid}) did not answer on {node.Http} within {parse.GetValue(timeout)}s; see {layout.NodeLog(node.Id)}");
            }

            cli.Environment.Console.WriteLine($"node {node.Id} started (pid {pid}) on {node.Http}");
            return 0;
        });
        return command;
    }

    private static Command CreateStop(CliContext cli)
    {
        var id = NodeIdArgument("The node to stop");
        var timeout = TimeoutOption(15, "How long to wait for the node to exit");
        var command = new Command("stop", "Stop a node gracefully (SIGTERM) and wait for it to exit") { id, timeout };
        command.SetAction(async (parse, ct) =>
        {
            var layout = cli.LocalCluster(parse, "node stop");
            using var held = await LockAsync(cli, layout, ct).ConfigureAwait(false);
            var node = ClusterFile.Read(layout).Node(parse.GetValue(id));
            var outcome = await cli.Processes().StopAsync(node.Pid, layout.NodeConfig(node.Id), Seconds(parse.GetValue(timeout)), ct).ConfigureAwait(false);
            if (outcome == StopOutcome.StillRunning)
            {
                throw new CliError($"node {node.Id} (pid {node.Pid}) did not stop within {parse.GetValue(timeout)}s; colony node kill {node.Id} ends it");
            }

            cli.Environment.Console.WriteLine(outcome == StopOutcome.NotRunning ? $"node {node.Id} was not running" : $"node {node.Id} stopped");
            return 0;
        });
        return command;
    }

    private static Command CreateKill(CliContext cli)
    {
        var id = NodeIdArgument("The node to kill");
        var command = new Command("kill", "Kill a node at once (SIGKILL), as a crash would") { id };
        command.SetAction(async (parse, ct) =>
        {
            var layout = cli.LocalCluster(parse, "node kill");
            using var held = await LockAsync(cli, layout, ct).ConfigureAwait(false);
            var node = ClusterFile.Read(layout).Node(parse.GetValue(id));
            var outcome = await cli.Processes().KillAsync(node.Pid, layout.NodeConfig(node.Id), ct).ConfigureAwait(false);
            if (outcome == StopOutcome.StillRunning)
            {
                throw new CliError($"node {node.Id} (pid {node.Pid}) is still there after SIGKILL");
            }

            cli.Environment.Console.WriteLine(outcome == StopOutcome.NotRunning ? $"node {node.Id} was not running" : $"node {node.Id} killed");
            return 0;
        });
        return command;
    }
}
