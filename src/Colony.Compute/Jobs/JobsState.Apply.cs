using Colony.Core;
using static Colony.Compute.Jobs.JobsCommand;

namespace Colony.Compute.Jobs;

public sealed partial class JobsState
{
    /// <summary>Applies one committed command. Never throws for a well-formed command: refusals are results.</summary>
    public JobsResult Apply(JobsCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command switch
        {
            Submit c => ApplySubmit(c),
            StartAttempt c => ApplyStart(c),
            AttemptSucceeded c => ApplySucceeded(c),
            AttemptFailed c => ApplyFailed(c),
            AttemptKilled c => ApplyKilled(c),
            MapOutputLost c => ApplyOutputLost(c),
            CommitTask c => ApplyCommit(c),
            FinishJob c => ApplyFinish(c),
            KillJob c => ApplyKill(c),
            _ => throw new ArgumentException($"unknown jobs command {command.GetType().Name}", nameof(command)),
        };
    }

    private JobsResult ApplySubmit(Submit c)
    {
        if (c.Spec.Reducers is < 0 or > JobsLimits.MaxReducers || c.Splits.Count > JobsLimits.MaxSplits)
        {
            return JobsResult.Fail(JobsError.Invalid, $"a job has 0 to {JobsLimits.MaxReducers} reducers and at most {JobsLimits.MaxSplits} splits");
        }
        DropOldFinishedJobs();
        var job = new JobView(new JobId(NextJobId++), c.Spec, c.At);
        for (int i = 0; i < c.Splits.Count; i++)
        {
            job.MapList.Add(new TaskView(new TaskId(job.Id, TaskKind.Map, i), c.Splits[i]));
        }
        for (int i = 0; i < c.Spec.Reducers; i++)
        {
            job.ReduceList.Add(new TaskView(new TaskId(job.Id, TaskKind.Reduce, i), null));
        }
        _jobs.Add(job.Id, job);
        _ordered = null;
        MaybeCommitting(job);
        return JobsResult.Success(job.Id);
    }

    private void DropOldFinishedJobs()
    {
        // Lowest ids first: finished jobs are dropped oldest first, the same on every replica.
        var finished = _jobs.Values.Where(j => j.IsFinished).ToList();
        int excess = finished.Count - _maxFinishedJobs;
        foreach (var job in finished.Take(Math.Max(0, excess)))
        {
            _jobs.Remove(job.Id);
            _ordered = null;
        }
    }

    private JobsResult ApplyStart(StartAttempt c)
    {
        if (!TryTask(c.Task, out var job, out var task, out var refusal))
        {
            return refusal;
        }
        if (job.State != JobState.Running)
        {
            return JobsResult.Fail(JobsError.JobNotRunning, $"{job.Id} is {job.State}", job.Id);
        }
        if (task.State == TaskState.Succeeded)
        {
            return JobsResult.Fail(JobsError.TaskDone, $"{task.Id} has already succeeded", job.Id);
        }
        if (job.Excluded.Contains(c.Node))
        {
            return JobsResult.Fail(JobsError.NodeExcluded, $"node {c.Node} is excluded for {job.Id}", job.Id);
        }
        if (!Enum.IsDefined(c.Locality) || c.Node.IsNone)
        {
            return JobsResult.Fail(JobsError.Invalid, "an attempt needs a node and a known locality", job.Id);
        }
        var running = task.RunningAttempts.ToList();
        if (!c.Speculative && running.Count > 0)
        {
            return JobsResult.Fail(JobsError.AlreadyRunning, $"{task.Id} is already running as {running[0].Id}", job.Id);
        }
        if (c.Speculative)
        {
            if (running.Count > 1)
            {
                return JobsResult.Fail(JobsError.AlreadyRunning, $"{task.Id} already has a backup attempt", job.Id);
            }
            if (running.Count == 0)
            {
                return JobsResult.Fail(JobsError.Invalid, $"{task.Id} has no running attempt to back up", job.Id);
            }
            if (running[0].Node == c.Node)
            {
                return JobsResult.Fail(JobsError.Invalid, $"a backup of {running[0].Id} must run on another node than {c.Node}", job.Id);
            }
        }
        var attempt = new AttemptView(new AttemptId(task.Id, task.AttemptList.Count + 1), c.Node, c.At, c.Speculative, c.Locality);
        task.AttemptList.Add(attempt);
        task.State = TaskState.Running;
        return JobsResult.Success(job.Id) with { Attempt = attempt.Id };
    }

