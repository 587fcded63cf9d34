using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Colony.Node.Hosting;
using Colony.Storage.Namespace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Colony.Node.FileSystem;

/// <summary>
/// The file system's namespace over HTTP, under <c>/api/fs</c>. Any node answers: one that does not
/// lead forwards the request to the leader, so every answer reflects every acknowledged change.
/// Changes need the cluster's token (<c>Authorization: Bearer …</c>); reads do not.
/// </summary>
internal static partial class FsEndpoints
{
    private const string DefaultUser = "colony";
    private const ushort DefaultDirectoryMode = 0x1ED; // 0755

    public static void Map(WebApplication app)
    {
        var service = app.Services.GetRequiredService<NamespaceService>();
        var loop = app.Services.GetRequiredService<ReplicaLoop>();
        var token = Convert.ToBase64String(app.Services.GetRequiredService<NodeOptions>().LoadSecret());
        var forwarder = new LeaderForwarder(loop);

        // A middleware, not an endpoint filter: it must see the request before its body is bound.
        // Content is served by whichever node was asked (it reads and writes as a client), so it is not forwarded.
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/api/fs", StringComparison.Ordinal)
            && !http.Request.Path.StartsWithSegments(ContentPath, StringComparison.Ordinal), branch => branch.Use(async (http, next) =>
        {
            if (!loop.IsLeader)
            {
                await forwarder.ForwardAsync(http).ConfigureAwait(false);
                return;
            }
            if (!HttpMethods.IsGet(http.Request.Method) && !Authorized(http.Request, token))
            {
                await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "a change needs the cluster's token",
                    detail: "send Authorization: Bearer <the cluster secret, base64>, as the colony command does").ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
            await next(http).ConfigureAwait(false);
        }));

        MapHeartbeat(app, loop, token);
        MapContent(app, token);
        var fs = app.MapGroup("/api/fs");

        fs.MapGet("/stat", (string? path) => service.Read(tree => tree.Stat(path ?? "/")) is { } status
            ? Results.Json(FileStatusView.From(status), FsJson.Default.FileStatusView)
            : NotFound(path));
        fs.MapGet("/list", (string? path) =>
        {
            string target = path ?? "/";
            return service.Read(tree => tree.List(target)) is { } entries
                ? Results.Json(new ListingView(target, [.. entries.Select(FileStatusView.From)]), FsJson.Default.ListingView)
                : NotFound(target);
        });
        fs.MapGet("/du", (string? path) =>
        {
            string target = path ?? "/";
            return service.Read(tree => tree.Summarize(target)) is { } sum
                ? Results.Json(new SummaryView(target, sum.Files, sum.Directories, sum.Bytes, sum.SpaceConsumed), FsJson.Default.SummaryView)
                : NotFound(target);
        });

