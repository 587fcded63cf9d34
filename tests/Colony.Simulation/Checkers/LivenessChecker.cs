namespace Colony.Simulation.Checkers;

/// <summary>
/// Liveness after healing: within a budget of virtual time the cluster must elect a leader, commit a
/// fresh write, read it back, and bring every member up to that write.
/// </summary>
internal sealed class LivenessChecker(long healedAt, long budget)
{
    public long HealedAt { get; } = healedAt;

    public long Deadline { get; } = healedAt + budget;

    public long? LeaderAt { get; private set; }

    public long? WriteCommittedAt { get; private set; }

    public long? ReadBackAt { get; private set; }

    public long? ConvergedAt { get; private set; }

    public bool Satisfied => ConvergedAt is not null;

    public void OnLeader(long now) => LeaderAt ??= now;

    public void OnWriteCommitted(long now) => WriteCommittedAt ??= now;

    /// <summary>A read invoked after the write committed has returned.</summary>
    public void OnReadBack(long now)
    {
        if (WriteCommittedAt is not null)
        {
            ReadBackAt ??= now;
        }
    }

    /// <summary>Every member has applied the committed write.</summary>
    public void OnConverged(long now)
    {
        if (ReadBackAt is not null)
        {
            ConvergedAt ??= now;
        }
    }

    /// <summary>The verdict once the deadline passed (or the run ended); <paramref name="cluster"/> describes the nodes for the report.</summary>
    public Violation? Verdict(long now, string cluster)
    {
        if (Satisfied)
        {
            return null;
        }
        string missing = LeaderAt is null ? "no leader"
            : WriteCommittedAt is null ? "no write committed"
            : ReadBackAt is null ? "the committed write was not read back"
            : "members did not catch up";
        return new Violation(ViolationKind.Liveness,
            $"{missing} within {Scheduling.Time.Format(Deadline - HealedAt)}ms of healing; {cluster}", now);
    }
}
