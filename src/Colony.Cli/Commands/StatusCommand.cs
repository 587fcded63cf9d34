using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Colony.Cli.Commands;

/// <summary>
/// <c>colony status</c>: every node's <c>/status</c>, asked with a short timeout, as a table or
/// JSON. A node that does not answer shows as <c>unreachable</c>. The dashboard's overview
/// (<c>GET /api/cluster</c>) adds each node's replicas and running tasks, and the alerts.
/// </summary>
internal static partial class StatusCommand
{
    public const string Unreachable = "unreachable";

    public static Command Create(CliContext cli)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON: {\"nodes\":[{\"id\",\"role\",\"term\",\"commit\",\"healthy\",\"http\",\"blocks\",\"runningTasks\"},…],\"alerts\":[{\"severity\",\"kind\",\"message\"},…]}" };
        var command = new Command("status", "Show each node's role, term, commit index, health and address") { json };
        command.SetAction((parse, ct) => RunAsync(cli, cli.RemoteCluster(parse), parse.GetValue(json), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, ClusterTarget target, bool json, CancellationToken cancellationToken)
    {
        using var client = new NodeClient(tls: target.Tls);
        using var http = new HttpClient(Colony.Client.Security.ClusterTrust.HttpHandler(target.Tls));
        var report = await WithOverviewAsync(http, await QueryAsync(client, target.Nodes, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (json)
        {
            cli.Environment.Out.WriteLine(JsonSerializer.Serialize(report, CliJson.Default.StatusReport));
            return 0;
        }

        var table = new Table().Border(TableBorder.Rounded);
        bool overview = report.Alerts is not null;
        foreach (var column in overview ? (string[])["Node", "Role", "Term", "Commit", "Health", "Blocks", "Tasks", "Address"] : ["Node", "Role", "Term", "Commit", "Health", "Address"])
        {
            table.AddColumn(column);
        }

        foreach (var node in report.Nodes)
        {
            var role = node.Role switch
            {
                "leader" => "[green]leader[/]",
                Unreachable => "[red]unreachable[/]",
                var other => Markup.Escape(other),
            };
            var health = node.Role == Unreachable ? "[grey]-[/]" : node.Healthy ? "[green]healthy[/]" : "[yellow]unhealthy[/]";
            string[] cells = overview
                ?
                [
                    node.Id?.ToString(CultureInfo.InvariantCulture) ?? "?", role, node.Term?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    node.Commit?.ToString(CultureInfo.InvariantCulture) ?? "-", health, node.Blocks?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    node.RunningTasks?.ToString(CultureInfo.InvariantCulture) ?? "-", Markup.Escape(node.Http),
                ]
                :
                [
                    node.Id?.ToString(CultureInfo.InvariantCulture) ?? "?", role, node.Term?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    node.Commit?.ToString(CultureInfo.InvariantCulture) ?? "-", health, Markup.Escape(node.Http),
                ];
            table.AddRow(cells);
        }

        cli.Environment.Console.Write(table);
        if (report.Alerts is { } alerts)
        {
            cli.Environment.Console.MarkupLine(alerts.Count == 0 ? "[green]No alerts.[/]" : "Alerts:");
            foreach (var alert in alerts)
            {
                string colour = alert.Severity == "critical" ? "red" : "yellow";
                cli.Environment.Console.MarkupLine($"  [{colour}]{Markup.Escape(alert.Severity)}[/] {Markup.Escape(alert.Message)}");
            }
        }
        return 0;
    }

    public static async Task<StatusReport> QueryAsync(NodeClient client, IReadOnlyList<NodeEndpoint> nodes, CancellationToken cancellationToken)
    {
        var answers = await client.GetStatusesAsync(nodes, cancellationToken).ConfigureAwait(false);
        var rows = answers.Select(a => a.Status is { } s
            ? new StatusReportNode { Id = s.Id, Role = s.Role, Term = s.Term, Commit = s.Commit, Healthy = s.Healthy, Http = a.Node.ToString() }
            : new StatusReportNode { Id = a.Node.Id, Role = Unreachable, Healthy = false, Http = a.Node.ToString() });
        return new StatusReport { Nodes = [.. rows.OrderBy(r => r.Id ?? int.MaxValue)] };
    }
}
