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

        foreach (string operation in ChangeOperations)
        {
            fs.MapPost($"/{operation}", (HttpRequest http, FsChangeRequest request) =>
            {
                Caller caller = Who(http);
                if (operation == "chown" && !caller.IsAdmin)
                {
                    return Task.FromResult(AccessProblems.AdminOnly(caller, "changing a file's owner"));
                }
                var (command, error) = ChangeCommand(operation, request, OwnerFor(caller, request.User), service.Now, path => service.Read(tree => tree.Stat(path)));
                if (command is null)
                {
                    return Task.FromResult(BadRequest(error!));
                }
                foreach (var (path, check) in AccessFor(operation, request, service))
                {
                    if (Deny(http, path, check) is { } denied)
                    {
                        return Task.FromResult(denied);
                    }
                }
                return Change(service, request, command);
            });
        }
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

    /// <summary>
    /// Data nodes report to the leader here; any other node answers 421 with the leader's address. And the
    /// leader nudges a data node to report at once when it has queued work for it.
    /// </summary>
    private static void MapHeartbeat(WebApplication app, ReplicaLoop loop, string token)
    {
        var manager = app.Services.GetRequiredService<BlockManager>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        var dataNode = app.Services.GetRequiredService<DataNodeService>();
        app.MapPost(DataNodeService.NudgePath, (HttpRequest http) =>
        {
            if (!Authorized(http, token))
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "a nudge needs the cluster's token");
            }
            dataNode.Nudge();
            return Results.NoContent();
        });
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
            // The manager follows leadership on its own tick; a node that has just lost the lead stops handing out work at once.
            return (loop.IsLeader ? manager.Heartbeat(request, time.MonotonicMs()) : null) is { } answer
                ? Results.Json(answer, StorageJson.Default.HeartbeatResponse)
                : Results.Problem(statusCode: StatusCodes.Status421MisdirectedRequest, title: "not the leader", detail: loop.LeaderHttp);
        });
    }

    /// <summary>The namespace changes posted to <c>/api/fs/OPERATION</c> with an <see cref="FsChangeRequest"/> body.</summary>
    internal static readonly string[] ChangeOperations = ["mkdirs", "rename", "delete", "set-replication", "chmod", "chown"];

    /// <summary>
    /// The command a change request asks for, or why it is a bad request (the HTTP answer is 400). Pure: the
    /// only state it reads is a path's status, through <paramref name="stat"/>, to decide where a delete goes.
    /// <paramref name="user"/> owns what the change creates (see <see cref="OwnerFor"/>).
    /// </summary>
    internal static (NamespaceCommand? Command, string? Error) ChangeCommand(string operation, FsChangeRequest r, string user, long now, Func<string, FileStatus?> stat)
    {
        if (string.IsNullOrEmpty(r.Path))
        {
            return (null, "path is required");
        }
        string path = r.Path;
        return operation switch
        {
            "mkdirs" => (new NamespaceCommand.Mkdirs(path, user, user, ParseMode(r.Mode) ?? DefaultDirectoryMode, now), null),
            "rename" => r.Destination is null ? (null, "destination is required") : (new NamespaceCommand.Rename(path, r.Destination, false, now), null),
            "delete" => (r.SkipTrash || IsInTrash(path) ? new NamespaceCommand.Delete(path, r.Recursive, now) : DeleteToTrash(r, path, user, now, stat), null),
            "set-replication" => r.Replication <= 0 ? (null, "replication must be at least 1") : (new NamespaceCommand.SetReplication(path, r.Replication), null),
            "chmod" => ParseMode(r.Mode) is { } mode ? (new NamespaceCommand.SetPermission(path, mode), null) : (null, "mode must be octal, e.g. 755"),
            "chown" => (r.User is null && r.Group is null) || (r.User is { } u && !UserNames.IsValid(u)) || (r.Group is { } g && !UserNames.IsValid(g))
                ? (null, "give a user, a group or both, each 1-64 letters, digits, '.', '_' or '-'")
                : (new NamespaceCommand.SetOwner(path, r.User, r.Group), null),
            _ => (null, $"no such change: {operation}"),
        };
    }

    /// <summary>What the caller must be allowed for a change, on which paths (checked in order).</summary>
    private static IEnumerable<(string Path, FsPermissionCheck Check)> AccessFor(string operation, FsChangeRequest r, NamespaceService service)
    {
        string path = r.Path!;
        switch (operation)
        {
            case "mkdirs":
                // mkdir -p of a directory that exists changes nothing, so it needs no more than a stat does.
                yield return (path, service.Read(tree => tree.Find(path) is DirectoryInode) ? Traverse : new FsPermissionCheck(Ancestor: FsAccess.WriteExecute));
                break;
            case "rename":
                yield return (path, RemoveEntry);
                yield return (r.Destination!, service.Read(tree => tree.Find(r.Destination!) is DirectoryInode)
                    ? new FsPermissionCheck(Target: FsAccess.WriteExecute)
                    : new FsPermissionCheck(Parent: FsAccess.WriteExecute));
                break;
            case "delete":
                yield return (path, r.Recursive ? RemoveEntry with { Subtree = FsAccess.All } : RemoveEntry);
                break;
            case "set-replication":
                yield return (path, new FsPermissionCheck(Target: FsAccess.Write));
                break;
            case "chmod":
                yield return (path, new FsPermissionCheck(Owner: true));
                break;
        }
    }

    private static NamespaceCommand DeleteToTrash(FsChangeRequest request, string path, string user, long now, Func<string, FileStatus?> stat)
    {
        // Trash takes only what a non-recursive delete would: an empty directory or a file.
        bool nonEmptyDirectory = stat(path) is { IsDirectory: true, ChildCount: > 0 };
        return nonEmptyDirectory && !request.Recursive
            ? new NamespaceCommand.Delete(path, false, now) // refused as NotEmpty, with the usual message
            : new NamespaceCommand.MoveToTrash(path, user, now);
    }

    private static bool IsInTrash(string path) =>
        path == NamespaceTree.TrashRoot || path.StartsWith(NamespaceTree.TrashRoot + "/", StringComparison.Ordinal);

    private static async Task<IResult> Change(NamespaceService service, FsChangeRequest request, NamespaceCommand command)
    {
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