        fs.MapPost("/mkdirs", (FsChangeRequest request) => Change(service, request, r =>
            new NamespaceCommand.Mkdirs(r.Path!, r.User ?? DefaultUser, r.User ?? DefaultUser, ParseMode(r.Mode) ?? DefaultDirectoryMode, service.Now)));
        fs.MapPost("/rename", (FsChangeRequest request) => request.Destination is null
            ? Task.FromResult(BadRequest("destination is required"))
            : Change(service, request, r => new NamespaceCommand.Rename(r.Path!, r.Destination!, false, service.Now)));
        fs.MapPost("/delete", (FsChangeRequest request) => Change(service, request, r =>
            r.SkipTrash || IsInTrash(r.Path!)
                ? new NamespaceCommand.Delete(r.Path!, r.Recursive, service.Now)
                : DeleteToTrash(service, r)));
        fs.MapPost("/set-replication", (FsChangeRequest request) => request.Replication <= 0
            ? Task.FromResult(BadRequest("replication must be at least 1"))
            : Change(service, request, r => new NamespaceCommand.SetReplication(r.Path!, r.Replication)));
        fs.MapPost("/chmod", (FsChangeRequest request) => ParseMode(request.Mode) is { } mode
            ? Change(service, request, r => new NamespaceCommand.SetPermission(r.Path!, mode))
            : Task.FromResult(BadRequest("mode must be octal, e.g. 755")));
        MapDataPath(app, fs, service);
        MapDataNodes(app, fs);
    }

    /// <summary>Data nodes report to the leader here; any other node answers 421 with the leader's address.</summary>
    private static void MapHeartbeat(WebApplication app, ReplicaLoop loop, string token)
    {
        var manager = app.Services.GetRequiredService<BlockManager>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        app.MapPost(DataNodeService.HeartbeatPath, (HttpRequest http, HeartbeatRequest request) =>
        {
            if (!Authorized(http, token))
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "a heartbeat needs the cluster's token");
            }
            if (request.NodeId == 0 || string.IsNullOrEmpty(request.DataAddress))
            {
                return BadRequest("nodeId and dataAddress are required");
            }
            return manager.Heartbeat(request, time.GetUtcNow().ToUnixTimeMilliseconds()) is { } answer
                ? Results.Json(answer, StorageJson.Default.HeartbeatResponse)
                : Results.Problem(statusCode: StatusCodes.Status421MisdirectedRequest, title: "not the leader", detail: loop.LeaderHttp);
        });
    }

    private static NamespaceCommand DeleteToTrash(NamespaceService service, FsChangeRequest request)
    {
        // Trash takes only what a non-recursive delete would: an empty directory or a file.
        bool nonEmptyDirectory = service.Read(tree => tree.Stat(request.Path!)) is { IsDirectory: true, ChildCount: > 0 };
        return nonEmptyDirectory && !request.Recursive
            ? new NamespaceCommand.Delete(request.Path!, false, service.Now) // refused as NotEmpty, with the usual message
            : new NamespaceCommand.MoveToTrash(request.Path!, request.User ?? DefaultUser, service.Now);
    }

    private static bool IsInTrash(string path) =>
        path == NamespaceTree.TrashRoot || path.StartsWith(NamespaceTree.TrashRoot + "/", StringComparison.Ordinal);

    private static async Task<IResult> Change(NamespaceService service, FsChangeRequest request, Func<FsChangeRequest, NamespaceCommand> build)
    {
        if (string.IsNullOrEmpty(request.Path))
        {
            return BadRequest("path is required");
        }
        var command = build(request);
        var (result, failure) = await ExecuteAsync(service, command).ConfigureAwait(false);
        if (result is null)
        {
            return failure!;
        }
        return Results.Json(new FsChangeView(result.Path ?? request.Path, result.FilesDeleted, result.FreedBlocks.Count, command is NamespaceCommand.MoveToTrash),
            FsJson.Default.FsChangeView);
    }

    /// <summary>Runs a command through the log: its result when it succeeded, else the HTTP answer saying why not.</summary>
    internal static async Task<(NamespaceResult? Result, IResult? Failure)> ExecuteAsync(NamespaceService service, NamespaceCommand command)
    {
        NamespaceResult result;
        try
        {
            result = await service.ExecuteAsync(command).ConfigureAwait(false);
        }
        catch (NotLeaderException e)
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "leadership changed; try again", detail: e.Message));
        }
        catch (TimeoutException e)
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status504GatewayTimeout, title: "outcome unknown", detail: e.Message));
        }
        catch (InvalidOperationException e)
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "leadership changed; try again", detail: e.Message));
        }
        return result.IsOk
            ? (result, null)
            : (null, Results.Problem(statusCode: StatusOf(result.Error), title: result.Error.ToString(), detail: result.Message));
    }

    private static int StatusOf(FsError error) => error switch
    {
        FsError.NotFound => StatusCodes.Status404NotFound,
        FsError.InvalidPath => StatusCodes.Status400BadRequest,
        FsError.LimitExceeded => StatusCodes.Status507InsufficientStorage,
        _ => StatusCodes.Status409Conflict,
    };

    internal static ushort? ParseMode(string? mode) =>
        mode is not null && mode.Length is > 0 and <= 4 && mode.All(c => c is >= '0' and <= '7')
            ? Convert.ToUInt16(mode, 8)
            : null;

    internal static IResult NotFound(string? path) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "NotFound", detail: $"{path ?? "/"}: no such file or directory");

    internal static IResult BadRequest(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "bad request", detail: detail);

    private static bool Authorized(HttpRequest request, string token) => LeaderForwarder.Authorized(request, token);
}
