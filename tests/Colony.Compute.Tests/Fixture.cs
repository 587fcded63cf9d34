using System.Globalization;
using System.Text;
using Colony.Compute.Jobs;
using Colony.Core;

namespace Colony.Compute.Tests;

/// <summary>Builds jobs and drives them through commands, asserting each one is accepted.</summary>
internal static class Fixture
{
    public static JobSpec Spec(int reducers = 1, int priority = 0, string name = "wordcount") =>
        new(name, "ann", priority, ["/in"], "/out", reducers, new Dictionary<string, string> { ["mapper"] = "words", ["combine"] = "yes" });

    public static InputSplit Split(int index, params ulong[] hosts) =>
        new("/in/part", index * 128L, 128, [.. hosts.Select(h => new NodeId(h))]);

    /// <summary>Submits a job with <paramref name="maps"/> maps; map i's split is on <paramref name="hosts"/>(i) (default: none).</summary>
    public static JobId Submit(JobsState state, int maps, int reducers, int priority = 0, Func<int, ulong[]>? hosts = null, long at = 1000)
    {
        var splits = Enumerable.Range(0, maps).Select(i => Split(i, hosts?.Invoke(i) ?? [])).ToList();
        var result = state.Apply(new JobsCommand.Submit(Spec(reducers, priority), splits, at));
        Assert.True(result.Ok, result.ToString());
        return result.Job!.Value;
    }

    public static TaskId Map(JobId job, int index) => new(job, TaskKind.Map, index);

    public static TaskId Reduce(JobId job, int index) => new(job, TaskKind.Reduce, index);

    public static AttemptId Start(JobsState state, TaskId task, ulong node, bool speculative = false, long at = 2000, Locality locality = Locality.NodeLocal)
    {
        var result = state.Apply(new JobsCommand.StartAttempt(task, node, locality, speculative, at));
        Assert.True(result.Ok, result.ToString());
        return result.Attempt!.Value;
    }

    public static JobsResult Succeed(JobsState state, AttemptId attempt, long at = 3000, string? output = null, long records = 1) =>
        state.Apply(new JobsCommand.AttemptSucceeded(attempt, output ?? $"http://node/{attempt}", new Dictionary<string, long> { ["records"] = records }, at));

    public static JobsResult Fail(JobsState state, AttemptId attempt, string error = "boom", long at = 3000) =>
        state.Apply(new JobsCommand.AttemptFailed(attempt, error, at));

    /// <summary>Runs every task of the job to success on node 1.</summary>
    public static void RunAll(JobsState state, JobId job)
    {
        foreach (var task in state.Find(job)!.Tasks.ToList())
        {
            Assert.True(Succeed(state, Start(state, task.Id, 1)).Ok);
        }
    }

    /// <summary>Every observable field of the state, in a fixed order: equal states give equal dumps.</summary>
    public static string Dump(JobsState state)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"next {state.NextJobId}\n");
        foreach (var job in state.Jobs)
        {
            var spec = job.Spec;
            s.Append(CultureInfo.InvariantCulture, $"{job.Id} {job.State} {job.SubmittedAt} {job.FinishedAt} [{job.Error}] {spec.Name} {spec.User} p{spec.Priority} ");
            s.Append(CultureInfo.InvariantCulture, $"{string.Join(',', spec.Inputs)} {spec.Output} r{spec.Reducers} ");
            s.Append(string.Join(',', spec.Settings.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
            s.Append(CultureInfo.InvariantCulture, $" excluded {string.Join(',', job.ExcludedNodes)} counters ");
            s.Append(string.Join(',', job.Counters.Select(kv => $"{kv.Key}={kv.Value}")));
            s.Append(CultureInfo.InvariantCulture, $" maps {job.MapsSucceeded} reduces {job.ReducesSucceeded} local {job.DataLocalFraction}\n");
            foreach (var task in job.Tasks)
            {
                s.Append(CultureInfo.InvariantCulture, $"  {task.Id} {task.State} committed {task.Committed} succeeded {task.Succeeded?.Id}");
                if (task.Split is { } split)
                {
                    s.Append(CultureInfo.InvariantCulture, $" split {split.Path}@{split.Offset}+{split.Length} on {string.Join(',', split.Hosts)}");
                }
                s.Append('\n');
                foreach (var a in task.Attempts)
                {
                    s.Append(CultureInfo.InvariantCulture, $"    {a.Id} {a.Node} {a.State} {a.StartedAt}-{a.FinishedAt} spec {a.Speculative} {a.Locality} [{a.Error}] [{a.Output}] ");
                    s.Append(string.Join(',', a.Counters.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
                    s.Append('\n');
                }
            }
        }
        return s.ToString();
    }
}
