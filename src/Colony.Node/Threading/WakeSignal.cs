namespace Colony.Node.Threading;

/// <summary>
/// Wakes one thread that waits for input (the replica loop, a peer sender), without spinning: on two
/// cores shared by several processes, a waiter that spins only takes the CPU from a thread that has
/// work. It behaves as a manual-reset event: the waiter resets it before it drains its queues and waits
/// only if they stayed empty, so no input is missed.
/// </summary>
/// <remarks>
/// A <see cref="ManualResetEventSlim"/> costs its waiter about two sleeps per wake-up (it sleeps
/// again to take back the monitor the setter still holds). This one sleeps once, in an
/// <see cref="AutoResetEvent"/>, and only a waiter that is asleep is signalled through the kernel:
/// <see cref="Set"/> on an awake or already signalled waiter is one atomic exchange.
/// </remarks>
internal sealed class WakeSignal : IDisposable
{
    private readonly AutoResetEvent _event = new(initialState: false);
    private int _set;
    private int _waiting;

    /// <summary>Called by producers after they enqueue. Any thread.</summary>
    public void Set()
    {
        // Both sides write their flag with a full fence before reading the other's: either the
        // waiter sees the signal before it sleeps, or this sees the waiter and wakes it.
        if (Interlocked.Exchange(ref _set, 1) == 0 && Volatile.Read(ref _waiting) != 0)
        {
            _event.Set();
        }
    }

    /// <summary>Called by the waiter before it drains its queues.</summary>
    public void Reset() => Volatile.Write(ref _set, 0);

    /// <summary>Blocks until <see cref="Set"/> or the timeout; returns false on the timeout. The waiter's thread only.</summary>
    public bool Wait(TimeSpan timeout)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        Interlocked.Exchange(ref _waiting, 1);
        try
        {
            while (Volatile.Read(ref _set) == 0)
            {
                // The event may hold a stale wake-up from a signal seen without sleeping: then this
                // returns at once, finds the flag clear and waits again.
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !_event.WaitOne(deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Min(left, int.MaxValue)))
                {
                    return Volatile.Read(ref _set) != 0;
                }
            }
            return true;
        }
        finally
        {
            Volatile.Write(ref _waiting, 0);
        }
    }

    /// <summary>Blocks until <see cref="Set"/>. The waiter's thread only.</summary>
    public void Wait() => Wait(Timeout.InfiniteTimeSpan);

    public void Dispose() => _event.Dispose();
}
