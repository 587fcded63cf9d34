using Colony.Core;

namespace Colony.Compute.Jobs;

/// <summary>
/// A job as the replicated state holds it. Read-only to everyone but <see cref="JobsState"/>, which changes
/// it only while applying a command: read it on the apply loop.
/// </summary>
public sealed class JobView
{
    internal JobView(JobId id, JobSpec spec, long submittedAt)
    {
        Id = id;
        Spec = spec;
        SubmittedAt = submittedAt;
    }

    public JobId Id { get; }

    public JobSpec Spec { get; }

    public JobState State { get; internal set; } = JobState.Running;

    public long SubmittedAt { get; }

    public long? FinishedAt { get; internal set; }

    /// <summary>Why the job failed or was killed.</summary>
    public string? Error { get; internal set; }

    public IReadOnlyList<TaskView> Maps => MapList;

    public IReadOnlyList<TaskView> Reduces => ReduceList;

    /// <summary>Nodes that failed too many of this job's attempts: none of its tasks may start there.</summary>
    public IReadOnlySet<NodeId> ExcludedNodes => Excluded;

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Killed;

    /// <summary>Each counter summed over every task's succeeded attempt, in ordinal name order.</summary>
    public IReadOnlyDictionary<string, long> Counters
    {
        get
        {
            var sums = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var task in MapList.Concat(ReduceList))
            {
                foreach (var (name, value) in task.Succeeded?.Counters ?? EmptyCounters)
                {
                    sums[name] = sums.GetValueOrDefault(name) + value;
                }
            }
            return sums;
        }
    }

    public int MapsSucceeded => MapList.Count(t => t.State == TaskState.Succeeded);

    public int ReducesSucceeded => ReduceList.Count(t => t.State == TaskState.Succeeded);

    /// <summary>The node-local share of this job's succeeded map attempts; 0 when there are none.</summary>
    public double DataLocalFraction
    {
        get
        {
            int succeeded = 0, local = 0;
            foreach (var attempt in MapList.SelectMany(t => t.AttemptList).Where(a => a.State == AttemptState.Succeeded))
            {
                succeeded++;
                local += attempt.Locality == Locality.NodeLocal ? 1 : 0;
            }
            return succeeded == 0 ? 0 : (double)local / succeeded;
        }
    }

    public IEnumerable<TaskView> Tasks => MapList.Concat(ReduceList);

    /// <summary>The task with this kind and index, or null.</summary>
    public TaskView? Task(TaskKind kind, int index)
    {
        var list = kind == TaskKind.Map ? MapList : ReduceList;
        return index >= 0 && index < list.Count ? list[index] : null;
    }

    public override string ToString() => $"{Id} {State} '{Spec.Name}'";

    internal static readonly IReadOnlyDictionary<string, long> EmptyCounters = new Dictionary<string, long>();

    internal List<TaskView> MapList { get; } = [];

    internal List<TaskView> ReduceList { get; } = [];

    internal SortedSet<NodeId> Excluded { get; } = [];
}

/// <summary>One task of a job and its attempts, oldest first.</summary>
public sealed class TaskView
{
    internal TaskView(TaskId id, InputSplit? split)
    {
        Id = id;
        Split = split;
    }

    public TaskId Id { get; }

    /// <summary>A map's input; null for a reduce.</summary>
    public InputSplit? Split { get; }

    public TaskState State { get; internal set; } = TaskState.Pending;

    public IReadOnlyList<AttemptView> Attempts => AttemptList;

    /// <summary>The attempt whose output counts, once one has succeeded.</summary>
    public AttemptView? Succeeded { get; internal set; }

    /// <summary>Its output was renamed into place while the job committed.</summary>
    public bool Committed { get; internal set; }

    public int FailedAttempts => AttemptList.Count(a => a.State == AttemptState.Failed);

    public IEnumerable<AttemptView> RunningAttempts => AttemptList.Where(a => a.State == AttemptState.Running);

    public override string ToString() => $"{Id} {State}";

    internal List<AttemptView> AttemptList { get; } = [];
}

/// <summary>One attempt of a task on one node.</summary>
public sealed class AttemptView
{
    internal AttemptView(AttemptId id, NodeId node, long startedAt, bool speculative, Locality locality)
    {
        Id = id;
        Node = node;
        StartedAt = startedAt;
        Speculative = speculative;
        Locality = locality;
    }

    public AttemptId Id { get; }

    public NodeId Node { get; }

    public AttemptState State { get; internal set; } = AttemptState.Running;

    public long StartedAt { get; }

    public long? FinishedAt { get; internal set; }

    /// <summary>A backup started for a straggler.</summary>
    public bool Speculative { get; }

    public Locality Locality { get; }

    /// <summary>Why it failed or was killed.</summary>
    public string? Error { get; internal set; }

    public IReadOnlyDictionary<string, long> Counters { get; internal set; } = JobView.EmptyCounters;

    /// <summary>
    /// Once succeeded: for a map of a job with reducers, the base URL its node serves the map output from;
    /// for a reduce or a map-only job's map, the temporary file-system path of its output.
    /// </summary>
    public string? Output { get; internal set; }

    public override string ToString() => $"{Id} on {Node} {State}";
}
