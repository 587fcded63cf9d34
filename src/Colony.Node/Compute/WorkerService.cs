using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Colony.Compute.Jobs;
using Colony.Compute.Scheduling;
using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Hosting;
using Colony.Node.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Compute;

/// <summary>
/// The worker role: beats to the leader every second (and at once when an attempt ends) with its slots, its
/// running attempts' progress and its finished ones, and carries out the answer: launches go to the job's
/// executor process (started on first need), kills to the executor (and the process is killed if the attempt
/// does not stop), finished jobs' executors are stopped and their files removed.
/// </summary>
public sealed partial class WorkerService(
    NodeOptions node, ComputeOptions options, TaskSandbox sandbox, ReplicaLoop loop, JobsService jobs, TimeProvider time, ILogger<WorkerService> logger) : BackgroundService
{
    /// <summary>How long a killed attempt gets to stop before its executor is killed with it.</summary>
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan BeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>The least time between two standby executors' starts, so one that keeps dying cannot spin.</summary>
    private static readonly TimeSpan StandbyRetry = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, ExecutorProcess> _executors = new();
    private readonly ConcurrentDictionary<string, (string Job, double Progress)> _running = new();
    private readonly ConcurrentDictionary<string, FinishedAttemptReport> _finished = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _starting = new(1, 1);
    private readonly List<Task> _watchers = [];
    private ExecutorProcess? _standby;
    private long? _standbyStarted;
    private volatile bool _ranJobs;

    private WorkerSlots Slots { get; } = SlotsFor(node, options);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Worker)
        {
            return;
        }
        if (sandbox.Identity.Warning is { } warning)
        {
            LogNotIsolated(logger, warning);
        }
        else
        {
            LogTaskIdentity(logger, sandbox.Identity.Description, sandbox.Root);
        }
        using var http = loop.Tls.CreateHttpClient(TimeSpan.FromSeconds(10));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToBase64String(node.LoadSecret()));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                long started = time.GetTimestamp();
                await BeatAsync(http, stoppingToken).ConfigureAwait(false);
                await KeepStandbyAsync().ConfigureAwait(false);
                // Every second, or at once when an attempt ends: its successor should not wait for the next beat.
                // The second counts the beat itself: the leader may hold an idle worker's beat until work comes.
                var left = BeatInterval - time.GetElapsedTime(started);
                await _wake.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, stoppingToken).ConfigureAwait(false);
                while (_wake.CurrentCount > 0)
                {
                    await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var executor in _executors.Values)
        {
            await executor.DisposeAsync().ConfigureAwait(false);
        }
        _executors.Clear();
        if (Interlocked.Exchange(ref _standby, null) is { } standby)
        {
            await standby.DisposeAsync().ConfigureAwait(false);
        }
        // The watchers remove the standbys' directories: done before the sandbox removes its root, not against it.
        Task[] watchers;
        lock (_watchers)
        {
            watchers = [.. _watchers];
        }
        try
        {
            await Task.WhenAll(watchers).WaitAsync(StopWait, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
    }

    /// <summary>How long a stop waits for the executors' watchers to clean up after them.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Once this worker has run a job, keeps one executor started and warmed up while it is idle, for the next
    /// job to take: that job's first tasks then run at full speed instead of waiting for a process to start and
    /// compile its code. Started only when nothing runs here, so its warm-up never competes with a job; never
    /// on a node that runs no jobs.
    /// </summary>
    private async Task KeepStandbyAsync()
    {
        if (!options.WarmExecutor || !_ranJobs || Volatile.Read(ref _standby) is not null || !_executors.IsEmpty || !_running.IsEmpty
            || (_standbyStarted is { } last && time.GetElapsedTime(last) < StandbyRetry))
        {
            return;
        }
        await _starting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_standby is not null || !_executors.IsEmpty)
            {
                return;
            }
            _standbyStarted = time.GetTimestamp();
            string home = sandbox.PrepareStandbyDirectory();
            try
            {
                _standby = ExecutorProcess.Start(options, sandbox, null, home, node.Http, node.DataTransfer, BlockStore.FinalizedDirectoryOf(node.DataDir), null, loop.Tls, OnMessage);
            }
            catch
            {
                RemoveQuietly(home);
                throw;
            }
            LogStandbyStarted(logger, _standby.ProcessId);
            Watch(_standby);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            LogStandbyFailed(logger, e.Message);
        }
        finally
        {
            _starting.Release();
        }
    }

    private async Task BeatAsync(HttpClient http, CancellationToken cancellationToken)
    {
        if (loop.LeaderHttp is not { } leader)
        {
            return;
        }
        var finished = _finished.Values.ToArray();
        var beat = new WorkerHeartbeat(node.NodeId, node.Http, node.Rack, Slots.MapSlots, Slots.ReduceSlots,
            [.. _running.Select(r => new RunningAttemptReport(r.Key, r.Value.Progress))], finished, [.. ActiveJobs()]);
        WorkerHeartbeatResponse? answer;
        try
        {
            using var response = await http.PostAsJsonAsync(new Uri(new Uri(leader), JobTracker.HeartbeatPath), beat, ComputeJson.Default.WorkerHeartbeat, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogBeatRefused(logger, leader, (int)response.StatusCode);
                return;
            }
            answer = await response.Content.ReadFromJsonAsync(ComputeJson.Default.WorkerHeartbeatResponse, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (PeerHttpFailure.IsNoAnswer(e) && !cancellationToken.IsCancellationRequested)
        {
            LogBeatFailed(logger, leader, e.Message);
            return;
        }
        if (answer is null)
        {
            return;
        }
        foreach (string attempt in answer.Acknowledged)
        {
            _finished.TryRemove(attempt, out _);
        }
        foreach (var launch in answer.Launches)
        {
            await LaunchAsync(launch).ConfigureAwait(false);
        }
        foreach (string attempt in answer.Kills)
        {
            await KillAsync(attempt).ConfigureAwait(false);
        }
        foreach (string job in answer.FinishedJobs)
        {
            await ForgetJobAsync(job).ConfigureAwait(false);
        }
    }

    private IEnumerable<string> ActiveJobs()
    {
        var jobs = new HashSet<string>(_executors.Keys, StringComparer.Ordinal);
        if (Directory.Exists(sandbox.Root))
        {
            jobs.UnionWith(Directory.EnumerateDirectories(sandbox.Root).Select(Path.GetFileName).OfType<string>().Where(name => JobId.TryParse(name, out _)));
        }
        return jobs;
    }

    private async Task LaunchAsync(AttemptLaunch launch)
    {
        if (_running.ContainsKey(launch.Attempt) || _finished.ContainsKey(launch.Attempt))
        {
            return;
        }
        ExecutorProcess executor;
        try
        {
            await JobKnownHereAsync(launch.Job).ConfigureAwait(false);
            executor = await ExecutorForAsync(launch.Job, launch.User).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            Finish(launch.Attempt, new FinishedAttemptReport(launch.Attempt, false, null, null, $"could not start an executor: {e.Message}"));
            return;
        }
        _running[launch.Attempt] = (launch.Job, 0);
        if (executor.HasExited)
        {
            // Dead before it got the attempt: its watcher may already have failed the attempts it knew of.
            Finish(launch.Attempt, new FinishedAttemptReport(launch.Attempt, false, null, null, await executor.Exited.ConfigureAwait(false)));
            return;
        }
        await executor.SendAsync(new ExecutorMessage { Op = "run", Attempt = launch.Attempt, Launch = launch }).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits (a few seconds at most) until this node has applied the job's submission: its executor's token is
    /// checked against the replicated job, and the leader may launch an attempt before this node hears of it.
    /// </summary>
    private async Task JobKnownHereAsync(string job)
    {
        if (!JobId.TryParse(job, out var id))
        {
            return;
        }
        long started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < JobKnownWait)
        {
            var changed = jobs.NextChange;
            if (jobs.Read(s => s.Find(id)) is not null)
            {
                return;
            }
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(100), time)).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan JobKnownWait = TimeSpan.FromSeconds(5);

    /// <summary>The job's executor: the one it has, else the standby (given the job), else a new process.</summary>
    private async Task<ExecutorProcess> ExecutorForAsync(string job, string user)
    {
        // The job's tasks act as its user, with a token that dies with the job (Security/ApiTokens).
        string token = ApiTokens.JobToken(node.LoadSecret(), job, user);
        await _starting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_executors.TryGetValue(job, out var running))
            {
                return running;
            }
            _ranJobs = true;
            string directory = sandbox.PrepareJobDirectory(job);
            if (_standby is { HasExited: false } standby)
            {
                _standby = null;
                await standby.AssignAsync(job, directory, token).ConfigureAwait(false);
                _executors[job] = standby;
                LogStandbyAssigned(logger, job, standby.ProcessId);
                return standby;
            }
            var executor = ExecutorProcess.Start(options, sandbox, job, directory, node.Http, node.DataTransfer, BlockStore.FinalizedDirectoryOf(node.DataDir), token, loop.Tls, OnMessage);
            _executors[job] = executor;
            LogExecutorStarted(logger, job, executor.ProcessId);
            Watch(executor);
            return executor;
        }
        finally
        {
            _starting.Release();
        }
    }

    private void OnMessage(ExecutorMessage message)
    {
        if (message.Attempt is not { } attempt || !_running.TryGetValue(attempt, out var running))
        {
            return;
        }
        switch (message.Op)
        {
            case "progress":
                _running[attempt] = (running.Job, Math.Clamp(message.Progress, 0, 1));
                break;
            case "done":
                Finish(attempt, new FinishedAttemptReport(attempt, message.Succeeded, message.Output, message.Counters, message.Error));
                break;
        }
    }

    private void Finish(string attempt, FinishedAttemptReport report)
    {
        _running.TryRemove(attempt, out _);
        _finished[attempt] = report;
        if (!report.Succeeded)
        {
            LogAttemptFailed(logger, attempt, report.Error ?? "");
        }
        _wake.Release();
    }

    private void Watch(ExecutorProcess executor)
    {
        var watcher = WatchAsync(executor);
        lock (_watchers)
        {
            _watchers.RemoveAll(w => w.IsCompleted);
            _watchers.Add(watcher);
        }
    }

    /// <summary>When an executor exits, every attempt it ran has failed, with the reason.</summary>
    private async Task WatchAsync(ExecutorProcess executor)
    {
        string why = await executor.Exited.ConfigureAwait(false);
        Interlocked.CompareExchange(ref _standby, null, executor);
        if (executor.Job is null || executor.Home != sandbox.JobDirectory(executor.Job))
        {
            RemoveQuietly(executor.Home); // a standby's own directory: its job's goes when the job is done
        }
        if (executor.Job is not { } job)
        {
            LogStandbyExited(logger, executor.ProcessId, why);
            return;
        }
        _executors.TryRemove(new KeyValuePair<string, ExecutorProcess>(job, executor));
        foreach (var attempt in _running.Where(r => r.Value.Job == job).Select(r => r.Key).ToArray())
        {
            Finish(attempt, new FinishedAttemptReport(attempt, false, null, null, why));
        }
    }

    private async Task KillAsync(string attempt)
    {
        if (!_running.TryGetValue(attempt, out var running) || !_executors.TryGetValue(running.Job, out var executor))
        {
            return;
        }
        await executor.SendAsync(new ExecutorMessage { Op = "kill", Attempt = attempt }).ConfigureAwait(false);
        _ = Task.Run(async () =>
        {
            await Task.Delay(KillGrace, time).ConfigureAwait(false);
            if (_running.ContainsKey(attempt) && _executors.TryGetValue(running.Job, out var still) && still == executor)
            {
                LogExecutorKilled(logger, running.Job, attempt);
                executor.Kill(); // user code that ignores cancellation: only the process can be stopped
            }
        });
    }

    private async Task ForgetJobAsync(string job)
    {
        // Forgotten first, so the executor's exit is not reported as their failure.
        foreach (var attempt in _running.Where(r => r.Value.Job == job).Select(r => r.Key).ToArray())
        {
            _running.TryRemove(attempt, out _);
        }
        if (_executors.TryRemove(job, out var executor))
        {
            await executor.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            sandbox.Remove(sandbox.JobDirectory(job));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(logger, job, e.Message);
        }
    }

    private void RemoveQuietly(string directory)
    {
        try
        {
            sandbox.Remove(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogDirectoryCleanupFailed(logger, directory, e.Message);
        }
    }

    private static WorkerSlots SlotsFor(NodeOptions node, ComputeOptions options)
    {
        var derived = WorkerSlots.FromResources(new NodeId(node.NodeId), node.Rack, options.Cores > 0 ? options.Cores : Environment.ProcessorCount, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        return derived with
        {
            MapSlots = options.MapSlots > 0 ? options.MapSlots : derived.MapSlots,
            ReduceSlots = options.ReduceSlots > 0 ? options.ReduceSlots : derived.ReduceSlots,
        };
    }

    public override void Dispose()
    {
        _wake.Dispose();
        _starting.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "compute beat to {Leader} failed: {Reason}")]
    private static partial void LogBeatFailed(ILogger logger, string leader, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "compute beat to {Leader} refused with HTTP {Status}")]
    private static partial void LogBeatRefused(ILogger logger, string leader, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "started the executor of {Job} (pid {Pid})")]
    private static partial void LogExecutorStarted(ILogger logger, string job, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "killed the executor of {Job}: attempt {Attempt} did not stop")]
    private static partial void LogExecutorKilled(ILogger logger, string job, string attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "attempt {Attempt} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not remove the files of job {Job}: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string job, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not remove the executor directory {Directory}: {Reason}")]
    private static partial void LogDirectoryCleanupFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity}; work directories in {Root}")]
    private static partial void LogTaskIdentity(ILogger logger, string identity, string root);

    [LoggerMessage(Level = LogLevel.Warning, Message = "tasks are not isolated: {Reason}")]
    private static partial void LogNotIsolated(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "started a standby executor (pid {Pid})")]
    private static partial void LogStandbyStarted(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not start a standby executor: {Reason}")]
    private static partial void LogStandbyFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "the standby executor (pid {Pid}) now runs {Job}")]
    private static partial void LogStandbyAssigned(ILogger logger, string job, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "the standby executor (pid {Pid}) ended: {Reason}")]
    private static partial void LogStandbyExited(ILogger logger, int pid, string reason);
}
