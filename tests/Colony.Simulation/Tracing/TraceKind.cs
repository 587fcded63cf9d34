namespace Colony.Simulation.Tracing;

/// <summary>What happened in one trace line.</summary>
internal enum TraceKind : byte
{
    Start,
    Crash,
    Tick,
    Receive,
    Flushed,
    Propose,
    Read,
    ProposeMembership,
    Transfer,
    Unreachable,
    Partition,
    Heal,
    Note,
}
