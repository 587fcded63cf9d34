using Colony.Coordination;

namespace Colony.Client.Recipes;

/// <summary>
/// A barrier, compatible with kazoo's <c>Barrier</c>: while the node at <see cref="Path"/> exists,
/// <see cref="WaitAsync"/> blocks; removing the node lets every waiter through.
/// </summary>
public sealed class DistributedBarrier
{
    private readonly ZooKeeperClient client;

    public DistributedBarrier(ZooKeeperClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        this.client = client;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Raises the barrier (creates its node and missing ancestors); raising a raised barrier does nothing.</summary>
    public Task CreateAsync(CancellationToken cancellationToken = default) =>
        RecipeOperations.EnsurePathAsync(client, Path, cancellationToken);

    /// <summary>Lifts the barrier; false when it was not raised.</summary>
    public async Task<bool> RemoveAsync(CancellationToken cancellationToken = default)
    {
        bool retried = false;
        while (true)
        {
            try
            {
                await client.DeleteAsync(Path, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (NoNodeException)
            {
                // After a lost reply the delete may have been ours.
                return retried;
            }
            catch (ConnectionLossException)
            {
                retried = true;
            }
        }
    }

    /// <summary>
    /// Waits until the barrier is lifted: true once it is (at once if it is not raised), false when
    /// <paramref name="timeout"/> passes first. Unlike the locks, a timeout is an answer here, as in kazoo.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } wait && wait != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(wait);
        }
        try
        {
            while (true)
            {
                var lifted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Watcher watcher = e =>
                {
                    // Session events wake the loop too, to look again after a reconnect.
                    if (e.Type is EventType.NodeDeleted or EventType.None)
                    {
                        lifted.TrySetResult();
                    }
                };
                if (await RecipeOperations.RetryAsync(() => client.ExistsAsync(Path, watcher, deadline.Token), deadline.Token).ConfigureAwait(false) is null)
                {
                    return true;
                }
                await lifted.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
