using System.CommandLine;
using Spectre.Console;
using static Colony.Cli.Commands.CommandSupport;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony down</c>: SIGTERM to every node of cluster.json that still runs, a bounded wait, then
/// SIGKILL for what is left. The data stays.
/// </summary>
internal static class DownCommand
{
    public static Command Create(CliContext cli)
    {
        var timeout = TimeoutOption(15, "How long nodes get to stop before they are killed");
        var command = new Command("down", "Stop the nodes of a local cluster, keeping its data") { timeout };
        command.SetAction((parse, ct) => RunAsync(cli, cli.LocalCluster(parse, "down"), Seconds(parse.GetValue(timeout)), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, ClusterLayout layout, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(cli, layout, cancellationToken).ConfigureAwait(false);
        var manifest = ClusterFile.Read(layout);
        var processes = cli.Processes();
        var outcomes = await Task.WhenAll(manifest.Nodes.Select(node =>
            processes.StopOrKillAsync(node.Pid, layout.NodeConfig(node.Id), timeout, cancellationToken))).ConfigureAwait(false);

        var console = cli.Environment.Console;
        foreach (var (node, outcome) in manifest.Nodes.Zip(outcomes))
        {
            console.WriteLine(outcome switch
            {
                StopOutcome.Stopped => $"node {node.Id} stopped",
                StopOutcome.Killed => $"node {node.Id} killed: it did not stop within {timeout.TotalSeconds:0}s",
                StopOutcome.NotRunning => $"node {node.Id} was not running",
                _ => $"node {node.Id} (pid {node.Pid}) is still running",
            });
        }

        var left = manifest.Nodes.Zip(outcomes).Where(x => x.Second == StopOutcome.StillRunning).Select(x => x.First.Id).ToList();
        if (left.Count > 0)
        {
            throw new CliError($"node {string.Join(", ", left)} still running after SIGKILL");
        }

        console.WriteLine($"The cluster is down; its data stays in {layout.Directory}.");
        return 0;
    }
}
