namespace Colony.Consensus;

/// <summary>
/// The deterministic machine the log drives. Every node applies the same committed entries in the
/// same order and must reach the same state: apply reads no clock, no randomness and does no I/O.
/// </summary>
public interface IStateMachine
{
    /// <summary>Applies one committed entry. Called in index order, exactly once per index between restores.</summary>
    void Apply(in Entry entry);

    /// <summary>Writes the whole state, as of the last applied entry, to <paramref name="destination"/>.</summary>
    void WriteSnapshot(Stream destination);

    /// <summary>
    /// Captures the state as of the last applied entry, for writing later: the returned writer writes
    /// what <see cref="WriteSnapshot"/> writes now, and may run once, on another thread, while
    /// <see cref="Apply"/> goes on. The replica calls this on its own thread, so it should cost far
    /// less than writing (copying references, not serializing). The default serializes at once.
    /// </summary>
    SnapshotWriter CaptureSnapshot() => SnapshotWriter.Eager(WriteSnapshot);

    /// <summary>Replaces the whole state with one written by <see cref="WriteSnapshot"/>.</summary>
    void Restore(Stream source);
}
