using Colony.Coordination.Tree;
using Colony.Storage.Namespace;
using Colony.Node.ZooKeeper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Colony.Node.Dashboard;

/// <summary>
/// The dashboard's routes: each page and its JSON twin under /api. Read-only, but for two form posts (kill a
/// job, decommission a data node) that need the cluster's admin token (<see cref="AdminActions"/>).
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
            ["commands"] = new System.Text.Json.Nodes.JsonArray([.. AdminCommands.PrimaryNames.Order(StringComparer.Ordinal).Select(n => (System.Text.Json.Nodes.JsonNode?)n)]),
        }));
        // An unknown command is answered as ZooKeeper's AdminServer answers it: 200, with the error in the JSON.
        app.MapGet("/commands/{name}", (string name) => Results.Text(
            (AdminCommands.Run(name, self.Coordination) ?? AdminCommands.Unknown(name)).ToJsonString(), "application/json"));

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
        var files = app.Services.GetRequiredService<Colony.Node.FileSystem.NamespaceService>();
        app.MapGet(StorageHealthSource.Path, async (HttpContext context) =>
            await monitor.Storage.GetAsync(context.Request.Headers.ContainsKey(Hosting.LeaderForwarder.ForwardedHeader), context.RequestAborted).ConfigureAwait(false) is { } health
                ? Results.Json(health, DashboardJson.Default.StorageHealthView)
                : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "block health unknown",
                    detail: "no leader is reachable, or the leader is still collecting the data nodes' block reports"));
        app.MapGet("/api/storage", async (HttpContext context, string? path) =>
        {
            var health = await monitor.Storage.GetAsync(false, context.RequestAborted).ConfigureAwait(false);
            return StorageView(files, path ?? "/", health) is { } view
                ? Results.Json(view, DashboardJson.Default.StorageView)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no file or directory at {path}");
        });
        app.MapGet("/storage", async (HttpContext context, string? path) =>
        {
            string target = string.IsNullOrEmpty(path) ? "/" : path;
            var health = await monitor.Storage.GetAsync(false, context.RequestAborted).ConfigureAwait(false);
            var view = StorageView(files, target, health);
            if (view is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
            }
            return Render(context, self, "Storage " + target, "Storage", DashboardPages.Storage(target, view));
        });
        var jobs = new JobsSource(app.Services.GetRequiredService<Colony.Node.Compute.JobsService>(), app.Services.GetRequiredService<Colony.Node.Compute.JobTracker>(), self.Loop);
        // Two parameters: a lambda of HttpContext alone would bind as a RequestDelegate and drop its result.
        app.MapGet("/jobs", async (HttpContext context, CancellationToken cancellationToken) =>
            Render(context, self, "Jobs", "Jobs", JobPages.List(await jobs.ListAsync(cancellationToken).ConfigureAwait(false))));
        app.MapGet("/jobs/{id}", async (HttpContext context, string id) =>
        {
            var detail = await jobs.GetAsync(id, context.RequestAborted).ConfigureAwait(false);
            if (detail is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
            }
            return Render(context, self, "Job " + id, "Jobs", JobPages.Job(id, detail));
        });
        var actions = new AdminActions(self);
        app.MapPost("/jobs/{id}/kill", (HttpContext context, string id) => actions.KillJobAsync(context, id));
        app.MapPost("/storage/datanodes/{id}/decommission", (HttpContext context, ulong id) => actions.DecommissionAsync(context, id));
        app.MapGet("/node", (HttpContext context) => Render(context, self, "Node " + self.Id, "Node", DashboardPages.Node(self.Details())));
        // Another node's page lives on that node: send the browser there.
        app.MapGet("/nodes/{id}", (ulong id) => self.Loop.MemberHttp.TryGetValue(id, out string? http) && http.Length > 0
            ? Results.Redirect(http.TrimEnd('/') + "/node")
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"node {id} is not a member"));
    }

    /// <summary>
    /// This node's applied view of the namespace (a follower may trail the leader by a moment), as an anonymous
    /// caller of the API sees it: a path whose way is barred is not found, and a directory's entries and totals
    /// show only when "other" may list it.
    /// </summary>
    private static StorageView? StorageView(Colony.Node.FileSystem.NamespaceService files, string path, StorageHealthView? health) => files.Read(tree =>
    {
        var anonymous = FsCaller.Anonymous;
        if (tree.Stat(path) is not { } status || FsPermissions.Check(tree, anonymous, path, new FsPermissionCheck()) is not null)
        {
            return null;
        }
        bool listable = status.IsDirectory && FsPermissions.Check(tree, anonymous, path, new FsPermissionCheck(Target: FsAccess.ReadExecute, Subtree: FsAccess.ReadExecute)) is null;
        var children = listable ? tree.List(path) ?? [] : [];
        var summary = listable || !status.IsDirectory ? tree.Summarize(path) : null;
        return new StorageView(path, Colony.Node.FileSystem.FileStatusView.From(status),
            [.. children.Take(CoordinationServer.BrowseChildren).Select(Colony.Node.FileSystem.FileStatusView.From)],
            summary?.Files ?? 0, summary?.Directories ?? 0, summary?.Bytes ?? 0, tree.FileCount, tree.BlockCount, health);
    });

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
