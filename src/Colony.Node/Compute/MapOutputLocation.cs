using Colony.Compute.Jobs;

namespace Colony.Node.Compute;

/// <summary>
/// Where a worker keeps a job's files: <c>ROOT/JOB/</c> (ROOT is <see cref="TaskSandbox.Root"/>) holds the job's shipped files under
/// <c>files/</c> and each attempt's scratch and output under <c>ATTEMPT/</c>; a map's output is
/// <c>map.out</c> with its partition index <c>map.index</c>. The executor writes there and the node serves it.
/// </summary>
internal readonly record struct MapOutputLocation(string Directory, string Data, string Index)
{
    public static string JobDirectory(string root, string job) => Path.Combine(root, job);

    public static MapOutputLocation Of(string root, AttemptId attempt) => In(JobDirectory(root, attempt.Task.Job.ToString()), attempt.ToString());

    public static MapOutputLocation In(string jobDirectory, string attempt)
    {
        string directory = Path.Combine(jobDirectory, attempt);
        return new MapOutputLocation(directory, Path.Combine(directory, "map.out"), Path.Combine(directory, "map.index"));
    }
}
