using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Colony.Cli.Commands;

/// <summary>The part of the dashboard's overview (<c>GET /api/cluster</c>) that <c>colony status</c> shows.</summary>
internal sealed record ClusterOverview
{
    [JsonPropertyName("nodes")]
    public IReadOnlyList<ClusterOverviewNode> Nodes { get; init; } = [];

    [JsonPropertyName("alerts")]
    public IReadOnlyList<ClusterAlert> Alerts { get; init; } = [];
}

internal sealed record ClusterOverviewNode
{
    [JsonPropertyName("id")]
    public int Id { get; init; }

    /// <summary>Replicas the leader's block map holds for the node; null when unknown.</summary>
    [JsonPropertyName("blocks")]
    public int? Blocks { get; init; }

    [JsonPropertyName("runningTasks")]
    public int RunningTasks { get; init; }
}

/// <summary>An alert of the overview, as the dashboard shows it.</summary>
internal sealed record ClusterAlert
{
    [JsonPropertyName("severity")]
    public string Severity { get; init; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "";

    [JsonPropertyName("message")]
    public string Message { get; init; } = "";
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ClusterOverview))]
internal sealed partial class OverviewJson : JsonSerializerContext;

internal static partial class StatusCommand
{
    /// <summary>
    /// Adds what the dashboard's overview knows to <paramref name="report"/>: each node's replicas and running
    /// tasks, and the cluster's alerts, from the first node that answered its status. Each node's own status stays
    /// authoritative for reachability: the overview notices a dead node only after a few seconds. The report comes
    /// back unchanged when no node serves the overview.
    /// </summary>
    public static async Task<StatusReport> WithOverviewAsync(HttpClient http, StatusReport report, CancellationToken cancellationToken)
    {
        foreach (var node in report.Nodes.Where(n => n.Role != Unreachable))
        {
            var overview = await TryOverviewAsync(http, node.Http, cancellationToken).ConfigureAwait(false);
            if (overview is null)
            {
                continue;
            }
            var byId = overview.Nodes.ToDictionary(n => n.Id);
            return report with
            {
                Nodes = [.. report.Nodes.Select(n => n.Id is { } id && byId.TryGetValue(id, out var seen)
                    ? n with { Blocks = seen.Blocks, RunningTasks = seen.RunningTasks }
                    : n)],
                Alerts = overview.Alerts,
            };
        }
        return report;
    }

    private static async Task<ClusterOverview?> TryOverviewAsync(HttpClient http, string address, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(NodeClient.StatusTimeout);
        try
        {
            using var response = await http.GetAsync(new Uri(new Uri(address), "/api/cluster"), timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? await response.Content.ReadFromJsonAsync(OverviewJson.Default.ClusterOverview, timeout.Token).ConfigureAwait(false)
                : null;
        }
        catch (Exception e) when (NodeClient.IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
