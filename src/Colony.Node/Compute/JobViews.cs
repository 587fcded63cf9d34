using Colony.Client.Jobs;
using Colony.Compute.Jobs;

namespace Colony.Node.Compute;

/// <summary>The Jobs module's state as the job API shows it, with the running attempts' progress from the tracker.</summary>
internal static class JobViews
{
    public static JobSummary Summary(JobView job, Func<AttemptId, double> progressOf) => new(
        job.Id.ToString(), job.Spec.Name, job.Spec.User, StateName(job.State), job.Spec.Priority, job.SubmittedAt, job.FinishedAt,
        job.Spec.Inputs, job.Spec.Output, job.Maps.Count, job.MapsSucceeded, job.Reduces.Count, job.ReducesSucceeded,
        job.Maps.Concat(job.Reduces).Sum(t => t.Attempts.Count(a => a.State == AttemptState.Running)),
        job.Maps.Concat(job.Reduces).Sum(t => t.Attempts.Count(a => a.State == AttemptState.Failed)),
        Progress(job.Maps, progressOf), Progress(job.Reduces, progressOf), job.DataLocalFraction, job.Error);

    public static JobDetail Detail(JobView job, Func<AttemptId, double> progressOf) => new(
        Summary(job, progressOf), job.Counters,
        [.. job.Maps.Concat(job.Reduces).Select(t => Task(t, progressOf))]);

    private static TaskDetail Task(TaskView task, Func<AttemptId, double> progressOf) => new(
        task.Id.ToString(), task.Id.Kind == TaskKind.Map ? "map" : "reduce", TaskStateName(task.State), TaskProgress(task, progressOf),
        task.Split is { } s ? $"{s.Path}:{s.Offset}+{s.Length}" : null,
        [.. task.Attempts.Select(a => new AttemptDetail(a.Id.ToString(), a.Node.Value, AttemptStateName(a.State), a.StartedAt, a.FinishedAt,
            a.Speculative, a.Locality.ToString(), a.State == AttemptState.Running ? progressOf(a.Id) : a.State == AttemptState.Succeeded ? 1 : 0,
            a.Error, a.Counters))]);

    /// <summary>The done share of a phase: finished tasks count whole, running ones by their best attempt.</summary>
    private static double Progress(IReadOnlyList<TaskView> tasks, Func<AttemptId, double> progressOf) =>
        tasks.Count == 0 ? 1 : tasks.Sum(t => TaskProgress(t, progressOf)) / tasks.Count;

    private static double TaskProgress(TaskView task, Func<AttemptId, double> progressOf) => task.State switch
    {
        TaskState.Succeeded => 1,
        TaskState.Running => task.Attempts.Where(a => a.State == AttemptState.Running).Select(a => progressOf(a.Id)).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    public static string StateName(JobState state) => state switch
    {
        JobState.Running => JobStates.Running,
        JobState.Committing => JobStates.Committing,
        JobState.Succeeded => JobStates.Succeeded,
        JobState.Failed => JobStates.Failed,
        _ => JobStates.Killed,
    };

    private static string TaskStateName(TaskState state) => state.ToString().ToLowerInvariant();

    private static string AttemptStateName(AttemptState state) => state.ToString().ToLowerInvariant();
}
