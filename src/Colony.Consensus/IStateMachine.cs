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

    /// <summary>Replaces the whole state with one written by <see cref="WriteSnapshot"/>.</summary>
    void Restore(Stream source);
}
