using Colony.Core;
using Colony.Node.Security;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Colony.Node.FileSystem;

/// <summary>
/// The data nodes as the leader sees them (<c>GET /api/fs/datanodes</c>), draining one
/// (<c>POST /api/fs/decommission?node=ID</c>) and putting it back in service (<c>POST /api/fs/recommission?node=ID</c>),
/// both with the token, and a balancer pass on request (<c>POST /api/fs/balance?threshold=P</c>). All run on the leader, forwarded there like every /api/fs call.
/// </summary>
internal static partial class FsEndpoints
{
    private static void MapDataNodes(WebApplication app, RouteGroupBuilder fs, Func<HttpRequest, Caller> who)
    {
        var manager = app.Services.GetRequiredService<BlockManager>();
        var time = app.Services.GetRequiredService<TimeProvider>();

        fs.MapGet("/datanodes", () =>
        {
            long now = time.MonotonicMs();
            var nodes = manager.Nodes(now).OrderBy(n => n.Id).Select(n => new DataNodeView(
                n.Id.Value, manager.AddressOf(n.Id) ?? "", StateText(n.State), n.Rack, n.CapacityBytes, n.FreeBytes, n.TransfersInFlight,
                manager.DiskFullWritesOf(n.Id))).ToArray();
            return Results.Json(nodes, FsJson.Default.DataNodeViewArray);
        });

        var service = app.Services.GetRequiredService<NamespaceService>();
        fs.MapPost("/decommission", (HttpRequest http, ulong? node) => who(http).IsAdmin
            ? SetDecommissioningAsync(service, manager, node, true)
            : Task.FromResult(AccessProblems.AdminOnly(who(http), "decommissioning a data node")));
        fs.MapPost("/recommission", (HttpRequest http, ulong? node) => who(http).IsAdmin
            ? SetDecommissioningAsync(service, manager, node, false)
            : Task.FromResult(AccessProblems.AdminOnly(who(http), "recommissioning a data node")));

        var fsOptions = app.Services.GetRequiredService<FileSystemOptions>();
        fs.MapPost("/balance", (HttpRequest http, double? threshold) =>
        {
            if (!who(http).IsAdmin)
            {
                return AccessProblems.AdminOnly(who(http), "running the balancer");
            }
            double percent = threshold ?? fsOptions.BalancerThresholdPercent;
            if (!(percent > 0 && percent <= 100))
            {
                return BadRequest("threshold is a percentage in (0, 100]");
            }
            long now = time.MonotonicMs();
            // A pass asked for by hand plans even when the balancer is switched off.
            if (service.Read(tree => manager.Balance(tree, now, percent / 100, fsOptions.BalancerMaxMoves, planNew: true)) is not { } pass)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "the leader is still collecting block reports; try again in a few seconds");
            }
            var uses = manager.Nodes(now).Where(n => n.State == DataNodeState.Alive && n.CapacityBytes > 0)
                .Select(n => new NodeUseView(n.Id.Value, 100.0 * (n.CapacityBytes - n.FreeBytes) / n.CapacityBytes)).ToArray();
            static BalancerMoveView View(Storage.Replication.BalancerMove m) => new(m.Block.ToString(), m.Length, m.From.Value, m.To.Value);
            return Results.Json(new BalanceView(percent, pass.Spread * 100, uses, [.. pass.Started.Select(View)], [.. pass.InFlight.Select(View)], pass.MovesDone),
                FsJson.Default.BalanceView);
        });
    }

    /// <summary>Puts "node X is draining" (or its end) through the log, so every later leader carries it on.</summary>
    private static async Task<IResult> SetDecommissioningAsync(NamespaceService service, BlockManager manager, ulong? node, bool draining)
    {
        if (node is not { } id || id == 0)
        {
            return BadRequest("node (a data node's id) is required");
        }
        // A typo would otherwise sit in the replicated state waiting for a node that never comes.
        bool listed = service.Read(tree => tree.Decommissioning.Contains(new NodeId(id)));
        if (!manager.Knows(new NodeId(id)) && !(listed && !draining))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "NotFound", detail: $"no data node {id} has reported to the leader");
        }
        var (result, failure) = await ExecuteAsync(service, new NamespaceCommand.SetDecommissioning(new NodeId(id), draining)).ConfigureAwait(false);
        if (result is null)
        {
            return failure!;
        }
        var state = draining ? DataNodeState.Decommissioning : DataNodeState.Alive;
        return Results.Json(new DecommissionView(id, StateText(state)), FsJson.Default.DecommissionView, statusCode: StatusCodes.Status202Accepted);
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
