using Colony.Coordination.Tree;
using Colony.Node.ZooKeeper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Colony.Node.Dashboard;

/// <summary>
/// The dashboard's routes: each page and its JSON twin under /api. Read-only: nothing here changes the
/// cluster, so nothing here needs the admin token.
/// </summary>
internal static class DashboardEndpoints
{
    public static void Map(WebApplication app)
    {
        var self = app.Services.GetRequiredService<NodeSelf>();
        var monitor = app.Services.GetRequiredService<ClusterMonitor>();

        app.MapGet("/api/node/summary", () => Results.Json(self.Summary(), DashboardJson.Default.NodeSummary));
        app.MapGet("/api/node", () => Results.Json(self.Details(), DashboardJson.Default.NodeDetails));
        app.MapGet("/api/cluster", () => Results.Json(monitor.Snapshot(), DashboardJson.Default.ClusterView));
        app.MapGet("/api/coordination", () => Results.Json(CoordinationView(self, monitor), DashboardJson.Default.CoordinationView));
        app.MapGet("/api/coordination/tree", (string? path) =>
        {
            if (!TryPath(path, out string valid, out var problem))
            {
                return problem;
            }
            return self.Coordination.Browse(valid) is { } node
                ? Results.Json(node, DashboardJson.Default.ZNodeBrowse)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no znode at {valid}");
        });

        // ZooKeeper's AdminServer commands, for monitoring tools that read them.
        app.MapGet("/commands", () => Results.Json(new System.Text.Json.Nodes.JsonObject
        {
            ["commands"] = new System.Text.Json.Nodes.JsonArray([.. AdminCommands.Names.Keys.Order(StringComparer.Ordinal).Select(n => (System.Text.Json.Nodes.JsonNode?)n)]),
        }));
        app.MapGet("/commands/{name}", (string name) => AdminCommands.Run(name, self.Coordination) is { } answer
            ? Results.Text(answer.ToJsonString(), "application/json")
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"unknown command '{name}'", detail: "GET /commands lists them"));

        app.MapGet("/", (HttpContext context) => Render(context, self, "Overview", "Overview", DashboardPages.Overview(monitor.Snapshot())));
        app.MapGet("/coordination", (HttpContext context) =>
            Render(context, self, "Coordination", "Coordination", DashboardPages.Coordination(CoordinationView(self, monitor))));
        app.MapGet("/coordination/tree", (HttpContext context, string? path) =>
        {
            if (!TryPath(path, out string valid, out var problem))
            {
                return problem;
            }
            var node = self.Coordination.Browse(valid);
            if (node is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
            }
            return Render(context, self, "Znode " + valid, "Coordination", DashboardPages.Tree(valid, node));
        });
        app.MapGet("/node", (HttpContext context) => Render(context, self, "Node " + self.Id, "Node", DashboardPages.Node(self.Details())));
        // Another node's page lives on that node: send the browser there.
        app.MapGet("/nodes/{id}", (ulong id) => self.Loop.MemberHttp.TryGetValue(id, out string? http) && http.Length > 0
            ? Results.Redirect(http.TrimEnd('/') + "/node")
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"node {id} is not a member"));
    }

    private static CoordinationView CoordinationView(NodeSelf self, ClusterMonitor monitor)
    {
        var cluster = monitor.Snapshot();
        return new CoordinationView(self.Id, self.Coordination.Stats(), [.. cluster.Nodes.Select(n => new CoordinationNodeView(
            n.Id, n.Health, n.Summary?.Connections, n.RequestsPerSecond, n.Summary?.Znodes, n.Summary?.Watches))]);
    }

    private static bool TryPath(string? path, out string valid, out IResult problem)
    {
        valid = string.IsNullOrEmpty(path) ? "/" : path;
        if (PathValidator.Validate(valid) is { } error)
        {
            problem = Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid znode path", detail: error);
            return false;
        }
        problem = Results.Empty;
        return true;
    }

    private static IResult Render(HttpContext context, NodeSelf self, string title, string active, string main)
    {
        context.Response.Headers.CacheControl = "no-store";
        string body = context.Request.Headers.ContainsKey(Html.PartialHeader) ? main : Html.Page(title, self.ClusterId, self.Id, active, main);
        return Results.Content(body, "text/html; charset=utf-8");
    }
}
