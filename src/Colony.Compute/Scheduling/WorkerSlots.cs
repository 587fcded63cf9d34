using Colony.Core;

namespace Colony.Compute.Scheduling;

/// <summary>How a worker's resources become task slots.</summary>
public sealed record SlotOptions
{
    public static readonly SlotOptions Default = new();

    /// <summary>Memory one task (its process and buffers) is given.</summary>
    public long MemoryPerTaskBytes { get; init; } = 1L << 30;
}

/// <summary>A live worker and how many map and reduce attempts it may run at once.</summary>
public sealed record WorkerSlots(NodeId Node, string? Rack, int MapSlots, int ReduceSlots)
{
    /// <summary>
    /// Map slots: one per core, but no more than the memory holds tasks of
    /// <see cref="SlotOptions.MemoryPerTaskBytes"/>; at least 1. Reduce slots: half the map slots (a reduce
    /// sorts and merges, so it uses more memory and disk than a map), at least 1. The two pools are separate,
    /// so reduces waiting for map outputs never starve the maps.
    /// </summary>
    public static WorkerSlots FromResources(NodeId node, string? rack, int cores, long memoryBytes, SlotOptions? options = null)
    {
        options ??= SlotOptions.Default;
        long byMemory = options.MemoryPerTaskBytes > 0 ? Math.Max(0, memoryBytes) / options.MemoryPerTaskBytes : long.MaxValue;
        int maps = (int)Math.Max(1, Math.Min(Math.Max(1, cores), byMemory));
        return new WorkerSlots(node, rack, maps, Math.Max(1, maps / 2));
    }
}

/// <summary>
/// The leader's own timing of a running attempt: its latest progress (a fraction in [0, 1]), when that last
/// moved, and since when the leader has known the attempt to run (its launch, or the leader's takeover for an
/// attempt an earlier leader started). Both times are on the caller's clock, the one its <c>now</c> is on: the
/// tracker uses the monotonic clock, so a step of the wall clock neither fails attempts as hung nor times
/// stragglers wrongly. The replicated start and finish stamps are wall-clock dates and are never compared with it.
/// </summary>
public sealed record AttemptProgress(Jobs.AttemptId Attempt, double Progress, long LastProgressAt, long RunningSince);

/// <summary>The scheduler's knobs.</summary>
public sealed record SchedulerOptions
{
    public static readonly SchedulerOptions Default = new();

    /// <summary>Failed attempts that fail a task (the Jobs module's rule; here for the tracker to show).</summary>
    public int MaxAttempts { get; init; } = Jobs.JobsState.MaxAttempts;

    /// <summary>The share of a job's maps that must have succeeded before its reduces start.</summary>
    public double ReduceSlowStart { get; init; } = 0.8;

    public bool Speculation { get; init; } = true;

    /// <summary>An attempt younger than this is never a straggler.</summary>
    public long SpeculativeMinRunMs { get; init; } = 10_000;

    /// <summary>A straggler's progress rate is below this share of the mean rate of the job's other attempts of its kind.</summary>
    public double SpeculativeSlowFactor { get; init; } = 0.5;

    /// <summary>A running attempt silent for this long is hung.</summary>
    public long ProgressTimeoutMs { get; init; } = 60_000;
}

/// <summary>Start an attempt of <paramref name="Task"/> on <paramref name="Node"/> (a StartAttempt to propose).</summary>
public sealed record Assignment(Jobs.TaskId Task, NodeId Node, Jobs.Locality Locality, bool Speculative)
{
    public Jobs.JobsCommand.StartAttempt ToCommand(long at) => new(Task, Node, Locality, Speculative, at);
}
