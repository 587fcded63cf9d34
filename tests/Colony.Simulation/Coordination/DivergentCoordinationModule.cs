using Colony.Consensus;
using Colony.Consensus.StateMachine;
using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Simulation.Coordination;

/// <summary>
/// Test-only bug: a coordination module that replaces each command's stamped time with the applying
/// node's own clock, the classic nondeterministic apply. Its tree drifts from the other nodes' in
/// ctime and mtime (and in which TTL nodes expire), which the state checks must catch.
/// </summary>
internal sealed class DivergentCoordinationModule(CoordinationModule inner, Func<long> localTimeMs) : IStateMachineModule
{
    public ModuleId Id => inner.Id;

    public void Apply(in CommandContext context, ReadOnlySpan<byte> command)
    {
        var decoded = CoordinationCommand.Decode(command);
        inner.Tree.Apply(decoded with { TimeMs = localTimeMs() });
    }

    public void WriteSnapshot(Stream destination) => inner.WriteSnapshot(destination);

    public SnapshotWriter CaptureSnapshot() => inner.CaptureSnapshot();

    public void Restore(Stream source) => inner.Restore(source);
}
