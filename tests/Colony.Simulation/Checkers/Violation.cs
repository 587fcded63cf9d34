namespace Colony.Simulation.Checkers;

/// <summary>The property a run broke.</summary>
internal enum ViolationKind
{
    /// <summary>Two leaders in one term.</summary>
    ElectionSafety,

    /// <summary>Two logs hold the same index and term with different entries or different histories.</summary>
    LogMatching,

    /// <summary>A leader took office without an entry committed in an earlier term.</summary>
    LeaderCompleteness,

    /// <summary>Two nodes applied different entries at one index, applied out of order, or diverged in state.</summary>
    StateMachineSafety,

    /// <summary>The clients' history has no linearization.</summary>
    Linearizability,

    /// <summary>After healing, the cluster did not elect a leader, serve a write and a read, or converge in time.</summary>
    Liveness,

    /// <summary>A component threw: a broken invariant, a storage contract misuse, or a crash in the simulator itself.</summary>
    Exception,
}

/// <summary>A property the run broke, when (virtual time) and how.</summary>
internal sealed record Violation(ViolationKind Kind, string Detail, long AtMicros)
{
    /// <summary>A longer explanation for a person replaying the seed (e.g. the linearizability checker's report).</summary>
    public string? Report { get; init; }

    public static string KindName(ViolationKind kind) => kind switch
    {
        ViolationKind.ElectionSafety => "election safety",
        ViolationKind.LogMatching => "log matching",
        ViolationKind.LeaderCompleteness => "leader completeness",
        ViolationKind.StateMachineSafety => "state-machine safety",
        ViolationKind.Linearizability => "linearizability",
        ViolationKind.Liveness => "liveness",
        _ => "exception",
    };

    public override string ToString() => $"{KindName(Kind)}: {Detail} (t={Scheduling.Time.Format(AtMicros)}ms)";
}
