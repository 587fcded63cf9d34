using Colony.Client.Jobs;
using Colony.Client.MapReduce;
using Colony.Compute.Jobs;
using Colony.Node.FileSystem;
using Colony.Node.Hosting;
using Colony.Node.Security;
using Colony.Node.Threading;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Colony.Node.Compute;

/// <summary>
/// The job API under <c>/api/jobs</c> (any node: one that does not lead forwards to the leader; submitting needs a
/// token and read access to the input, killing is for the job's user or an administrator), the workers' beat, the map-output directory and fetch-failure reports the
/// executors use, and the shuffle: <c>GET /internal/shuffle/ATTEMPT/PARTITION</c> serves one partition of a map
/// output this node holds.
/// </summary>
internal static class JobsEndpoints
{
    /// <summary>The longest a job request may long-poll (<c>?waitMs=</c>).</summary>
    private static readonly TimeSpan MaxJobWait = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app)
    {
        var loop = app.Services.GetRequiredService<ReplicaLoop>();
        var jobs = app.Services.GetRequiredService<JobsService>();
        var tracker = app.Services.GetRequiredService<JobTracker>();
        var submitter = app.Services.GetRequiredService<JobSubmitter>();
        var options = app.Services.GetRequiredService<NodeOptions>();
        var sandbox = app.Services.GetRequiredService<TaskSandbox>();
        var token = Convert.ToBase64String(options.LoadSecret());
        var forwarder = new LeaderForwarder(loop);
        var metrics = app.Services.GetRequiredService<ComputeMetrics>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        var authenticator = app.Services.GetRequiredService<Authenticator>();
        Caller Who(HttpRequest http) => authenticator.Identify(http)!;

        app.UseWhen(http => LeaderOnly(http.Request.Path), branch => branch.Use(async (http, next) =>
        {
            // Unauthenticated changes to /api/jobs were refused already (AccessEndpoints). The executors' calls
            // need the cluster token or their own job's token.
            if (http.Request.Path.StartsWithSegments("/internal", StringComparison.Ordinal) && !MayUseInternal(Who(http.Request), http.Request.Path))
            {
                await Unauthorized().ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
            if (!loop.IsLeader)
            {
                await forwarder.ForwardAsync(http).ConfigureAwait(false);
                return;
            }
            await next(http).ConfigureAwait(false);
        }));

        var api = app.MapGroup("/api/jobs");
        api.MapGet("", () => Results.Json(new JobList(jobs.Read(s => s.Jobs.Reverse().Select(j => JobViews.Summary(j, tracker.ProgressOf)).ToArray())), JobJson.Default.JobList));
        // ?waitMs=N long-polls: the answer comes at the job's next change (or any job's), at once if it has
        // finished, and after N ms (at most MaxJobWait) otherwise. A waiting client never misses the end.
        api.MapGet("/{id}", async (string id, int? waitMs, HttpContext http) =>
        {
            var changed = jobs.NextChange;
            if (waitMs is > 0 && Find(jobs, id) is { State: JobState.Running or JobState.Committing })
            {
                var wait = TimeSpan.FromMilliseconds(Math.Min(waitMs.Value, MaxJobWait.TotalMilliseconds));
                await AsyncPulse.WaitAsync(changed, wait, time, http.RequestAborted).ConfigureAwait(false);
            }
            return Show(jobs, id, job => JobViews.Detail(job, tracker.ProgressOf)) is { } detail
                ? Results.Json(detail, JobJson.Default.JobDetail)
                : NoSuchJob(id);
        });
        api.MapPost("", async (HttpRequest http) =>
        {
            var caller = Who(http);
            JobRequest? request;
            try
            {
                request = await http.ReadFromJsonAsync(JobJson.Default.JobRequest, http.HttpContext.RequestAborted).ConfigureAwait(false);
            }
            catch (System.Text.Json.JsonException e)
            {
                return Problem(400, "malformed job", e.Message);
            }
            if (request is null)
            {
                return Problem(400, "malformed job", "the body must be a JSON job");
            }
            try
            {
                var id = await submitter.SubmitAsync(request, caller).ConfigureAwait(false);
                return Results.Json(new JobSubmitted(id.ToString()), JobJson.Default.JobSubmitted, statusCode: 201);
            }
            catch (JobRejectedException e)
            {
                return Problem(e.Status, "job refused", e.Message);
            }
            catch (Exception e) when (e is NotLeaderException or InvalidOperationException)
            {
                return Problem(503, "leadership changed; try again", e.Message);
            }
            catch (TimeoutException e)
            {
                return Problem(504, "outcome unknown", e.Message);
            }
        });
        api.MapPost("/{id}/kill", async (HttpRequest http, string id) =>
        {
            if (Find(jobs, id) is not { } job)
            {
                return NoSuchJob(id);
            }
            var caller = Who(http);
            if (!caller.IsAdmin && caller.User != job.Spec.User)
            {
                return AccessProblems.Forbidden($"{id} is {job.Spec.User}'s job; only its user or an administrator may kill it");
            }
            try
            {
                var result = await jobs.ExecuteAsync(new JobsCommand.KillJob(job.Id, "killed by request", jobs.Now)).ConfigureAwait(false);
                return result.Ok || Find(jobs, id) is { State: not (JobState.Running or JobState.Committing) }
                    ? Results.Json(Show(jobs, id, job => JobViews.Summary(job, tracker.ProgressOf))!, JobJson.Default.JobSummary)
                    : Problem(409, "not killed", result.Message ?? result.Error?.ToString() ?? "refused");
            }
            catch (Exception e) when (e is NotLeaderException or InvalidOperationException or TimeoutException)
            {
                return Problem(503, "leadership changed; try again", e.Message);
            }
        });

        app.MapPost(JobTracker.HeartbeatPath, async (HttpRequest http, WorkerHeartbeat beat) =>
        {
            if (!LeaderForwarder.Authorized(http, token))
            {
                return Unauthorized();
            }
            return await tracker.HeartbeatAsync(beat, http.HttpContext.RequestAborted).ConfigureAwait(false) is { } answer
                ? Results.Json(answer, ComputeJson.Default.WorkerHeartbeatResponse)
                : Problem(421, "not the leader", loop.LeaderHttp);
        });
        app.MapGet("/internal/compute/jobs/{id}/map-outputs", (string id) => Show(jobs, id, job => new MapOutputsView(job.Maps.Count, JobViews.StateName(job.State),
                [.. job.Maps.Where(m => m.Succeeded?.Output is not null).Select(m => new MapOutputView(m.Id.Index, m.Succeeded!.Id.ToString(), m.Succeeded.Output!))])) is { } outputs
            ? Results.Json(outputs, ComputeJson.Default.MapOutputsView)
            : NoSuchJob(id));
        app.MapPost("/internal/compute/fetch-failures", async (HttpRequest http, FetchFailureReport report) =>
        {
            if (Who(http).Job is { } own && (!AttemptId.TryParse(report.MapAttempt, out var reported) || reported.Task.Job.ToString() != own))
            {
                return Problem(403, "permission denied", "a job's executors report fetch failures of their own job only");
            }
            await tracker.ReportFetchFailureAsync(report, http.HttpContext.RequestAborted).ConfigureAwait(false);
            return Results.NoContent();
        });
        app.MapGet("/internal/shuffle/{attempt}/{partition:int}", (HttpContext http, string attempt, int partition) =>
            ServePartitionAsync(http, sandbox, Who(http.Request), metrics, attempt, partition));
    }

    private static bool LeaderOnly(PathString path) =>
        path.StartsWithSegments("/api/jobs", StringComparison.Ordinal)
        || path.StartsWithSegments("/internal/compute/jobs", StringComparison.Ordinal)
        || path.StartsWithSegments("/internal/compute/fetch-failures", StringComparison.Ordinal);

    /// <summary>
    /// The executors' endpoints are for the cluster token (the workers) and for a job's own token, which reaches its
    /// own job's map outputs and nothing else: a task cannot read another job's intermediate data.
    /// </summary>
    private static bool MayUseInternal(Caller caller, PathString path) => caller switch
    {
        { Kind: CallerKind.Cluster } => true,
        { Kind: CallerKind.Job, Job: { } job } => path.StartsWithSegments("/internal/compute/fetch-failures", StringComparison.Ordinal)
            || path.StartsWithSegments($"/internal/compute/jobs/{job}", StringComparison.Ordinal),
        _ => false,
    };

    private static async Task ServePartitionAsync(HttpContext http, TaskSandbox sandbox, Caller caller, ComputeMetrics metrics, string attempt, int partition)
    {
        bool parsed = AttemptId.TryParse(attempt, out var id);
        if (!(caller.Kind == CallerKind.Cluster || (caller.Kind == CallerKind.Job && parsed && id.Task.Job.ToString() == caller.Job)))
        {
            await Unauthorized().ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        if (!parsed || id.Task.Kind != TaskKind.Map)
        {
            await Problem(400, "bad request", $"{attempt} is not a map attempt").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        var files = MapOutputLocation.Of(sandbox.Root, id);
        IReadOnlyList<(long Offset, long Length)> index;
        try
        {
            // Opened through the sandbox: an isolated task owns these files, and could have made them links.
            using var indexFile = sandbox.OpenTaskFile(files.Index);
            index = MapOutputFile.ReadIndex(indexFile, files.Index);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            await Problem(404, "NotFound", $"no output of {attempt} here: {e.Message}").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        if (partition < 0 || partition >= index.Count)
        {
            await Problem(404, "NotFound", $"{attempt} has no partition {partition}").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        var (offset, length) = index[partition];
        FileStream file;
        try
        {
            file = sandbox.OpenTaskFile(files.Data, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Problem(404, "NotFound", $"no output of {attempt} here: {e.Message}").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = length;
        await using (file.ConfigureAwait(false))
        {
            file.Position = offset;
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                long left = length;
                while (left > 0)
                {
                    int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), http.RequestAborted).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException($"map output of {attempt} is shorter than its index says");
                    }
                    await http.Response.Body.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted).ConfigureAwait(false);
                    left -= read;
                    metrics.ShuffleBytes.Add(read);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static JobView? Find(JobsService jobs, string id) => JobId.TryParse(id, out var job) ? jobs.Read(s => s.Find(job)) : null;

    /// <summary>
    /// What <paramref name="show"/> makes of a job, made under the Jobs state's lock: the view's task
    /// and attempt lists change as commands apply, so reading them outside it can fail mid-enumeration.
    /// </summary>
    internal static T? Show<T>(JobsService jobs, string id, Func<JobView, T> show) where T : class =>
        JobId.TryParse(id, out var job) ? jobs.Read(s => s.Find(job) is { } view ? show(view) : null) : null;

    private static IResult NoSuchJob(string id) => Problem(404, "NotFound", $"no job {id}");

    private static IResult Unauthorized() => Problem(401, "this call is for the cluster's workers and executors",
        "send Authorization: Bearer with the cluster token, or the running job's own token");

    private static IResult Problem(int status, string title, string? detail) => Results.Problem(statusCode: status, title: title, detail: detail);
}
