using Colony.Core;

namespace Colony.Compute.Jobs;

/// <summary>
/// The replicated jobs: every job with its tasks and their attempts, so that a new leader resumes running
/// jobs where the old one left them. Changed only by <see cref="Apply"/>, deterministically: ids come from
/// a counter, times from the commands.
/// </summary>
/// <remarks>
/// Rules (the tracker and scheduler rely on them):
/// <list type="bullet">
/// <item>A task has at most <see cref="MaxAttempts"/> failed attempts: the one that makes it so fails the
/// job ("task … failed 4 times; last error: …"). Killed attempts are not failures.</item>
/// <item>A node that failed <see cref="ExcludeAfterFailures"/> of a job's attempts is excluded for that
/// job, unless that would exclude more than half of the distinct nodes the job has run attempts on: the
/// state does not know the cluster, and so never excludes the only node (or most nodes) a job has.</item>
/// <item>The first success of a task wins; its other running attempts are killed ("superseded by aN").</item>
/// <item>When every task has succeeded the job moves to Committing; the tracker then commits each task's
/// output and finishes the job.</item>
/// <item>At most <see cref="DefaultMaxFinishedJobs"/> finished jobs are kept: a Submit first drops the
/// oldest (lowest id) finished ones beyond that.</item>
/// </list>
/// </remarks>
public sealed partial class JobsState
{
    /// <summary>Failed attempts that fail a task, and with it the job.</summary>
    public const int MaxAttempts = 4;

    /// <summary>Failed attempts of one job on one node that exclude the node for the job.</summary>
    public const int ExcludeAfterFailures = 3;

    public const int DefaultMaxFinishedJobs = 1000;

    private readonly int _maxFinishedJobs;
    private SortedDictionary<JobId, JobView> _jobs = [];
    private List<JobView>? _ordered;

    public JobsState()
        : this(DefaultMaxFinishedJobs)
    {
    }

    internal JobsState(int maxFinishedJobs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFinishedJobs);
        _maxFinishedJobs = maxFinishedJobs;
    }

    /// <summary>The id the next Submit gets.</summary>
    public ulong NextJobId { get; private set; } = 1;

    /// <summary>Every retained job, in id order.</summary>
    public IReadOnlyList<JobView> Jobs => _ordered ??= [.. _jobs.Values];

    /// <summary>Jobs still Running or Committing, in id order.</summary>
    public IEnumerable<JobView> ActiveJobs => _jobs.Values.Where(j => !j.IsFinished);

    public JobView? Find(JobId id) => _jobs.GetValueOrDefault(id);

    public TaskView? Find(TaskId id) => Find(id.Job)?.Task(id.Kind, id.Index);

    public AttemptView? Find(AttemptId id)
    {
        var task = Find(id.Task);
        return task is not null && id.Number >= 1 && id.Number <= task.AttemptList.Count ? task.AttemptList[id.Number - 1] : null;
    }

    /// <summary>Every running attempt, in attempt id order.</summary>
    public IEnumerable<AttemptView> RunningAttempts() =>
        ActiveJobs.SelectMany(j => j.Tasks).SelectMany(t => t.AttemptList).Where(a => a.State == AttemptState.Running);

    /// <summary>The running attempts on one node, in attempt id order.</summary>
    public IEnumerable<AttemptView> RunningAttemptsOn(NodeId node) => RunningAttempts().Where(a => a.Node == node);
}
