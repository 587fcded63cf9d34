using System.Globalization;
using System.Text;
using Colony.FaultTests.Nemeses;
using Colony.FaultTests.Workloads;

namespace Colony.FaultTests.Campaigns;

/// <summary>One checker's verdict.</summary>
public sealed record CheckerVerdict(string Checker, bool Valid, string Detail)
{
    public override string ToString() => $"{Checker}: {(Valid ? "valid" : "VIOLATION")}: {Detail}";
}

/// <summary>The longest time the register clients of one client host got no answer.</summary>
public sealed record ClientHostGap(int Host, int Beside, double Milliseconds);

/// <summary>Everything a campaign found, and its report.</summary>
public sealed class CampaignResult
{
    public required int Seed { get; init; }

    public required IReadOnlyList<NemesisStep> Schedule { get; init; }

    public required NemesisLog Nemesis { get; init; }

    public required OperationCounts Counts { get; init; }

    public required long Acknowledged { get; init; }

    public required int LostWrites { get; init; }

    public required IReadOnlyList<CheckerVerdict> Verdicts { get; init; }

    public required bool NetemAvailable { get; init; }

    /// <summary>The longest time during the run in which no client got an operation answered: the worst unavailability clients saw.</summary>
    public required double LongestGapMilliseconds { get; init; }

    /// <summary>Per client host, the longest time its register clients got no answer (<see cref="Availability.LongestGapPerHost"/>).</summary>
    public IReadOnlyList<ClientHostGap> HostGaps { get; init; } = [];

    public string? KeptIn { get; init; }

    /// <summary>The workloads run beside the register.</summary>
    public IReadOnlyList<WorkloadResult> Workloads { get; init; } = [];

    public bool Valid => Verdicts.All(v => v.Valid);

    public int Violations => Verdicts.Count(v => !v.Valid);

    public double FailoverPercentile(double p)
    {
        var sorted = Nemesis.FailoverMilliseconds.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public string Report()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"fault campaign, seed {Seed}");
        text.AppendLine("schedule:");
        foreach (var step in Schedule)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {step}");
        }
        text.AppendLine("what happened:");
        foreach (var line in Nemesis.Events)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {line}");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"operations: {Counts}; {Acknowledged} writes acknowledged, {LostWrites} lost");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"workload register: {Counts.Attempted} attempted, {Acknowledged} acknowledged, {LostWrites} lost, {Verdicts.Count(v => !v.Valid && !Workloads.Any(w => w.Verdicts.Contains(v)))} violations");
        foreach (var workload in Workloads)
        {
            text.AppendLine(workload.Summary);
            foreach (var note in workload.Notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {note}");
            }
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"longest time with no operation answered: {LongestGapMilliseconds:0} ms");
        if (HostGaps.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"longest time with no answer, per client host: {string.Join(", ", HostGaps.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Host} (beside node {g.Beside}) {g.Milliseconds:N0} ms")))}");
        }
        var failovers = Nemesis.FailoverMilliseconds;
        text.AppendLine(failovers.Count == 0
            ? "leader failover: no leader isolated in this run"
            : string.Create(CultureInfo.InvariantCulture,
                $"leader failover over {failovers.Count} isolation(s): p50 {FailoverPercentile(50):0} ms, p99 {FailoverPercentile(99):0} ms (each: {string.Join(", ", failovers.Select(f => f.ToString("0", CultureInfo.InvariantCulture)))})"));
        foreach (var mechanism in Nemesis.LinkMechanisms)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"link faults made with: {mechanism}");
        }
        text.AppendLine(NetemAvailable
            ? "netem: available (Lossy and SlowNetwork use it)"
            : "netem: UNAVAILABLE (the kernel has no sch_netem): Lossy drops with nftables, SlowNetwork caps with tbf; no packet is reordered, nor delayed unless a cap is reached");
        text.AppendLine("checkers:");
        foreach (var verdict in Verdicts)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {verdict}");
        }
        text.AppendLine(Valid ? "verdict: VALID" : $"verdict: {Violations} VIOLATION(S)");
        if (KeptIn is not null)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"history and node logs kept in {KeptIn}");
        }
        return text.ToString();
    }
}
