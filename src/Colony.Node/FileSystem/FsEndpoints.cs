using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Colony.Node.Hosting;
using Colony.Node.Security;
using Colony.Storage.Access;
using Colony.Storage.Namespace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Colony.Node.FileSystem;

/// <summary>
/// The file system's namespace over HTTP, under <c>/api/fs</c>. Any node answers: one that does not
/// lead forwards the request to the leader, so every answer reflects every acknowledged change.
/// Changes need a token (<c>Authorization: Bearer …</c>); reads without one are anonymous. Every call is
/// checked against the files' owners, groups and modes, as HDFS does (docs/security.md).
/// </summary>
internal static partial class FsEndpoints
{
    private const ushort DefaultDirectoryMode = 0x1ED; // 0755

    public static void Map(WebApplication app)
    {
        var service = app.Services.GetRequiredService<NamespaceService>();
        var loop = app.Services.GetRequiredService<ReplicaLoop>();
        var token = Convert.ToBase64String(app.Services.GetRequiredService<NodeOptions>().LoadSecret());
        var authenticator = app.Services.GetRequiredService<Authenticator>();
        var forwarder = new LeaderForwarder(loop);

        // A middleware, not an endpoint filter: it must see the request before its body is bound. Unauthenticated
        // changes were refused already (AccessEndpoints); the leader decides what the caller may do.
        // Content is served by whichever node was asked (it reads and writes as a client), so it is not forwarded.
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/api/fs", StringComparison.Ordinal)
            && !http.Request.Path.StartsWithSegments(ContentPath, StringComparison.Ordinal), branch => branch.Use(async (http, next) =>
        {
            if (!loop.IsLeader)
            {
                await forwarder.ForwardAsync(http).ConfigureAwait(false);
                return;
            }
            await next(http).ConfigureAwait(false);
        }));

        MapHeartbeat(app, loop, token);
        MapContent(app, authenticator);
        var fs = app.MapGroup("/api/fs");
        Caller Who(HttpRequest http) => authenticator.Identify(http)!;
        IResult? Deny(HttpRequest http, string? path, FsPermissionCheck check) =>
            service.Read(tree => FsPermissions.Check(tree, Who(http).Fs, path ?? "/", check)) is { } why ? AccessProblems.Forbidden(why) : null;

        fs.MapGet("/stat", (HttpRequest http, string? path) => Deny(http, path, Traverse)
            ?? (service.Read(tree => tree.Stat(path ?? "/")) is { } status
                ? Results.Json(FileStatusView.From(status), FsJson.Default.FileStatusView)
                : NotFound(path)));
        fs.MapGet("/list", (HttpRequest http, string? path) =>
        {
            string target = path ?? "/";
            bool directory = service.Read(tree => tree.Find(target) is DirectoryInode);
            return Deny(http, target, directory ? new FsPermissionCheck(Target: FsAccess.ReadExecute) : Traverse)
                ?? (service.Read(tree => tree.List(target)) is { } entries
                    ? Results.Json(new ListingView(target, [.. entries.Select(FileStatusView.From)]), FsJson.Default.ListingView)
                    : NotFound(target));
        });
        fs.MapGet("/du", (HttpRequest http, string? path) =>
        {
            string target = path ?? "/";
            return Deny(http, target, new FsPermissionCheck(Subtree: FsAccess.ReadExecute))
                ?? (service.Read(tree => tree.Summarize(target)) is { } sum
                    ? Results.Json(new SummaryView(target, sum.Files, sum.Directories, sum.Bytes, sum.SpaceConsumed), FsJson.Default.SummaryView)
                    : NotFound(target));
        });

