using System.Globalization;

namespace Colony.Node.Dashboard;

/// <summary>Node health as the overview reports it.</summary>
public static class NodeHealth
{
    public const string Healthy = "healthy";
    public const string Unhealthy = "unhealthy";
    public const string Dead = "dead";
    public const string Unknown = "unknown";
}

/// <summary>The block health figures the storage alerts read (from the leader's fsck).</summary>
public sealed record BlockHealthCounts(int UnderReplicated, int Corrupt, int Missing);

/// <summary>A job that failed, and how long ago.</summary>
public sealed record JobFailure(string Id, string Name, string? Error, double SecondsAgo);

/// <summary>
/// Turns the overview's facts into alerts, most severe first. Pure, so each rule is tested on its own.
/// </summary>
public static class AlertRules
{
    public const string Critical = "critical";
    public const string Warning = "warning";

    /// <summary>Below this free fraction a disk is nearly full (warning); below half of it, critical.</summary>
    public const double NearlyFullFraction = 0.10;

    /// <summary>A node whose applied index trails the cluster's commit by more than this is lagging.</summary>
    public const ulong LagEntries = 10_000;

    /// <summary>A job that failed within this long is shown as an alert; older failures stay on the jobs page.</summary>
    public static readonly TimeSpan RecentFailure = TimeSpan.FromMinutes(15);

    /// <summary>At most this many failed jobs are named one by one; the rest are counted in one alert.</summary>
    public const int FailuresNamed = 3;

    public static IReadOnlyList<AlertView> Evaluate(IReadOnlyList<ClusterNodeView> nodes, ulong leader, ulong commit,
        BlockHealthCounts? blocks = null, IReadOnlyList<JobFailure>? failures = null)
    {
        var alerts = new List<AlertView>();
        var voters = nodes.Where(n => n.Voter).ToList();
        int reachableVoters = voters.Count(n => n.Health is NodeHealth.Healthy or NodeHealth.Unhealthy);
        int quorum = (voters.Count / 2) + 1;
        if (voters.Count > 0 && reachableVoters < quorum)
        {
            alerts.Add(new AlertView(Critical, "quorum-lost",
                Invariant($"quorum lost: {reachableVoters} of {voters.Count} voters answer, {quorum} are needed; writes stop until a majority is back")));
        }
        else if (leader == 0)
        {
            alerts.Add(new AlertView(Critical, "no-leader", "no leader: an election is under way or has failed"));
        }

        foreach (var node in nodes)
        {
            switch (node.Health)
            {
                case NodeHealth.Dead:
                    alerts.Add(new AlertView(Critical, "node-dead", node.SecondsSinceSeen is { } seconds
                        ? Invariant($"node {node.Id} is dead: not heard from for {seconds:0} s")
                        : Invariant($"node {node.Id} is dead: never heard from")));
                    break;
                case NodeHealth.Unhealthy:
                    alerts.Add(new AlertView(Warning, "node-unhealthy", Invariant($"node {node.Id} is unhealthy: it has no leader or is still catching up")));
                    break;
            }
            if (node.Summary is not { } summary || node.Health == NodeHealth.Dead)
            {
                continue;
            }
            double free = summary.Disk.FreeFraction;
            if (free < NearlyFullFraction)
            {
                alerts.Add(new AlertView(free < NearlyFullFraction / 2 ? Critical : Warning, "disk-full",
                    Invariant($"node {node.Id}'s disk is nearly full: {free:P0} free ({Bytes(summary.Disk.FreeBytes)} of {Bytes(summary.Disk.TotalBytes)})")));
            }
            if (commit > summary.Applied + LagEntries)
            {
                alerts.Add(new AlertView(Warning, "node-lagging", Invariant($"node {node.Id} trails the log by {commit - summary.Applied} entries")));
            }
        }
        if (blocks is { } b)
        {
            if (b.Missing > 0)
            {
                alerts.Add(new AlertView(Critical, "blocks-missing",
                    Invariant($"{b.Missing} {Plural(b.Missing, "block has", "blocks have")} no replica on a live node: their files cannot be read (colony fs fsck lists them)")));
            }
            if (b.Corrupt > 0)
            {
                alerts.Add(new AlertView(Critical, "blocks-corrupt",
                    Invariant($"{b.Corrupt} {Plural(b.Corrupt, "block has", "blocks have")} only corrupt replicas: their files cannot be read (colony fs fsck lists them)")));
            }
            if (b.UnderReplicated > 0)
            {
                alerts.Add(new AlertView(Warning, "blocks-under-replicated",
                    Invariant($"{b.UnderReplicated} {Plural(b.UnderReplicated, "block has", "blocks have")} fewer replicas than wanted; the leader is copying them")));
            }
        }
        var recent = (failures ?? []).Where(f => f.SecondsAgo <= RecentFailure.TotalSeconds).OrderBy(f => f.SecondsAgo).ToList();
        foreach (var failure in recent.Take(FailuresNamed))
        {
            alerts.Add(new AlertView(Warning, "job-failed", Invariant($"job {failure.Id} ({failure.Name}) failed {Ago(failure.SecondsAgo)}")
                + (failure.Error is { Length: > 0 } error ? ": " + error : "")));
        }
        if (recent.Count > FailuresNamed)
        {
            alerts.Add(new AlertView(Warning, "job-failed", Invariant($"{recent.Count - FailuresNamed} more jobs failed in the last {RecentFailure.TotalMinutes:0} minutes")));
        }
        // Stable: within a severity, alerts keep the order above (cluster, nodes, blocks, jobs).
        return [.. alerts.OrderBy(a => a.Severity == Critical ? 0 : 1)];
    }

    /// <summary>A byte count for people: 1.5 GiB, 300 MiB.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? Invariant($"{bytes} B") : Invariant($"{value:0.#} {units[unit]}");
    }

    private static string Plural(int count, string one, string many) => count == 1 ? one : many;

    private static string Ago(double seconds) => seconds < 90
        ? Invariant($"{seconds:0} s ago")
        : Invariant($"{seconds / 60:0} min ago");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
