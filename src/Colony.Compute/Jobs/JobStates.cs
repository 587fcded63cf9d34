namespace Colony.Compute.Jobs;

// All four enums are persisted (log commands and snapshots): never renumber a value.

/// <summary>
/// A job runs until every task has succeeded, then commits (its tasks' outputs are renamed into place),
/// then ends. It fails when a task exhausts its attempts (or commit fails); a client may kill it.
/// </summary>
public enum JobState : byte
{
    Running = 1,
    Committing = 2,
    Succeeded = 3,
    Failed = 4,
    Killed = 5,
}

/// <summary>
/// Pending: waiting for a slot (never run, or its last attempt ended without success). Running: has a
/// running attempt. Failed: exhausted its attempts (and so failed the job). Killed: its job ended first.
/// </summary>
public enum TaskState : byte
{
    Pending = 1,
    Running = 2,
    Succeeded = 3,
    Failed = 4,
    Killed = 5,
}

/// <summary>Killed is not a failure: a lost worker, a speculative loser, a lost map output, a killed job.</summary>
public enum AttemptState : byte
{
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Killed = 4,
}

/// <summary>Where a map ran relative to its split's replicas. Reduces read from every map: always Remote.</summary>
public enum Locality : byte
{
    NodeLocal = 1,
    RackLocal = 2,
    Remote = 3,
}
