using Colony.Core;
using Colony.Node.Security;
using Colony.Storage.Placement;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Colony.Node.FileSystem;

/// <summary>
/// The data nodes as the leader sees them (<c>GET /api/fs/datanodes</c>) and draining one
/// (<c>POST /api/fs/decommission?node=ID</c>, with the token). Both run on the leader, forwarded there
/// like every /api/fs call.
/// </summary>
internal static partial class FsEndpoints
{
    private static void MapDataNodes(WebApplication app, RouteGroupBuilder fs, Func<HttpRequest, Caller> who)
    {
        var manager = app.Services.GetRequiredService<BlockManager>();
        var time = app.Services.GetRequiredService<TimeProvider>();

        fs.MapGet("/datanodes", () =>
        {
            long now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var nodes = manager.Nodes(now).OrderBy(n => n.Id).Select(n => new DataNodeView(
                n.Id.Value, manager.AddressOf(n.Id) ?? "", StateText(n.State), n.Rack, n.CapacityBytes, n.FreeBytes, n.TransfersInFlight)).ToArray();
            return Results.Json(nodes, FsJson.Default.DataNodeViewArray);
        });

        fs.MapPost("/decommission", (HttpRequest http, ulong? node) =>
        {
            if (!who(http).IsAdmin)
            {
                return AccessProblems.AdminOnly(who(http), "decommissioning a data node");
            }
            if (node is not { } id || id == 0)
            {
                return BadRequest("node (a data node's id) is required");
            }
            return manager.Decommission(new NodeId(id))
                ? Results.Json(new DecommissionView(id, StateText(DataNodeState.Decommissioning)), FsJson.Default.DecommissionView, statusCode: StatusCodes.Status202Accepted)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "NotFound", detail: $"no data node {id} has reported to the leader");
        });
    }

    internal static string StateText(DataNodeState state) => state switch
    {
        DataNodeState.Alive => "alive",
        DataNodeState.Dead => "dead",
        DataNodeState.Decommissioning => "decommissioning",
        DataNodeState.Decommissioned => "decommissioned",
        _ => state.ToString().ToLowerInvariant(),
    };
}
