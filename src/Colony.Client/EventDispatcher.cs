using System.Threading.Channels;

namespace Colony.Client;

/// <summary>
/// Runs watcher callbacks and state-change handlers one at a time, in the order events arrived,
/// off the receive loop: a slow or throwing callback neither stalls the connection nor reorders
/// events. Only a recipe's own waits may continue on the reading thread (see <see cref="Dispatch"/>).
/// A callback's exception is reported through <see cref="CallbackFailed"/> and otherwise ignored.
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

    /// <param name="continueHere">Set by a reading thread that may run callers: a recipe's own wait
    /// (<see cref="Recipes.EventWake"/>) then continues on it, ahead of the queued callbacks.</param>
    public void Dispatch(IReadOnlyCollection<Watcher> watchers, WatchedEvent watchedEvent, bool continueHere = false)
    {
        foreach (Watcher watcher in watchers)
        {
            if (continueHere && watcher.Target is Recipes.EventWake wake)
            {
                wake.WakeHere(watchedEvent);
                continue;
            }
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
