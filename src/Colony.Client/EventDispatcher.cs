using System.Threading.Channels;

namespace Colony.Client;

/// <summary>
/// Runs watcher callbacks and state-change handlers one at a time, in the order events arrived,
/// off the receive loop: a slow or throwing callback neither stalls the connection nor reorders
/// events. A callback's exception is reported through <see cref="CallbackFailed"/> and otherwise ignored.
/// </summary>
internal sealed class EventDispatcher
{
    private readonly Channel<Action> queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task loop;

    public EventDispatcher()
    {
        loop = Task.Run(RunAsync);
    }

    public event Action<Exception>? CallbackFailed;

    /// <summary>Completes when every queued callback has run after <see cref="Complete"/>.</summary>
    public Task Completion => loop;

    public void Dispatch(IReadOnlyCollection<Watcher> watchers, WatchedEvent watchedEvent)
    {
        foreach (Watcher watcher in watchers)
        {
            queue.Writer.TryWrite(() => watcher(watchedEvent));
        }
    }

    public void Post(Action action) => queue.Writer.TryWrite(action);

    /// <summary>Runs what is queued, then stops.</summary>
    public void Complete() => queue.Writer.TryComplete();

    private async Task RunAsync()
    {
        await foreach (Action action in queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                try
                {
                    CallbackFailed?.Invoke(e);
                }
                catch (Exception)
                {
                    // A failing failure handler has nowhere left to report to.
                }
            }
        }
    }
}
