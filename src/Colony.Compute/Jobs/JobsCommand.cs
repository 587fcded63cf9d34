using Colony.Core;

namespace Colony.Compute.Jobs;

/// <summary>
/// One change to the jobs, as it travels through the log. The leader's tracker proposes them; every
/// replica applies them to its <see cref="JobsState"/> and gets the same <see cref="JobsResult"/>.
/// Times are unix milliseconds stamped by the leader when it proposes: apply reads no clock.
/// </summary>
public abstract record JobsCommand
{
    private protected JobsCommand()
    {
    }

    /// <summary>Creates a job: one map task per split, <c>Spec.Reducers</c> reduce tasks. The result carries its id.</summary>
    public sealed record Submit(JobSpec Spec, IReadOnlyList<InputSplit> Splits, long At) : JobsCommand
    {
        public bool Equals(Submit? other) =>
            other is not null && Spec.Equals(other.Spec) && At == other.At && Splits.SequenceEqual(other.Splits);

        public override int GetHashCode() => HashCode.Combine(Spec, Splits.Count, At);
    }

    /// <summary>Starts the task's next attempt on a node. The result carries its id.</summary>
    public sealed record StartAttempt(TaskId Task, NodeId Node, Locality Locality, bool Speculative, long At) : JobsCommand;

    /// <summary>
    /// An attempt finished. <paramref name="Output"/>: a map's (with reducers) base URL its node serves the
    /// map output from; a reduce's, or a map-only job's map's, temporary file-system path.
    /// </summary>
    public sealed record AttemptSucceeded(AttemptId Attempt, string? Output, IReadOnlyDictionary<string, long> Counters, long At) : JobsCommand
    {
        public bool Equals(AttemptSucceeded? other) =>
            other is not null && Attempt == other.Attempt && Output == other.Output && At == other.At
            && Counters.Count == other.Counters.Count
            && Counters.All(kv => other.Counters.TryGetValue(kv.Key, out long v) && v == kv.Value);

        public override int GetHashCode() => HashCode.Combine(Attempt, Output, Counters.Count, At);
    }

    /// <summary>An attempt failed; counts toward <see cref="JobsState.MaxAttempts"/>.</summary>
    public sealed record AttemptFailed(AttemptId Attempt, string Error, long At) : JobsCommand;

    /// <summary>An attempt was stopped for a reason that is not its fault (lost worker, speculative loser, hung).</summary>
    public sealed record AttemptKilled(AttemptId Attempt, string Reason, long At) : JobsCommand;

    /// <summary>A succeeded map's output is gone; the map runs again if the job still needs it.</summary>
    public sealed record MapOutputLost(AttemptId Attempt, string Reason, long At) : JobsCommand;

    /// <summary>A succeeded task's output was renamed into place, while the job is Committing.</summary>
    public sealed record CommitTask(TaskId Task, long At) : JobsCommand;

    /// <summary>Ends a job: Succeeded (only from Committing) or Failed.</summary>
    public sealed record FinishJob(JobId Job, JobState Final, string? Error, long At) : JobsCommand;

    /// <summary>A client killed the job: it ends Killed, its running attempts Killed.</summary>
    public sealed record KillJob(JobId Job, string Reason, long At) : JobsCommand;
}
