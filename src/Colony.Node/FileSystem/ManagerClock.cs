namespace Colony.Node.FileSystem;

/// <summary>
/// The clock the block manager keeps its soft state on: data nodes' last heartbeats, pending copies and
/// deletes, balancer moves, and a new leader's grace for block reports. It is monotonic, so a step of the
/// wall clock neither makes every data node look dead at once (a step forward) nor keeps a dead one alive
/// for the size of the step (a step back). What goes through the log (leases, trash) keeps the wall clock.
/// </summary>
internal static class ManagerClock
{
    /// <summary>Milliseconds on <paramref name="time"/>'s monotonic timestamp: comparable only with each other.</summary>
    public static long MonotonicMs(this TimeProvider time) => (long)((Int128)time.GetTimestamp() * 1000 / time.TimestampFrequency);
}