    private JobsResult ApplySucceeded(AttemptSucceeded c)
    {
        if (!TryAttempt(c.Attempt, out var job, out var task, out var attempt, out var refusal))
        {
            return refusal;
        }
        if (attempt.State != AttemptState.Running || task.Succeeded is not null)
        {
            return JobsResult.Fail(JobsError.Duplicate, $"{attempt.Id} is {attempt.State} and {task.Id} is {task.State}: discard its output", job.Id);
        }
        attempt.State = AttemptState.Succeeded;
        attempt.FinishedAt = c.At;
        attempt.Output = c.Output;
        attempt.Counters = c.Counters.Count == 0 ? JobView.EmptyCounters : new Dictionary<string, long>(c.Counters, StringComparer.Ordinal);
        task.Succeeded = attempt;
        task.State = TaskState.Succeeded;
        foreach (var other in task.RunningAttempts.ToList())
        {
            End(other, AttemptState.Killed, $"superseded by a{attempt.Id.Number}", c.At);
        }
        MaybeCommitting(job);
        return JobsResult.Success(job.Id);
    }

    private JobsResult ApplyFailed(AttemptFailed c)
    {
        if (!TryAttempt(c.Attempt, out var job, out var task, out var attempt, out var refusal))
        {
            return refusal;
        }
        if (attempt.State != AttemptState.Running)
        {
            return JobsResult.Fail(JobsError.Duplicate, $"{attempt.Id} is already {attempt.State}", job.Id);
        }
        End(attempt, AttemptState.Failed, c.Error, c.At);
        if (task.FailedAttempts >= MaxAttempts)
        {
            task.State = TaskState.Failed;
            EndJob(job, JobState.Failed, $"task {task.Id} failed {MaxAttempts} times; last error: {c.Error}", c.At);
            return JobsResult.Success(job.Id);
        }
        MaybeExclude(job, attempt.Node);
        SettleAfterAttemptEnded(task);
        return JobsResult.Success(job.Id);
    }

    private JobsResult ApplyKilled(AttemptKilled c)
    {
        if (!TryAttempt(c.Attempt, out var job, out var task, out var attempt, out var refusal))
        {
            return refusal;
        }
        if (attempt.State != AttemptState.Running)
        {
            return JobsResult.Fail(JobsError.Duplicate, $"{attempt.Id} is already {attempt.State}", job.Id);
        }
        End(attempt, AttemptState.Killed, c.Reason, c.At);
        SettleAfterAttemptEnded(task);
        return JobsResult.Success(job.Id);
    }

    private JobsResult ApplyOutputLost(MapOutputLost c)
    {
        if (!TryAttempt(c.Attempt, out var job, out var task, out var attempt, out var refusal))
        {
            return refusal;
        }
        if (task.Id.Kind != TaskKind.Map || task.Succeeded != attempt)
        {
            return JobsResult.Fail(JobsError.Invalid, $"{attempt.Id} is not the succeeded attempt of a map", job.Id);
        }
        if (!NeedsMapOutputs(job))
        {
            return JobsResult.Success(job.Id, $"{job.Id} no longer needs the output of {task.Id}");
        }
        // The attempt's output is gone: it no longer counts as the task's success (nor toward data locality).
        attempt.State = AttemptState.Killed;
        attempt.Error = $"output lost: {c.Reason}";
        task.Succeeded = null;
        task.State = TaskState.Pending;
        return JobsResult.Success(job.Id);
    }

    private JobsResult ApplyCommit(CommitTask c)
    {
        if (!TryTask(c.Task, out var job, out var task, out var refusal))
        {
            return refusal;
        }
        if (job.State != JobState.Committing)
        {
            return JobsResult.Fail(JobsError.JobNotRunning, $"{job.Id} is {job.State}, not Committing", job.Id);
        }
        if (task.Committed)
        {
            return JobsResult.Fail(JobsError.Duplicate, $"{task.Id} is already committed", job.Id);
        }
        task.Committed = true;
        return JobsResult.Success(job.Id);
    }

