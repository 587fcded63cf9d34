namespace Colony.Consensus;

/// <summary>
/// Where a replica runs the slow parts of a local snapshot (serializing the captured state, writing
/// and fsyncing its file), so that its loop goes on ticking and replicating meanwhile. The replica
/// notices the end of the work the next time it runs a cycle; a scheduler that runs work on another
/// thread should therefore wake the replica's loop when the work ends.
/// </summary>
public interface ISnapshotScheduler
{
    /// <summary>Runs <paramref name="work"/> once, now or later, on any thread. It does not throw: it records its own failure.</summary>
    void Schedule(Action work);
}

/// <summary>Runs the work at once, on the replica's thread: deterministic, for tests and the simulator.</summary>
public sealed class InlineSnapshotScheduler : ISnapshotScheduler
{
    public static InlineSnapshotScheduler Instance { get; } = new();

    private InlineSnapshotScheduler()
    {
    }

    public void Schedule(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        work();
    }
}
