using Colony.FaultTests.Bed;
using Colony.FaultTests.Campaigns;

namespace Colony.FaultTests.Workloads;

/// <summary>The workloads a campaign can run beside the register, each with clients and checkers of its own.</summary>
public enum WorkloadKind
{
    /// <summary>Clients take the exclusive lock and write to a resource fenced by the lock's token.</summary>
    Locks,

    /// <summary>Sessions that create ephemerals and then close, or vanish and expire.</summary>
    Ephemerals,

    /// <summary>Word-count jobs, one after another, whose output must equal the count computed here.</summary>
    Compute,

    /// <summary>Files written through the file system and read back after the heal.</summary>
    Storage,
}

/// <summary>A workload run alongside the register clients, under the same faults.</summary>
public interface IFaultWorkload
{
    WorkloadKind Kind { get; }

    /// <summary>Before the faults: create what the clients share.</summary>
    Task PrepareAsync(TestBed bed);

    /// <summary>Runs the clients until <paramref name="stop"/> is cancelled.</summary>
    Task RunAsync(TestBed bed, CancellationToken stop);

    /// <summary>After the final heal: final reads through every node, then the checkers.</summary>
    Task<WorkloadResult> CheckAsync(TestBed bed);
}

/// <summary>
/// What a workload did and what its checkers found. "Acknowledged" counts what the system promised
/// (a lock granted, an ephemeral or file created); "lost" counts promises it then broke, and must be 0.
/// </summary>
public sealed record WorkloadResult(
    WorkloadKind Kind, long Attempted, long Acknowledged, long Lost, IReadOnlyList<CheckerVerdict> Verdicts, IReadOnlyList<string> Notes)
{
    public int Violations => Verdicts.Count(v => !v.Valid);

    /// <summary>The one line per workload that the matrix script reads.</summary>
    public string Summary => $"workload {Kind.ToString().ToLowerInvariant()}: {Attempted} attempted, {Acknowledged} acknowledged, {Lost} lost, {Violations} violations";
}
