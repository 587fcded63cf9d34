using System.Net;
using Colony.Consensus;
using Colony.Core;
using Colony.Node.Compute;
using Colony.Node.Dashboard;
using Colony.Node.Diagnostics;
using Colony.Node.FileSystem;
using Colony.Node.Security;
using Colony.Node.ZooKeeper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Colony.Node.Hosting;

/// <summary>
/// Runs one Colony node in the foreground: configuration (JSON file, then COLONY_ environment
/// variables, then flags), the replica loop, the peer listener and the HTTP endpoints. Returns when
/// the process is asked to stop (SIGTERM or Ctrl+C), after a graceful shutdown.
/// </summary>
public static partial class NodeHost
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "file permissions: {Change}")]
    private static partial void LogPermissions(ILogger logger, string change);

    /// <summary>The runtime's switch that runs socket completions on its event threads.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Socket completions run on the runtime's event threads instead of being queued to the thread
    /// pool: with Kestrel's inline scheduling, a request is read, run and answered on one thread,
    /// which halves a loaded node's context switches. The runtime reads the variable when the first
    /// socket is made, so it is set before anything else; an operator's own value (0) wins.
    /// </summary>
    private static void InlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }

    /// <summary>Builds and runs a node. <paramref name="args"/> may override any setting, e.g. --Colony:TickMilliseconds=20.</summary>
    public static async Task RunAsync(string? configPath, string[] args, CancellationToken cancellationToken)
    {
        InlineSocketCompletions();
        // The content root is the program's directory, not the working directory: the host watches its
        // content root recursively, and a node's working directory may hold data directories (its own
        // and, with `colony up`, its neighbours'), so every log write would wake the watcher.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        if (configPath is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configPath), optional: false, reloadOnChange: false);
        }
        builder.Configuration.AddEnvironmentVariables("COLONY_");
        builder.Configuration.AddCommandLine(args);
        var options = new NodeOptions();
        builder.Configuration.GetSection(NodeOptions.SectionName).Bind(options);
        options.Validate();
        Directory.CreateDirectory(options.DataDir);
        // Test-only fault injection: null unless the environment enables it (docs/reliability.md).
        var hooks = FaultHooks.FromEnvironment();

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
        });
        // The node page shows the latest lines; the provider keeps them in memory.
        var logRing = new LogRing();
        builder.Logging.AddProvider(logRing);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Malformed HTTP from clients is worth a line: Kestrel reports it at debug level.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Debug);
        var coordinationOptions = new CoordinationOptions();
        builder.Configuration.GetSection(CoordinationOptions.SectionName).Bind(coordinationOptions);
        coordinationOptions.Validate();
        var computeOptions = new ComputeOptions();
        builder.Configuration.GetSection(ComputeOptions.SectionName).Bind(computeOptions);
        computeOptions.Validate();
        var tlsOptions = new TlsOptions();
        builder.Configuration.GetSection(TlsOptions.SectionName).Bind(tlsOptions);
        tlsOptions.Validate();
        // Before any task can run: the node's own files become unreadable to every other user, tasks included.
        var tightened = PrivateFiles.Enforce(options, tlsOptions);
        var sandbox = TaskSandbox.Create(options, computeOptions);
        if (!string.IsNullOrEmpty(options.SecureZooKeeper) && !tlsOptions.Enabled)
        {
            throw new InvalidOperationException("invalid configuration: SecureZooKeeper needs a certificate in Colony:Tls:CertificateFile");
        }
        if (new Uri(options.Http).Scheme == Uri.UriSchemeHttps && !tlsOptions.Enabled)
        {
            throw new InvalidOperationException("invalid configuration: an https address in Colony:Http needs a certificate in Colony:Tls:CertificateFile");
        }
        // Kestrel runs our code on the thread that completed the socket operation instead of
        // queueing it again: every handler here is non-blocking, and each hop saved is a thread
        // wake-up per request (the ZooKeeper port answers reads with none at all).
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var tls = kestrel.ApplicationServices.GetRequiredService<NodeTls>();
            var http = new Uri(options.Http);
            var perAddress = new HttpConnectionLimit(options.MaxHttpConnectionsPerIp,
                kestrel.ApplicationServices.GetRequiredService<ILogger<HttpConnectionLimit>>(), kestrel.ApplicationServices.GetRequiredService<NodeMetrics>());
            kestrel.Listen(ListenAddress(http.Host), http.Port, listen =>
            {
                // First: a connection over its address's limit is closed before any TLS handshake.
                listen.Use(perAddress.Apply);
                if (http.Scheme == Uri.UriSchemeHttps)
                {
                    // HTTPS with the reloadable certificate. A client may present a certificate (nodes
                    // do); one that does not chain to the CA is refused, and the propose stream needs one.
                    listen.UseHttps(HttpsOptions(tls.Source!, ClientCertificateMode.AllowCertificate, coordinationOptions.HandshakeTimeoutMs));
                }
            });
            if (options.ZooKeeper is { } zooKeeper)
            {
                // The ZooKeeper client port: Kestrel accepts, ClientConnection speaks jute.
                kestrel.Listen(IPEndPoint.Parse(zooKeeper), listen => listen.UseConnectionHandler<ZooKeeperConnectionHandler>());
            }
            if (!string.IsNullOrEmpty(options.SecureZooKeeper))
            {
                // ZooKeeper's secureClientPort: the same protocol inside TLS, on a port of its own.
                kestrel.Listen(IPEndPoint.Parse(options.SecureZooKeeper), listen =>
                {
                    listen.UseHttps(HttpsOptions(tls.Source!, tlsOptions.ClientCertificates switch
                    {
                        ClientCertificatePolicy.Required => ClientCertificateMode.RequireCertificate,
                        ClientCertificatePolicy.Optional => ClientCertificateMode.AllowCertificate,
                        _ => ClientCertificateMode.NoCertificate,
                    }, coordinationOptions.HandshakeTimeoutMs));
                    listen.UseConnectionHandler<ZooKeeperConnectionHandler>();
                });
            }
        });
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, NodeJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, FsJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(2, StorageJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(3, ComputeJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(4, Colony.Client.Jobs.JobJson.Default);
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(services => NodeTls.Create(tlsOptions, services.GetRequiredService<ILoggerFactory>()));
        // Every wall-clock read in the node goes through this one clock; the fault hooks can offset it.
        builder.Services.AddSingleton(hooks?.Clock ?? TimeProvider.System);
        if (hooks is not null)
        {
            builder.Services.AddSingleton(hooks);
        }
        builder.Services.AddSingleton(logRing);
        builder.Services.AddSingleton<NodeMetrics>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("colony", serviceInstanceId: options.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .WithMetrics(metrics => metrics
            .AddMeter(NodeMetrics.MeterName)
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        builder.Services.AddSingleton<ReplicaLoop>();
        builder.Services.AddSingleton(coordinationOptions);
        builder.Services.AddSingleton(services =>
        {
            var loop = services.GetRequiredService<ReplicaLoop>();
            var server = new CoordinationServer(loop, loop.Coordination, coordinationOptions,
                services.GetRequiredService<ILoggerFactory>().CreateLogger<CoordinationServer>(), services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<NodeMetrics>(),
                ServerPlaces.From(options.ZooKeeper, options.SecureZooKeeper, ReplicaLoop.LogDirectoryOf(options.DataDir)));
            loop.Ticked += server.OnTick;
            loop.Cycled += server.PumpMarked;
            loop.SnapshotRestored += server.OnSnapshotRestored;
            return server;
        });
        builder.Services.AddHostedService<JoinService>();
        builder.Services.AddSingleton(services => new NodeSelf(options, coordinationOptions,
            services.GetRequiredService<ReplicaLoop>(), services.GetRequiredService<CoordinationServer>(), logRing, services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ClusterMonitor>();
        builder.Services.AddSingleton(services => new NamespaceService(services.GetRequiredService<ReplicaLoop>(), services.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService(services => services.GetRequiredService<ClusterMonitor>());
        var fsOptions = FileSystemOptions.From(builder.Configuration);
        builder.Services.AddSingleton(fsOptions);
        builder.Services.AddSingleton(services => new BlockManager(new SeededRandom((ulong)Random.Shared.NextInt64()), fsOptions.DeadNodeAfterMs,
            fsOptions.ReportGraceMs, logger: services.GetRequiredService<ILogger<BlockManager>>()));
        builder.Services.AddHostedService<BlockManagerService>();
        builder.Services.AddSingleton<DataNodeService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DataNodeService>());
        builder.Services.AddSingleton<StorageMetrics>();
        builder.Services.AddSingleton(computeOptions);
        builder.Services.AddSingleton(_ => sandbox); // made by the container's factory, so the container disposes it
        builder.Services.AddSingleton(services => new JobsService(services.GetRequiredService<ReplicaLoop>(), services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ComputeMetrics>();
        builder.Services.AddSingleton<JobCommitter>();
        builder.Services.AddSingleton<JobSubmitter>();
        builder.Services.AddSingleton<JobTracker>();
        builder.Services.AddHostedService(services => services.GetRequiredService<JobTracker>());
        builder.Services.AddHostedService<WorkerService>();
        builder.Services.AddSingleton(services => new AccessService(services.GetRequiredService<ReplicaLoop>(), services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<Authenticator>();

        await using var app = builder.Build();
        var startup = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PrivateFiles).FullName!);
        foreach (string change in tightened)
        {
            LogPermissions(startup, change);
        }
        var loop = app.Services.GetRequiredService<ReplicaLoop>();
        // Created before the first client connects, so it hears every applied command.
        app.Services.GetRequiredService<CoordinationServer>();
        app.Services.GetRequiredService<NamespaceService>();
        app.Services.GetRequiredService<JobsService>();
        app.Services.GetRequiredService<ComputeMetrics>();
        app.Services.GetRequiredService<StorageMetrics>();
        app.Services.GetRequiredService<AccessService>();
        AccessEndpoints.Map(app);
        MapEndpoints(app, loop);
        DashboardEndpoints.Map(app);
        FsEndpoints.Map(app);
        JobsEndpoints.Map(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        if (hooks is not null)
        {
            FaultHooksEndpoints.Map(app, hooks);
        }
        await app.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void MapEndpoints(WebApplication app, ReplicaLoop loop)
    {
        app.MapGet("/health", () =>
        {
            var status = loop.Status;
            return status.Healthy
                ? Results.Json(new HealthView("ok", status.Leader), NodeJson.Default.HealthView)
                : Results.Json(new HealthView(status.Leader == 0 ? "no leader" : "catching up", status.Leader), NodeJson.Default.HealthView, statusCode: 503);
        });
        app.MapGet("/status", () => Results.Json(loop.Status, NodeJson.Default.NodeStatus));

        var authenticator = app.Services.GetRequiredService<Authenticator>();

        // The test key-value module: the internal surface integration tests and benchmarks drive. Its writes
        // are an administrator's: the members' address book lives in it.
        IResult? RefuseKeyValueWrite(HttpRequest request) => authenticator.Identify(request) switch
        {
            null => AccessProblems.BadToken(),
            { IsAuthenticated: false } => AccessProblems.NoToken($"{request.Method} {request.Path}"),
            { IsAdmin: false } caller => AccessProblems.AdminOnly(caller, "writing to the key-value module"),
            _ => null,
        };
        app.MapPut("/kv/{key}", async (string key, HttpRequest request) =>
        {
            if (RefuseKeyValueWrite(request) is { } refused)
            {
                return refused;
            }
            using var reader = new StreamReader(request.Body);
            string value = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            // The loop answers every write, after ReplicaLoop.WriteTimeout at the latest: no timer per request.
            var outcome = await loop.PutAsync(key, value).ConfigureAwait(false);
            return outcome switch
            {
                WriteOutcome.Committed => Results.NoContent(),
                WriteOutcome.NotLeader => NotLeader(loop),
                WriteOutcome.Rejected => Problem(503, "the leader refused the write (overloaded or handing over)"),
                _ => Problem(503, "the write's outcome is unknown: leadership changed"),
            };
        });
        app.MapGet(ProposeStream.Path, async (HttpContext context) =>
        {
            var upgrade = context.Features.Get<IHttpUpgradeFeature>();
            if (upgrade is not { IsUpgradableRequest: true }
                || !string.Equals(context.Request.Headers.Upgrade, ProposeStream.UpgradeToken, StringComparison.OrdinalIgnoreCase))
            {
                return Problem(StatusCodes.Status426UpgradeRequired, $"upgrade the connection to {ProposeStream.UpgradeToken}");
            }
            if (loop.Tls.Peers is not null && context.Connection.ClientCertificate is null)
            {
                // With mutual TLS between nodes, the stream is for holders of a cluster certificate
                // (Kestrel has checked any certificate presented against the CA).
                return Problem(StatusCodes.Status403Forbidden, "the propose stream needs a client certificate from the cluster's CA");
            }
            if (RefuseKeyValueWrite(context.Request) is { } refused)
            {
                return refused;
            }
            context.Response.Headers.Upgrade = ProposeStream.UpgradeToken;
            var stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
            try
            {
                await new ProposeStreamConnection(stream, loop).ServeAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // The client went away.
            }
            return Results.Empty;
        });
        app.MapGet("/kv/{key}", async (string key, HttpContext context) =>
        {
            bool ok;
            string? value;
            try
            {
                (ok, value) = await loop.GetAsync(key).WaitAsync(ReplicaLoop.WriteTimeout, context.RequestAborted).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                (ok, value) = (false, null);
            }
            if (!ok)
            {
                return Problem(503, "no leader to confirm the read; retry");
            }
            return value is null ? Results.NotFound() : Results.Text(value);
        });

        app.MapPost("/cluster/members", async (HttpRequest http, MemberRequest request) =>
        {
            if (authenticator.Identify(http) is not { IsAdmin: true } caller)
            {
                return AccessProblems.AdminOnly(authenticator.Identify(http)!, "changing the cluster's members");
            }
            if (request.Id == 0)
            {
                return Problem(400, "id is required");
            }
            var type = request.Role == "voter" ? MembershipChangeType.AddVoter : MembershipChangeType.AddLearner;
            var (outcome, error, busy) = await loop.ChangeMembershipAsync(new MembershipChange(type, new NodeId(request.Id)), request.Peer, request.Http, request.ZooKeeper).ConfigureAwait(false);
            return MembershipResult(loop, outcome, error, busy);
        });
        app.MapDelete("/cluster/members/{id}", async (HttpRequest http, ulong id) =>
        {
            if (authenticator.Identify(http) is not { IsAdmin: true })
            {
                return AccessProblems.AdminOnly(authenticator.Identify(http)!, "changing the cluster's members");
            }
            var (outcome, error, busy) = await loop.ChangeMembershipAsync(new MembershipChange(MembershipChangeType.Remove, new NodeId(id)), null, null).ConfigureAwait(false);
            return MembershipResult(loop, outcome, error, busy);
        });
    }

    /// <summary>423 (Locked) says another membership change is in flight: the caller may retry once it commits.</summary>
    private static IResult MembershipResult(ReplicaLoop loop, WriteOutcome outcome, string? error, bool busy) => outcome switch
    {
        WriteOutcome.Committed => Results.NoContent(),
        _ when busy => Problem(StatusCodes.Status423Locked, error ?? "a membership change is in flight"),
        WriteOutcome.NotLeader => NotLeader(loop),
        _ => Problem(409, error ?? "the membership change did not commit"),
    };

    private static IResult NotLeader(ReplicaLoop loop) =>
        Results.Json(new LeaderView(loop.LeaderHttp), NodeJson.Default.LeaderView, statusCode: StatusCodes.Status421MisdirectedRequest);

    private static HttpsConnectionAdapterOptions HttpsOptions(CertificateSource source, ClientCertificateMode clients, int handshakeTimeoutMs) => new()
    {
        ServerCertificateSelector = (_, _) => source.Certificate,
        ClientCertificateMode = clients,
        ClientCertificateValidation = source.ValidateClient,
        HandshakeTimeout = TimeSpan.FromMilliseconds(handshakeTimeoutMs),
    };

    private static IPAddress ListenAddress(string host) =>
        host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var address) ? address : IPAddress.Any;

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
}