        // mkdir -p of a directory that exists changes nothing, so it needs no more than a stat does.
        fs.MapPost("/mkdirs", (HttpRequest http, FsChangeRequest request) => Deny(http, request.Path,
            service.Read(tree => request.Path is not null && tree.Find(request.Path) is DirectoryInode) ? Traverse : new FsPermissionCheck(Ancestor: FsAccess.WriteExecute)) is { } denied
            ? Task.FromResult(denied)
            : Change(service, request, r => new NamespaceCommand.Mkdirs(r.Path!, OwnerFor(Who(http), r.User), OwnerFor(Who(http), r.User),
                ParseMode(r.Mode) ?? DefaultDirectoryMode, service.Now)));
        fs.MapPost("/rename", (HttpRequest http, FsChangeRequest request) => request.Destination is null
            ? Task.FromResult(BadRequest("destination is required"))
            : (Deny(http, request.Path, RemoveEntry) ?? Deny(http, request.Destination, service.Read(tree => tree.Find(request.Destination) is DirectoryInode)
                ? new FsPermissionCheck(Target: FsAccess.WriteExecute)
                : new FsPermissionCheck(Parent: FsAccess.WriteExecute))) is { } denied
                ? Task.FromResult(denied)
                : Change(service, request, r => new NamespaceCommand.Rename(r.Path!, r.Destination!, false, service.Now)));
        fs.MapPost("/delete", (HttpRequest http, FsChangeRequest request) =>
            Deny(http, request.Path, request.Recursive ? RemoveEntry with { Subtree = FsAccess.All } : RemoveEntry) is { } denied
                ? Task.FromResult(denied)
                : Change(service, request, r =>
                    r.SkipTrash || IsInTrash(r.Path!)
                        ? new NamespaceCommand.Delete(r.Path!, r.Recursive, service.Now)
                        : DeleteToTrash(service, r, OwnerFor(Who(http), r.User))));
        fs.MapPost("/set-replication", (HttpRequest http, FsChangeRequest request) => request.Replication <= 0
            ? Task.FromResult(BadRequest("replication must be at least 1"))
            : Deny(http, request.Path, new FsPermissionCheck(Target: FsAccess.Write)) is { } denied
                ? Task.FromResult(denied)
                : Change(service, request, r => new NamespaceCommand.SetReplication(r.Path!, r.Replication)));
        fs.MapPost("/chmod", (HttpRequest http, FsChangeRequest request) => ParseMode(request.Mode) is not { } mode
            ? Task.FromResult(BadRequest("mode must be octal, e.g. 755"))
            : Deny(http, request.Path, new FsPermissionCheck(Owner: true)) is { } denied
                ? Task.FromResult(denied)
                : Change(service, request, r => new NamespaceCommand.SetPermission(r.Path!, mode)));
        fs.MapPost("/chown", (HttpRequest http, FsChangeRequest request) =>
        {
            if (!Who(http).IsAdmin)
            {
                return Task.FromResult(AccessProblems.AdminOnly(Who(http), "changing a file's owner"));
            }
            if ((request.User is null && request.Group is null) || (request.User is { } u && !UserNames.IsValid(u)) || (request.Group is { } g && !UserNames.IsValid(g)))
            {
                return Task.FromResult(BadRequest("give a user, a group or both, each 1-64 letters, digits, '.', '_' or '-'"));
            }
            return Change(service, request, r => new NamespaceCommand.SetOwner(r.Path!, r.User, r.Group));
        });
        MapDataPath(app, fs, service, Deny, Who);
        MapDataNodes(app, fs, Who);
    }

    /// <summary>Stat and the like: x on every directory on the way, nothing on the path itself.</summary>
    private static readonly FsPermissionCheck Traverse = new();

    /// <summary>Deleting or renaming an entry: w and x on its directory, and the sticky bit's rule.</summary>
    private static readonly FsPermissionCheck RemoveEntry = new(Parent: FsAccess.WriteExecute, StickyParent: true);

    /// <summary>
    /// Whom a new file or directory belongs to: the caller, or for an administrator the user the request names
    /// (so the cluster token keeps creating files as the CLI's user, as before tokens).
    /// </summary>
    internal static string OwnerFor(Caller caller, string? requested) =>
        caller.IsAdmin && requested is { } user && UserNames.IsValid(user) ? user : caller.User;

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

    private static NamespaceCommand DeleteToTrash(NamespaceService service, FsChangeRequest request, string user)
    {
        // Trash takes only what a non-recursive delete would: an empty directory or a file.
        bool nonEmptyDirectory = service.Read(tree => tree.Stat(request.Path!)) is { IsDirectory: true, ChildCount: > 0 };
        return nonEmptyDirectory && !request.Recursive
            ? new NamespaceCommand.Delete(request.Path!, false, service.Now) // refused as NotEmpty, with the usual message
            : new NamespaceCommand.MoveToTrash(request.Path!, user, service.Now);
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
