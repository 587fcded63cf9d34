using Colony.Compute.Jobs;
using Colony.Node.FileSystem;
using Colony.Storage.Namespace;

namespace Colony.Node.Compute;

/// <summary>
/// Moves a finished job's output into place, through namespace commands on the leader. Each task's winning
/// attempt wrote to <c>OUTPUT/_temporary/ATTEMPT/part-NNNNN</c>; its rename to <c>OUTPUT/part-NNNNN</c> is the commit,
/// recorded per task, so only the attempt the log chose is ever committed, and a new leader finishes a
/// commit the old one began. <c>_SUCCESS</c> marks the end.
/// </summary>
public sealed class JobCommitter(NamespaceService names)
{
    public const string TemporaryDirectory = "_temporary";
    public const string SuccessMarker = "_SUCCESS";
    private const string Holder = "colony-jobs";

    /// <summary>The temporary path an attempt writes its part to.</summary>
    public static string TemporaryPart(string output, string attempt, int index) =>
        $"{output.TrimEnd('/')}/{TemporaryDirectory}/{attempt}/{PartName(index)}";

    public static string PartName(int index) => $"part-{index:D5}";

    /// <summary>Commits every task's output and marks the job done. Returns an error when the output cannot be committed.</summary>
    public async Task<string?> CommitAsync(JobView job, long now, Func<JobsCommand, Task<JobsResult?>>? record = null)
    {
        string output = job.Spec.Output.TrimEnd('/');
        var tasks = job.Spec.Reducers > 0 ? job.Reduces : job.Maps;
        foreach (var task in tasks.Where(t => !t.Committed))
        {
            string target = $"{output}/{PartName(task.Id.Index)}";
            string? source = task.Succeeded?.Output;
            bool sourceThere = source is not null && names.Read(t => t.Stat(source)) is { IsDirectory: false };
            if (sourceThere)
            {
                var renamed = await names.ExecuteAsync(new NamespaceCommand.Rename(source!, target, false, now)).ConfigureAwait(false);
                if (!renamed.IsOk && names.Read(t => t.Stat(target)) is null)
                {
                    return $"could not commit {task.Id}: {renamed}";
                }
            }
            else if (names.Read(t => t.Stat(target)) is null)
            {
                return $"the output of {task.Id} is missing ({source ?? "no path"})";
            }
            if (record is not null)
            {
                await record(new JobsCommand.CommitTask(task.Id, now)).ConfigureAwait(false);
            }
        }
        if (names.Read(t => t.Stat($"{output}/{SuccessMarker}")) is null)
        {
            var created = await names.ExecuteAsync(new NamespaceCommand.Create($"{output}/{SuccessMarker}", Holder, job.Spec.User, job.Spec.User,
                0x1A4, 1, 64L * 1024 * 1024, true, true, now)).ConfigureAwait(false); // 0644
            if (created.IsOk)
            {
                await names.ExecuteAsync(new NamespaceCommand.Complete($"{output}/{SuccessMarker}", Holder, now)).ConfigureAwait(false);
            }
        }
        await DeleteTemporaryAsync(output, now).ConfigureAwait(false);
        return null;
    }

    /// <summary>Removes the attempts' temporary output of a job that failed or was killed.</summary>
    public Task AbortAsync(JobView job, long now) => DeleteTemporaryAsync(job.Spec.Output.TrimEnd('/'), now);

    private async Task DeleteTemporaryAsync(string output, long now)
    {
        string temporary = $"{output}/{TemporaryDirectory}";
        if (names.Read(t => t.Stat(temporary)) is not null)
        {
            await names.ExecuteAsync(new NamespaceCommand.Delete(temporary, true, now)).ConfigureAwait(false);
        }
    }
}
