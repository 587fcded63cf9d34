namespace Colony.Compute.Jobs;

/// <summary>Why a jobs command was refused. Sent to the tracker and clients, not persisted: never renumber.</summary>
public enum JobsError : byte
{
    NoSuchJob = 1,
    NoSuchTask = 2,
    NoSuchAttempt = 3,

    /// <summary>The job is not in a state that allows the command (e.g. starting an attempt of a finished job).</summary>
    JobNotRunning = 4,

    /// <summary>The task has already succeeded.</summary>
    TaskDone = 5,

    /// <summary>The node is excluded for the job after too many failures there.</summary>
    NodeExcluded = 6,

    /// <summary>The task already has a running attempt (or, for a backup, already has its backup).</summary>
    AlreadyRunning = 7,

    /// <summary>A report about an attempt that is no longer running, or a task already done: discard its output.</summary>
    Duplicate = 8,

    /// <summary>The command makes no sense (bad field, wrong kind of task, ...); the message says why.</summary>
    Invalid = 9,
}

/// <summary>
/// What applying one <see cref="JobsCommand"/> did, the same on every node: refusals are results too,
/// decided from the replicated state alone.
/// </summary>
public sealed record JobsResult
{
    private JobsResult(JobsError? error, string? message)
    {
        Error = error;
        Message = message;
    }

    public bool Ok => Error is null;

    public JobsError? Error { get; }

    /// <summary>Why it was refused; or, for an accepted command that changed nothing, why not.</summary>
    public string? Message { get; }

    /// <summary>Submit: the new job. Other commands: the job they touched.</summary>
    public JobId? Job { get; init; }

    /// <summary>StartAttempt: the new attempt.</summary>
    public AttemptId? Attempt { get; init; }

    internal static JobsResult Success(JobId job, string? note = null) => new(null, note) { Job = job };

    internal static JobsResult Fail(JobsError error, string message, JobId? job = null) => new(error, message) { Job = job };

    public override string ToString() => Ok ? "ok" + (Message is null ? "" : $" ({Message})") : $"{Error}: {Message}";
}
