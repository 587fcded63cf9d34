namespace Colony.Simulation.Coordination;

/// <summary>Wall time as the simulated proposers stamp it on coordination commands: a fixed epoch plus virtual time.</summary>
internal static class CoordinationClock
{
    /// <summary>An arbitrary fixed wall time (late 2023) where every run's virtual clock starts.</summary>
    public const long EpochMs = 1_700_000_000_000;

    public static long ToMs(long virtualMicros) => EpochMs + virtualMicros / 1000;
}
