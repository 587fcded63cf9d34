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

/// <summary>
/// Turns the overview's facts into alerts, most severe first. Pure, so each rule is tested on its own;
/// storage and job rules join as those parts land.
/// </summary>
public static class AlertRules
{
    public const string Critical = "critical";
    public const string Warning = "warning";

    /// <summary>Below this free fraction a disk is nearly full (warning); below half of it, critical.</summary>
    public const double NearlyFullFraction = 0.10;

    /// <summary>A node whose applied index trails the cluster's commit by more than this is lagging.</summary>
    public const ulong LagEntries = 10_000;

    public static IReadOnlyList<AlertView> Evaluate(IReadOnlyList<ClusterNodeView> nodes, ulong leader, ulong commit)
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

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
