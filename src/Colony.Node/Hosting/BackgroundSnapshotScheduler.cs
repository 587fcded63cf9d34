using Colony.Consensus;

namespace Colony.Node.Hosting;

/// <summary>
/// Runs a replica's snapshot steps (serializing, writing, fsync) on a thread of their own, then wakes
/// the replica's loop so that it takes the next step. The replica runs one step at a time.
/// </summary>
internal sealed class BackgroundSnapshotScheduler(Action wakeLoop) : ISnapshotScheduler
{
    private volatile Task _current = Task.CompletedTask;

    /// <summary>Completes when the step under way (if any) has finished.</summary>
    public Task Idle => _current;

    public void Schedule(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _current = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    work();
                }
                finally
                {
                    wakeLoop();
                }
            },
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }
}
