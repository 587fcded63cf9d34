namespace Colony.Node.Hosting;

/// <summary>
/// Wakes the replica's thread when input arrives, without spinning: on two cores shared by several
/// processes, a waiter that spins only takes the CPU from a thread that has work. The loop resets the
/// signal before it drains its queues and waits only if they stayed empty, so no input is missed.
/// </summary>
internal sealed class LoopSignal : IDisposable
{
    private readonly ManualResetEventSlim _event = new(initialState: false, spinCount: 0);

    /// <summary>Called by producers after they enqueue.</summary>
    public void Set() => _event.Set();

    /// <summary>Called by the loop before it drains its queues.</summary>
    public void Reset() => _event.Reset();

    /// <summary>Blocks until <see cref="Set"/> or the timeout.</summary>
    public void Wait(TimeSpan timeout) => _event.Wait(timeout);

    public void Dispose() => _event.Dispose();
}
