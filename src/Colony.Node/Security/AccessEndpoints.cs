using Colony.Node.Compute;
using Colony.Node.FileSystem;
using Colony.Node.Hosting;
using Colony.Storage.Access;
using Colony.Storage.Namespace;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Security;

/// <summary>
/// Who may call the HTTP API. A middleware in front of every endpoint refuses a request whose token no node
/// would accept (401), and any request that changes state without a token (401); endpoints then decide what
/// the caller may do (403). Tokens are managed under <c>/api/tokens</c> by administrators, and
/// <c>GET /api/auth/whoami</c> says who this node takes the caller for.
/// </summary>
internal static partial class AccessEndpoints
{
    public static void Map(WebApplication app)
    {
        var authenticator = app.Services.GetRequiredService<Authenticator>();
        var access = app.Services.GetRequiredService<AccessService>();
        var names = app.Services.GetRequiredService<NamespaceService>();
        var loop = app.Services.GetRequiredService<ReplicaLoop>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Colony.Node.Security");
        var forwarder = new LeaderForwarder(loop);

        app.Use(async (http, next) =>
        {
            var caller = authenticator.Identify(http.Request);
            if (caller is null)
            {
                await AccessProblems.BadToken().ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
            if (!caller.IsAuthenticated && ChangesState(http.Request) && !Exempt(http.Request.Path))
            {
                await AccessProblems.NoToken($"{http.Request.Method} {http.Request.Path}").ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
            if (http.Request.Path.StartsWithSegments(TokensPath, StringComparison.Ordinal) && !HttpMethods.IsGet(http.Request.Method) && !loop.IsLeader)
            {
                await forwarder.ForwardAsync(http).ConfigureAwait(false);
                return;
            }
            await next(http).ConfigureAwait(false);
        });

        app.MapGet("/api/auth/whoami", (HttpRequest http) =>
        {
            var caller = authenticator.Identify(http)!;
            return Results.Json(new WhoAmIView(caller.User, caller.Groups, caller.IsAdmin, caller.Kind.ToString().ToLowerInvariant()), AccessJson.Default.WhoAmIView);
        });

        var tokens = app.MapGroup(TokensPath);
        tokens.MapGet("", (HttpRequest http) => authenticator.Identify(http) is { IsAdmin: true }
            ? Results.Json(access.Read(s => s.Tokens.Select(t => new TokenView(t.Id, t.User, t.Groups, t.Admin, t.Created)).ToArray()), AccessJson.Default.TokenViewArray)
            : AccessProblems.AdminOnly(authenticator.Identify(http)!, "listing tokens"));
        tokens.MapPost("", async (HttpRequest http, TokenRequest request) =>
        {
            var caller = authenticator.Identify(http)!;
            if (!caller.IsAdmin)
            {
                return AccessProblems.AdminOnly(caller, "creating tokens");
            }
            var groups = (request.Groups ?? []).Distinct(StringComparer.Ordinal).ToArray();
            if (!UserNames.IsValid(request.User) || request.User == UserNames.Anonymous || groups.Any(g => !UserNames.IsValid(g)))
            {
                return Results.Problem(statusCode: 400, title: "bad request",
                    detail: "user (and each group) must be 1-64 letters, digits, '.', '_' or '-', not starting with '-' or '.', and not 'anonymous'");
            }
            if (groups.Length > AccessLimits.MaxGroups)
            {
                return Results.Problem(statusCode: 400, title: "bad request", detail: $"a token has at most {AccessLimits.MaxGroups} groups");
            }
            var (id, token) = ApiTokens.NewUserToken();
            var result = await Execute(access, new AccessCommand.AddToken(id, ApiTokens.Hash(token), request.User!, groups, request.Admin, access.Now)).ConfigureAwait(false);
            if (result is not null)
            {
                return result;
            }
            LogTokenCreated(logger, id, request.User!, request.Admin, caller.User);
            await EnsureHomeAsync(names, request.User!).ConfigureAwait(false);
            return Results.Json(new TokenCreatedView(id, request.User!, groups, request.Admin, token), AccessJson.Default.TokenCreatedView, statusCode: 201);
        });
        tokens.MapDelete("/{id}", async (HttpRequest http, string id) =>
        {
            var caller = authenticator.Identify(http)!;
            if (!caller.IsAdmin)
            {
                return AccessProblems.AdminOnly(caller, "revoking tokens");
            }
            if (await Execute(access, new AccessCommand.RevokeToken(id)).ConfigureAwait(false) is { } refused)
            {
                return refused;
            }
            LogTokenRevoked(logger, id, caller.User);
            return Results.NoContent();
        });
    }

    public const string TokensPath = "/api/tokens";

    // An audit trail by id and name: the token itself is never logged.
    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "token {Id} created for {User} (admin: {Admin}) by {Caller}")]
    private static partial void LogTokenCreated(ILogger logger, string id, string user, bool admin, string caller);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "token {Id} revoked by {Caller}")]
    private static partial void LogTokenRevoked(ILogger logger, string id, string caller);

    /// <summary>Where the shared job staging area is: like /tmp, anyone may add to it and only owners remove.</summary>
    public const string StagingDirectory = "/colony/staging";

    private const ushort SharedMode = 0x3FF; // 1777

    /// <summary>
    /// Gives a user somewhere to write: <c>/user/NAME</c> (theirs, 0755) and the shared staging directory (1777),
    /// as an HDFS administrator would. Existing directories are left as they are.
    /// </summary>
    private static async Task EnsureHomeAsync(NamespaceService names, string user)
    {
        string home = $"/user/{user}";
        if (names.Read(t => t.Find("/user")) is null)
        {
            await names.ExecuteAsync(new NamespaceCommand.Mkdirs("/user", Caller.ClusterUser, Caller.ClusterUser, 0x1ED, names.Now)).ConfigureAwait(false);
        }
        if (names.Read(t => t.Find(home)) is null)
        {
            await names.ExecuteAsync(new NamespaceCommand.Mkdirs(home, user, user, 0x1ED, names.Now)).ConfigureAwait(false);
        }
        switch (names.Read(t => t.Find(StagingDirectory)?.Mode))
        {
            case null:
                await names.ExecuteAsync(new NamespaceCommand.Mkdirs(StagingDirectory, Caller.ClusterUser, Caller.ClusterUser, SharedMode, names.Now)).ConfigureAwait(false);
                break;
            case not SharedMode:
                // Made by an administrator's job before any user had a token: open it up as the shared area it is.
                await names.ExecuteAsync(new NamespaceCommand.SetPermission(StagingDirectory, SharedMode)).ConfigureAwait(false);
                break;
        }
    }

    private static async Task<IResult?> Execute(AccessService access, AccessCommand command)
    {
        try
        {
            var result = await access.ExecuteAsync(command).ConfigureAwait(false);
            return result.IsOk ? null : Results.Problem(statusCode: command is AccessCommand.RevokeToken ? 404 : 409, title: "refused", detail: result.Error);
        }
        catch (Exception e) when (e is NotLeaderException or InvalidOperationException)
        {
            return Results.Problem(statusCode: 503, title: "leadership changed; try again", detail: e.Message);
        }
        catch (TimeoutException e)
        {
            return Results.Problem(statusCode: 504, title: "outcome unknown", detail: e.Message);
        }
    }

    /// <summary>Everything but a read changes state.</summary>
    private static bool ChangesState(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));

    /// <summary>
    /// The dashboard's forms carry their token in the form, not the header; they pass it on to the API, which
    /// checks it.
    /// </summary>
    private static bool Exempt(PathString path) =>
        (path.StartsWithSegments("/jobs", StringComparison.Ordinal) && path.Value!.EndsWith("/kill", StringComparison.Ordinal))
        || (path.StartsWithSegments("/storage/datanodes", StringComparison.Ordinal) && path.Value!.EndsWith("/decommission", StringComparison.Ordinal));
}
