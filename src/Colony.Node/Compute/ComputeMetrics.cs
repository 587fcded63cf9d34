using System.Diagnostics;
using System.Diagnostics.Metrics;
using Colony.Compute.Jobs;
using Colony.Node.Diagnostics;

namespace Colony.Node.Compute;

/// <summary>
/// The compute service's metrics: jobs and tasks by state, from the replicated state (so any node reports
/// them), the bytes this node has served to the shuffle, and whether its tasks run as the task user.
/// </summary>
public sealed class ComputeMetrics
{
    public ComputeMetrics(NodeMetrics metrics, JobsService jobs, TaskSandbox sandbox)
    {
        var identity = sandbox.Identity;
        metrics.Meter.CreateObservableGauge("colony.compute.task_isolation", () => new Measurement<long>(identity.Isolated ? 1 : 0,
            new KeyValuePair<string, object?>("user", identity.Account?.Name ?? "node")),
            "{bool}", "1 when this node's tasks run as the task user (Compute:TaskUser), 0 when they run as the node's own user.");
        ShuffleBytes = metrics.Meter.CreateCounter<long>("colony.compute.shuffle.bytes", "By", "Map output bytes this node served to reduces.");
        metrics.Meter.CreateObservableGauge("colony.compute.jobs", () => jobs.Read(s => s.Jobs.GroupBy(j => j.State)
            .Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("state", g.Key.ToString().ToLowerInvariant()))).ToArray()),
            "{job}", "Jobs known to the cluster, by state.");
        metrics.Meter.CreateObservableGauge("colony.compute.tasks", () => jobs.Read(s => s.Jobs.Where(j => !j.IsFinished).SelectMany(j => j.Tasks)
            .GroupBy(t => (t.Id.Kind, t.State))
            .Select(g => new Measurement<long>(g.Count(), new TagList
            {
                { "kind", g.Key.Kind == TaskKind.Map ? "map" : "reduce" },
                { "state", g.Key.State.ToString().ToLowerInvariant() },
            })).ToArray()),
            "{task}", "Tasks of unfinished jobs, by kind and state.");
    }

    public Counter<long> ShuffleBytes { get; }
}
