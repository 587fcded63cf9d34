namespace Colony.Consensus.StateMachine;

/// <summary>
/// One part of the replicated state (membership, coordination, namespace, jobs), driven by the
/// <see cref="CompositeStateMachine"/>. The same rules as for <see cref="IStateMachine"/> hold: apply is
/// deterministic, reads no clock, uses no randomness and does no I/O.
/// </summary>
public interface IStateMachineModule
{
    /// <summary>The module's persisted identity; unique within a composite.</summary>
    ModuleId Id { get; }

    /// <summary>Applies one committed command addressed to this module.</summary>
    void Apply(in CommandContext context, ReadOnlySpan<byte> command);

    /// <summary>Writes the module's whole state. The composite frames and checksums it.</summary>
    void WriteSnapshot(Stream destination);

    /// <summary>
    /// Captures the module's state for writing later, on another thread, while commands go on being
    /// applied (see <see cref="IStateMachine.CaptureSnapshot"/>). The default serializes at once.
    /// </summary>
    SnapshotWriter CaptureSnapshot() => SnapshotWriter.Eager(WriteSnapshot);

    /// <summary>
    /// Replaces the module's whole state with one written by <see cref="WriteSnapshot"/>. The stream holds
    /// exactly that section, already checksum-verified; the module must read all of it.
    /// </summary>
    void Restore(Stream source);
}
