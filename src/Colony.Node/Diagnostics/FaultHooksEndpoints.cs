using System.Text.Json;
using System.Text.Json.Serialization;
using Colony.Node.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Diagnostics;

/// <summary>The state of a node's fault hooks, and a change to it (null leaves a hook as it is).</summary>
public sealed record FaultHooksView(
    [property: JsonPropertyName("fsyncDelayMs")] long? FsyncDelayMs,
    [property: JsonPropertyName("clockOffsetMs")] long? ClockOffsetMs);

[JsonSerializable(typeof(FaultHooksView))]
internal sealed partial class FaultHooksJson : JsonSerializerContext;

/// <summary>
/// <c>GET</c> and <c>PUT /internal/test-hooks</c>: reads and sets a node's <see cref="FaultHooks"/>.
/// Mapped only on a node started with the hooks enabled, and only for the cluster token.
/// </summary>
public static partial class FaultHooksEndpoints
{
    public const string Path = "/internal/test-hooks";

    public static void Map(WebApplication app, FaultHooks hooks)
    {
        var authenticator = app.Services.GetRequiredService<Authenticator>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FaultHooks));
        LogEnabled(logger, FaultHooks.Variable);
        app.MapGet(Path, (HttpRequest request) => Refused(authenticator, request) ?? View(hooks));
        app.MapPut(Path, async (HttpRequest request) =>
        {
            if (Refused(authenticator, request) is { } refused)
            {
                return refused;
            }
            FaultHooksView? change;
            try
            {
                change = await JsonSerializer.DeserializeAsync(request.Body, FaultHooksJson.Default.FaultHooksView, request.HttpContext.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                return Results.Problem(statusCode: 400, detail: $"not a hooks change: {e.Message}");
            }
            if (change is null)
            {
                return Results.Problem(statusCode: 400, detail: "a JSON body is required");
            }
            try
            {
                var delay = change.FsyncDelayMs is { } d ? TimeSpan.FromMilliseconds(d) : hooks.FsyncDelay;
                var offset = change.ClockOffsetMs is { } o ? TimeSpan.FromMilliseconds(o) : hooks.ClockOffset;
                // Both checked before either is set: a refused change changes nothing.
                ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero, "fsyncDelayMs");
                ArgumentOutOfRangeException.ThrowIfGreaterThan(delay, FaultHooks.MaxFsyncDelay, "fsyncDelayMs");
                ArgumentOutOfRangeException.ThrowIfGreaterThan(offset.Duration(), FaultHooks.MaxClockOffset, "clockOffsetMs");
                hooks.FsyncDelay = delay;
                hooks.ClockOffset = offset;
            }
            catch (ArgumentOutOfRangeException e)
            {
                return Results.Problem(statusCode: 400, detail: e.Message);
            }
            LogChanged(logger, (long)hooks.FsyncDelay.TotalMilliseconds, (long)hooks.ClockOffset.TotalMilliseconds);
            return View(hooks);
        });
    }

    private static IResult View(FaultHooks hooks) => Results.Json(
        new FaultHooksView((long)hooks.FsyncDelay.TotalMilliseconds, (long)hooks.ClockOffset.TotalMilliseconds), FaultHooksJson.Default.FaultHooksView);

    private static IResult? Refused(Authenticator authenticator, HttpRequest request) => authenticator.Identify(request) switch
    {
        null => AccessProblems.BadToken(),
        { Kind: CallerKind.Cluster } => null,
        { Kind: CallerKind.Anonymous } => AccessProblems.NoToken("fault injection"),
        var caller => AccessProblems.Forbidden($"fault injection is for the cluster token only; {caller.User} does not hold it"),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "TEST HOOKS ENABLED ({Variable}): this node takes fsync delays and clock offsets from the cluster token's holder. Never run a node like this in production.")]
    private static partial void LogEnabled(ILogger logger, string variable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "test hooks: fsync delay {DelayMs} ms, wall clock offset {OffsetMs} ms")]
    private static partial void LogChanged(ILogger logger, long delayMs, long offsetMs);
}
