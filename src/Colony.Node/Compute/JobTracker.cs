using Colony.Compute.Jobs;
using Colony.Compute.Scheduling;
using TaskScheduler = Colony.Compute.Scheduling.TaskScheduler;
using Colony.Core;
using Colony.Node.FileSystem;
using Colony.Node.Hosting;
using Colony.Node.Threading;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Compute;

/// <summary>
/// The leader's side of MapReduce. Workers beat in; the tracker records what they finished, hands them new
/// attempts chosen by the pure <see cref="TaskScheduler"/>, and tells them what to stop. Every decision goes
/// through the log as a Jobs command, so a new leader resumes where the old one stopped. What it keeps in
/// memory (workers, progress, launches in flight, fetch failures) is rebuilt from beats after a failover.
/// Two clocks: deadlines (silent workers, hung attempts, stragglers, lost launches) are on the monotonic clock of
/// <see cref="ComputeLiveness"/>; the commands carry wall-clock dates, which users see and are never timed against.
/// </summary>
public sealed partial class JobTracker(
    ReplicaLoop loop, JobsService jobs, JobCommitter committer, ComputeOptions options, TimeProvider time, ILogger<JobTracker> logger) : BackgroundService
{
    public const string HeartbeatPath = "/internal/compute/heartbeat";

    /// <summary>A launch the worker has not mentioned after this long is taken as lost.</summary>
    private const long LaunchGraceMs = 5_000;

    /// <summary>Reports of a map output that cannot be fetched before the map is run again.</summary>
    private const int FetchFailuresBeforeRerun = 3;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ComputeLiveness _liveness = new(time, options.WorkerTimeoutMs);
    private readonly Dictionary<NodeId, WorkerRecord> _workers = [];
    private readonly Dictionary<AttemptId, long> _delivered = []; // when launched, on the monotonic clock
    private readonly Dictionary<AttemptId, int> _fetchFailures = [];
    private readonly HashSet<JobId> _cleaned = [];

    /// <summary>
    /// How long an idle worker's beat may wait for work. A beat that finds nothing for an idle worker waits
    /// here for the next change instead of coming back empty, so a new job's first tasks start at once rather
    /// than at the worker's next beat. The worker beats once a second, counting the wait.
    /// </summary>
    private static readonly TimeSpan IdleBeatHold = TimeSpan.FromMilliseconds(900);

    /// <summary>Unix milliseconds on the wall clock: the dates Jobs commands carry. Never a deadline's clock.</summary>
    private long WallNow => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The progress of a running attempt as last reported, 0 when none was.</summary>
    public double ProgressOf(AttemptId attempt) => _liveness.ProgressOf(attempt);

    /// <summary>Handles a worker's beat. Null when this node does not lead.</summary>
    public async Task<WorkerHeartbeatResponse?> HeartbeatAsync(WorkerHeartbeat beat, CancellationToken cancellationToken)
    {
        var changed = jobs.NextChange;
        var answer = await AnswerAsync(beat, cancellationToken).ConfigureAwait(false);
        if (answer is { Launches.Count: 0, Kills.Count: 0, FinishedJobs.Count: 0, Acknowledged.Count: 0 } && beat.Running.Count == 0 && beat.Finished.Count == 0
            && await AsyncPulse.WaitAsync(changed, IdleBeatHold, time, cancellationToken).ConfigureAwait(false))
        {
            answer = await AnswerAsync(beat, cancellationToken).ConfigureAwait(false);
        }
        return answer;
    }

    private async Task<WorkerHeartbeatResponse?> AnswerAsync(WorkerHeartbeat beat, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!loop.IsLeader)
            {
                return null;
            }
            long wallNow = WallNow;
            _liveness.StartLeading();
            var node = new NodeId(beat.NodeId);
            var worker = Worker(node, beat);

            var acknowledged = new List<string>();
            foreach (var finished in beat.Finished)
            {
                if (!await RecordFinishedAsync(finished, wallNow).ConfigureAwait(false))
                {
                    break; // the log did not answer: the worker sends it again
                }
                acknowledged.Add(finished.Attempt);
            }

            var kills = new List<string>(worker.PendingKills);
            worker.PendingKills.Clear();
            worker.Running.Clear();
            foreach (var running in beat.Running)
            {
                if (!AttemptId.TryParse(running.Attempt, out var id))
                {
                    continue;
                }
                worker.Running.Add(id);
                _delivered.Remove(id);
                var state = jobs.Read(s => s.Find(id.Task.Job) is { } job ? AttemptOf(job, id)?.State : null);
                if (state != AttemptState.Running)
                {
                    kills.Add(running.Attempt); // superseded, failed as hung, or its job is over
                    continue;
                }
                _liveness.Progressed(id, running.Progress);
            }

            var launches = await LaunchAsync(worker, wallNow).ConfigureAwait(false);
            var finishedJobs = jobs.Read(s => beat.ActiveJobs.Where(j => !JobId.TryParse(j, out var id) || s.Find(id) is not { State: JobState.Running or JobState.Committing }).ToArray());
            return new WorkerHeartbeatResponse(launches, kills.Distinct().ToArray(), finishedJobs, acknowledged);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A reduce could not fetch a map's output; after a few such reports (or at once if its worker is gone) the map runs again.</summary>
    public async Task ReportFetchFailureAsync(FetchFailureReport report, CancellationToken cancellationToken)
    {
        if (!AttemptId.TryParse(report.MapAttempt, out var id))
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int count = _fetchFailures[id] = _fetchFailures.GetValueOrDefault(id) + 1;
            var node = jobs.Read(s => s.Find(id.Task.Job) is { } job ? AttemptOf(job, id)?.Node : null);
            bool workerGone = node is { } n && !_workers.ContainsKey(n);
            LogFetchFailure(logger, report.MapAttempt, report.Reporter, report.Reason, count);
            if (count >= FetchFailuresBeforeRerun || workerGone)
            {
                _fetchFailures.Remove(id);
                await TryExecuteAsync(new JobsCommand.MapOutputLost(id, JobsLimits.Clip($"its output could not be fetched: {report.Reason}"), WallNow)).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Every 500 ms for the timed checks, and at once after a change, so a job is committed as soon as its last task ends.
            // A change is a Jobs command applied here: a job arrived, an attempt ended, a job must be committed.
            var changed = jobs.NextChange;
            while (true)
            {
                await AsyncPulse.WaitAsync(changed, TimeSpan.FromMilliseconds(500), time, stoppingToken).ConfigureAwait(false);
                changed = jobs.NextChange; // taken before the work, so a change during it starts the next round at once
                if (!loop.IsLeader)
                {
                    await ForgetAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }
                await _gate.WaitAsync(stoppingToken).ConfigureAwait(false);
                try
                {
                    long wallNow = WallNow;
                    _liveness.StartLeading();
                    await LoseSilentWorkersAsync(wallNow).ConfigureAwait(false);
                    await ReconcileAsync(wallNow).ConfigureAwait(false);
                    await FailHungAsync(wallNow).ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
                }
                await FinishJobsAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ForgetAsync(CancellationToken cancellationToken)
    {
        if (!_liveness.Leading)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _liveness.Forget();
            _workers.Clear();
            _delivered.Clear();
            _fetchFailures.Clear();
            _cleaned.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    private WorkerRecord Worker(NodeId node, WorkerHeartbeat beat)
    {
        if (!_workers.TryGetValue(node, out var worker))
        {
            worker = _workers[node] = new WorkerRecord();
            LogWorkerJoined(logger, node.Value, beat.Http, beat.MapSlots, beat.ReduceSlots);
        }
        worker.Slots = new WorkerSlots(node, beat.Rack, beat.MapSlots, beat.ReduceSlots);
        worker.Http = beat.Http;
        _liveness.Beat(node);
        return worker;
    }

    private async Task<bool> RecordFinishedAsync(FinishedAttemptReport finished, long wallNow)
    {
        if (!AttemptId.TryParse(finished.Attempt, out var id))
        {
            return true; // nothing to record
        }
        JobsCommand command = finished.Succeeded
            ? new JobsCommand.AttemptSucceeded(id, finished.Output, finished.Counters ?? new Dictionary<string, long>(), wallNow)
            : new JobsCommand.AttemptFailed(id, JobsLimits.Clip(finished.Error ?? "the attempt failed"), wallNow);
        var result = await TryExecuteAsync(command).ConfigureAwait(false);
        if (result is null)
        {
            return false;
        }
        if (!finished.Succeeded)
        {
            LogAttemptFailed(logger, finished.Attempt, finished.Error ?? "");
        }
        _delivered.Remove(id);
        _liveness.Ended(id);
        return true; // recorded, or refused for good (a duplicate success, a forgotten job): either way, done
    }

    private async Task<IReadOnlyList<AttemptLaunch>> LaunchAsync(WorkerRecord worker, long wallNow)
    {
        var live = _workers.Values.Select(w => w.Slots).ToArray();
        var progress = _liveness.Snapshot();
        long now = _liveness.Now;
        var assignments = jobs.Read(s => TaskScheduler.Assign(s, live, progress, now, options.Scheduler));
        var launches = new List<AttemptLaunch>();
        foreach (var assignment in assignments.Where(a => a.Node == worker.Slots.Node))
        {
            var result = await TryExecuteAsync(new JobsCommand.StartAttempt(assignment.Task, assignment.Node, assignment.Locality, assignment.Speculative, wallNow)).ConfigureAwait(false);
            if (result is not { Ok: true, Attempt: { } attempt })
            {
                continue;
            }
            _liveness.Launched(attempt);
            if (jobs.Read(s => s.Find(attempt.Task.Job)) is { } job && LaunchOf(job, attempt) is { } launch)
            {
                _delivered[attempt] = _liveness.Now;
                launches.Add(launch);
                LogLaunched(logger, attempt.ToString(), worker.Slots.Node.Value, assignment.Locality.ToString(), assignment.Speculative);
            }
        }
        return launches;
    }

    private static AttemptLaunch? LaunchOf(JobView job, AttemptId attempt)
    {
        var tasks = attempt.Task.Kind == TaskKind.Map ? job.Maps : job.Reduces;
        if (attempt.Task.Index >= tasks.Count)
        {
            return null;
        }
        var split = tasks[attempt.Task.Index].Split;
        return new AttemptLaunch(attempt.ToString(), job.Id.ToString(), attempt.Task.Kind == TaskKind.Map ? "map" : "reduce", attempt.Task.Index,
            split?.Path, split?.Offset ?? 0, split?.Length ?? 0, job.Maps.Count, job.Spec.Reducers, job.Spec.Output, job.Spec.Settings, job.Spec.User);
    }

    internal static AttemptView? AttemptOf(JobView job, AttemptId id)
    {
        var tasks = id.Task.Kind == TaskKind.Map ? job.Maps : job.Reduces;
        return id.Task.Index < tasks.Count ? tasks[id.Task.Index].Attempts.FirstOrDefault(a => a.Id == id) : null;
    }

    /// <summary>Workers silent past the timeout are lost: their running attempts are killed and their map outputs run again.</summary>
    private async Task LoseSilentWorkersAsync(long wallNow)
    {
        var lost = _liveness.Silent().ToList();
        // Attempts on nodes this leader has never heard from, once it has listened long enough.
        if (_liveness.ListenedLongEnough)
        {
            lost.AddRange(jobs.Read(s => s.RunningAttempts().Select(a => a.Node).Where(n => !_workers.ContainsKey(n)).Distinct().ToArray()));
        }
        foreach (var node in lost.Distinct())
        {
            LogWorkerLost(logger, node.Value, options.WorkerTimeoutMs);
            _workers.Remove(node);
            _liveness.Lost(node);
            foreach (var command in jobs.Read(s => TaskScheduler.OnWorkerLost(s, node, wallNow)))
            {
                await TryExecuteAsync(command).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Attempts the log says run on a live worker that the worker does not mention are gone (a lost launch, a restarted worker).</summary>
    private async Task ReconcileAsync(long wallNow)
    {
        var running = jobs.Read(s => s.RunningAttempts().Select(a => (a.Id, a.Node)).ToArray());
        long now = _liveness.Now;
        foreach (var (id, node) in running)
        {
            if (!_workers.TryGetValue(node, out var worker) || worker.Running.Contains(id))
            {
                continue;
            }
            long since = _delivered.TryGetValue(id, out long at) ? at : _liveness.LeaderSince;
            if (now - since > LaunchGraceMs && _liveness.LastBeat(node) > since + LaunchGraceMs / 2)
            {
                _delivered.Remove(id);
                await TryExecuteAsync(new JobsCommand.AttemptKilled(id, $"node {node} is not running it", wallNow)).ConfigureAwait(false);
            }
        }
    }

    private async Task FailHungAsync(long wallNow)
    {
        // A reduce waiting for the last maps has nothing to show: it counts as moving until every map is done.
        var (running, waiting) = jobs.Read(s =>
        {
            var attempts = s.RunningAttempts().Select(a => a.Id).ToArray();
            var waitingForMaps = attempts.Where(id => id.Task.Kind == TaskKind.Reduce && s.Find(id.Task.Job) is { } job && job.MapsSucceeded < job.Maps.Count);
            return (attempts, waitingForMaps.ToHashSet());
        });
        var progress = _liveness.Time(running, waiting);
        long now = _liveness.Now;
        var hung = jobs.Read(s => TaskScheduler.FindHung(s, progress, now, options.Scheduler)
            .Select(id => (id, AttemptOf(s.Find(id.Task.Job)!, id)?.Node)).ToArray());
        foreach (var (id, node) in hung)
        {
            string error = $"no progress for {options.Scheduler.ProgressTimeoutMs / 1000.0:0.#} s: the task hung";
            if (await TryExecuteAsync(new JobsCommand.AttemptFailed(id, error, wallNow)).ConfigureAwait(false) is not null
                && node is { } n && _workers.TryGetValue(n, out var worker))
            {
                worker.PendingKills.Add(id.ToString());
            }
        }
    }

    /// <summary>Commits jobs whose tasks all succeeded, and clears the temporary output of jobs that ended otherwise.</summary>
    private async Task FinishJobsAsync(CancellationToken cancellationToken)
    {
        var views = jobs.Read(s => s.Jobs.Where(j => j.State is JobState.Committing || (j.State is JobState.Failed or JobState.Killed && !_cleaned.Contains(j.Id))).ToArray());
        foreach (var job in views)
        {
            if (!loop.IsLeader || cancellationToken.IsCancellationRequested)
            {
                return;
            }
            try
            {
                if (job.State == JobState.Committing)
                {
                    string? error = await committer.CommitAsync(job, WallNow, TryExecuteAsync).ConfigureAwait(false);
                    await TryExecuteAsync(new JobsCommand.FinishJob(job.Id, error is null ? JobState.Succeeded : JobState.Failed, error is null ? null : JobsLimits.Clip(error), WallNow)).ConfigureAwait(false);
                    LogJobFinished(logger, job.Id.ToString(), error ?? "succeeded");
                }
                else
                {
                    await committer.AbortAsync(job, WallNow).ConfigureAwait(false);
                    _cleaned.Add(job.Id);
                }
            }
            catch (Exception e) when (e is NotLeaderException or TimeoutException or InvalidOperationException)
            {
                LogCommitDeferred(logger, job.Id.ToString(), e.Message); // tried again on the next tick, or by the next leader
            }
        }
    }

    private async Task<JobsResult?> TryExecuteAsync(JobsCommand command)
    {
        try
        {
            return await jobs.ExecuteAsync(command).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotLeaderException or TimeoutException or InvalidOperationException)
        {
            LogProposalFailed(logger, command.GetType().Name, e.Message);
            return null;
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    private sealed class WorkerRecord
    {
        public WorkerSlots Slots { get; set; } = new(NodeId.None, null, 0, 0);
        public string Http { get; set; } = "";
        public HashSet<AttemptId> Running { get; } = [];
        public List<string> PendingKills { get; } = [];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "worker {Node} at {Http} joined with {MapSlots} map and {ReduceSlots} reduce slots")]
    private static partial void LogWorkerJoined(ILogger logger, ulong node, string http, int mapSlots, int reduceSlots);

    [LoggerMessage(Level = LogLevel.Warning, Message = "worker {Node} silent for over {TimeoutMs} ms: its attempts and map outputs are lost")]
    private static partial void LogWorkerLost(ILogger logger, ulong node, long timeoutMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "launched {Attempt} on node {Node} ({Locality}, speculative: {Speculative})")]
    private static partial void LogLaunched(ILogger logger, string attempt, ulong node, string locality, bool speculative);

    [LoggerMessage(Level = LogLevel.Warning, Message = "attempt {Attempt} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "map output of {Attempt} could not be fetched by {Reporter}: {Reason} ({Count} reports)")]
    private static partial void LogFetchFailure(ILogger logger, string attempt, string reporter, string reason, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} finished: {Outcome}")]
    private static partial void LogJobFinished(ILogger logger, string job, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "commit of job {Job} deferred: {Reason}")]
    private static partial void LogCommitDeferred(ILogger logger, string job, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Command} not recorded: {Reason}")]
    private static partial void LogProposalFailed(ILogger logger, string command, string reason);
}