    private JobsResult ApplyFinish(FinishJob c)
    {
        var job = Find(c.Job);
        if (job is null)
        {
            return JobsResult.Fail(JobsError.NoSuchJob, $"no job {c.Job}");
        }
        if (c.Final is not (JobState.Succeeded or JobState.Failed))
        {
            return JobsResult.Fail(JobsError.Invalid, $"a job finishes Succeeded or Failed, not {c.Final}", job.Id);
        }
        if (job.IsFinished || (c.Final == JobState.Succeeded && job.State != JobState.Committing))
        {
            return JobsResult.Fail(JobsError.JobNotRunning, $"{job.Id} is {job.State}", job.Id);
        }
        EndJob(job, c.Final, c.Error, c.At);
        return JobsResult.Success(job.Id);
    }

    private JobsResult ApplyKill(KillJob c)
    {
        var job = Find(c.Job);
        if (job is null)
        {
            return JobsResult.Fail(JobsError.NoSuchJob, $"no job {c.Job}");
        }
        if (job.IsFinished)
        {
            return JobsResult.Fail(JobsError.JobNotRunning, $"{job.Id} is {job.State}", job.Id);
        }
        EndJob(job, JobState.Killed, c.Reason, c.At);
        return JobsResult.Success(job.Id);
    }

    /// <summary>Reduces still need the maps' outputs only while the job runs and some reduce has not succeeded.</summary>
    internal static bool NeedsMapOutputs(JobView job) =>
        job.State == JobState.Running && job.ReduceList.Count > 0 && job.ReduceList.Any(t => t.State != TaskState.Succeeded);

    private static void End(AttemptView attempt, AttemptState state, string? error, long at)
    {
        attempt.State = state;
        attempt.Error = error;
        attempt.FinishedAt = at;
    }

    private static void SettleAfterAttemptEnded(TaskView task)
    {
        if (task.State == TaskState.Running && !task.RunningAttempts.Any())
        {
            task.State = TaskState.Pending;
        }
    }

    private static void MaybeCommitting(JobView job)
    {
        if (job.State == JobState.Running && job.Tasks.All(t => t.State == TaskState.Succeeded))
        {
            job.State = JobState.Committing;
        }
    }

    private static void MaybeExclude(JobView job, NodeId node)
    {
        if (job.Excluded.Contains(node))
        {
            return;
        }
        var attempts = job.Tasks.SelectMany(t => t.AttemptList).ToList();
        if (attempts.Count(a => a.Node == node && a.State == AttemptState.Failed) < ExcludeAfterFailures)
        {
            return;
        }
        int used = attempts.Select(a => a.Node).Distinct().Count();
        if ((job.Excluded.Count + 1) * 2 <= used)
        {
            job.Excluded.Add(node);
        }
    }

    private static void EndJob(JobView job, JobState final, string? error, long at)
    {
        job.State = final;
        job.Error = error;
        job.FinishedAt = at;
        string reason = $"{job.Id} {final.ToString().ToLowerInvariant()}";
        foreach (var task in job.Tasks)
        {
            foreach (var attempt in task.RunningAttempts.ToList())
            {
                End(attempt, AttemptState.Killed, reason, at);
            }
            if (task.State is TaskState.Pending or TaskState.Running)
            {
                task.State = TaskState.Killed;
            }
        }
    }

    private bool TryTask(TaskId id, out JobView job, out TaskView task, out JobsResult refusal)
    {
        job = Find(id.Job)!;
        task = null!;
        refusal = null!;
        if (job is null)
        {
            refusal = JobsResult.Fail(JobsError.NoSuchJob, $"no job {id.Job}");
            return false;
        }
        task = job.Task(id.Kind, id.Index)!;
        if (task is null)
        {
            refusal = JobsResult.Fail(JobsError.NoSuchTask, $"no task {id}", job.Id);
            return false;
        }
        return true;
    }

    private bool TryAttempt(AttemptId id, out JobView job, out TaskView task, out AttemptView attempt, out JobsResult refusal)
    {
        attempt = null!;
        if (!TryTask(id.Task, out job, out task, out refusal))
        {
            return false;
        }
        if (id.Number < 1 || id.Number > task.AttemptList.Count)
        {
            refusal = JobsResult.Fail(JobsError.NoSuchAttempt, $"no attempt {id}", job.Id);
            return false;
        }
        attempt = task.AttemptList[id.Number - 1];
        return true;
    }
}
