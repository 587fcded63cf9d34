using Colony.Compute.Scheduling;

namespace Colony.Node.Compute;

/// <summary>The compute service's settings, from the "Colony:Compute" configuration section.</summary>
public sealed class ComputeOptions
{
    public const string SectionName = "Colony:Compute";

    /// <summary>Whether this node runs tasks. The leader schedules jobs either way.</summary>
    public bool Worker { get; set; } = true;

    /// <summary>
    /// The cores this node's tasks may use; 0 means all of the machine's. Several nodes on one machine (a local
    /// cluster) share its cores: <c>colony up</c> gives each its share.
    /// </summary>
    public int Cores { get; set; }

    /// <summary>Map slots; 0 derives them from the node's cores and the machine's memory.</summary>
    public int MapSlots { get; set; }

    /// <summary>Reduce slots; 0 derives them from the machine's cores and memory.</summary>
    public int ReduceSlots { get; set; }

    /// <summary>A worker silent this long is lost: its running attempts and its map outputs are run again elsewhere.</summary>
    public long WorkerTimeoutMs { get; set; } = 10_000;

    /// <summary>An attempt whose progress has not moved for this long has hung: it fails, and is retried.</summary>
    public long ProgressTimeoutMs { get; set; } = 60_000;

    /// <summary>Whether stragglers get a backup attempt.</summary>
    public bool Speculation { get; set; } = true;

    /// <summary>How long an attempt runs before it may be judged a straggler and given a backup.</summary>
    public long SpeculativeAfterMs { get; set; } = 10_000;

    /// <summary>The share of a job's maps that must be done before its reduces start (they fetch while the rest finish).</summary>
    public double ReduceSlowStart { get; set; } = 0.8;

    /// <summary>The heap limit of each executor process, in bytes; 0 leaves the runtime's default. A task that needs more fails.</summary>
    public long ExecutorMemoryLimitBytes { get; set; }

    /// <summary>The command that starts an executor, split on spaces; empty runs this node's own program with "executor".</summary>
    public string? ExecutorCommand { get; set; }

    /// <summary>
    /// Whether an idle worker keeps one executor started and warmed up for the next job. It costs one idle
    /// process per worker; it saves each job the executor's start and the compilation of the engine's code.
    /// </summary>
    public bool WarmExecutor { get; set; } = true;

    /// <summary>
    /// The operating-system user executors (and so every task and streaming command) run as, when the node runs as
    /// root: they then cannot read the node's files. Empty runs them as the node's own user. A node that is not root
    /// cannot switch users: it warns and runs tasks as itself, unless <see cref="RequireTaskIsolation"/> is on.
    /// </summary>
    public string? TaskUser { get; set; } = "nobody";

    /// <summary>Refuse to start a worker that cannot run tasks as <see cref="TaskUser"/>, instead of running them as the node's user.</summary>
    public bool RequireTaskIsolation { get; set; }

    /// <summary>
    /// Where executors' work directories live (a job's shipped files, its map outputs, the executor's home and
    /// temporary files). Empty: <c>DataDir/compute</c> when tasks run as the node's user; when they run as
    /// <see cref="TaskUser"/>, a fresh directory in the system's temporary directory, as the task user cannot
    /// enter the data directory (mode 0700). Every directory above it must be searchable by the task user.
    /// </summary>
    public string? TaskDirectory { get; set; }

    /// <summary>The map-side sort buffer of each task, in bytes.</summary>
    public long SortBufferBytes { get; set; } = 64L * 1024 * 1024;

    public SchedulerOptions Scheduler => new()
    {
        ProgressTimeoutMs = ProgressTimeoutMs,
        Speculation = Speculation,
        SpeculativeMinRunMs = SpeculativeAfterMs,
        ReduceSlowStart = ReduceSlowStart,
    };

    public void Validate()
    {
        if (Cores < 0 || MapSlots < 0 || ReduceSlots < 0 || WorkerTimeoutMs <= 0 || ProgressTimeoutMs <= 0 || SpeculativeAfterMs < 0 || ReduceSlowStart is < 0 or > 1 || ExecutorMemoryLimitBytes < 0 || SortBufferBytes < 1024 * 1024)
        {
            throw new InvalidOperationException("invalid configuration: Colony:Compute needs non-negative slots, positive timeouts, ReduceSlowStart in [0, 1] and SortBufferBytes of at least 1 MiB");
        }
    }
}
