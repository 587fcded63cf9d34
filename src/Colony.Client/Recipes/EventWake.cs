namespace Colony.Client.Recipes;

/// <summary>
/// A recipe's one-shot wait for a watch. The code that waits is the recipe's own and only sends its
/// next request, so when the event comes straight from a connection's reading thread it continues
/// there, as the caller of a reply does (<see cref="ReceiveLoop"/>), instead of through the callback
/// queue and then a pool thread: that is two thread hand-offs off every hand-over of a contended
/// lock. Any other way (the callback queue, session changes) it continues on the thread pool.
/// </summary>
internal sealed class EventWake
{
    private readonly TaskCompletionSource<WatchedEvent> woken = new(); // continuations run where it is set

    public Task<WatchedEvent> Woken => woken.Task;

    /// <summary>The watcher to register. The dispatcher recognises it by its target (<see cref="EventDispatcher.Dispatch"/>).</summary>
    public Watcher Watcher => Wake;

    /// <summary>Wakes the waiter on this thread: only a reading thread that may run callers (see <see cref="ContinuationPolicy"/>).</summary>
    public void WakeHere(WatchedEvent watchedEvent) => woken.TrySetResult(watchedEvent);

    /// <summary>Wakes the waiter on the thread pool.</summary>
    private void Wake(WatchedEvent watchedEvent) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Wake.woken.TrySetResult(state.Event), (Wake: this, Event: watchedEvent), preferLocal: false);
}
