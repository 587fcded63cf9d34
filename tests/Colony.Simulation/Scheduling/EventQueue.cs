namespace Colony.Simulation.Scheduling;

/// <summary>
/// Virtual time for one run. Events fire in (time, insertion order), so two runs of the same seed
/// interleave identically; nothing here reads a real clock.
/// </summary>
internal sealed class EventQueue
{
    private readonly PriorityQueue<Action, (long Time, long Sequence)> _events = new();
    private long _sequence;

    /// <summary>The current virtual time in microseconds.</summary>
    public long Now { get; private set; }

    public int Pending => _events.Count;

    /// <summary>Events run so far.</summary>
    public long Executed { get; private set; }

    public void At(long time, Action action)
    {
        if (time < Now)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, $"cannot schedule in the past (now {Now})");
        }
        _events.Enqueue(action, (time, _sequence++));
    }

    public void After(long delay, Action action) => At(Now + Math.Max(0, delay), action);

    /// <summary>Runs events up to and including <paramref name="until"/>; leaves the clock there.</summary>
    /// <returns>False if <paramref name="stop"/> asked to stop early.</returns>
    public bool RunUntil(long until, Func<bool>? stop = null)
    {
        while (_events.TryPeek(out _, out var key) && key.Time <= until)
        {
            var action = _events.Dequeue();
            Now = key.Time;
            Executed++;
            action();
            if (stop is not null && stop())
            {
                return false;
            }
        }
        Now = Math.Max(Now, until);
        return true;
    }
}
