namespace Colony.Node.ZooKeeper;

/// <summary>
/// Session ids as ZooKeeper makes them: the node id in the top byte, then the start time in
/// milliseconds, then a counter. Ids stay unique across nodes (different top bytes) and across
/// restarts of one node (a later start time), without coordination.
/// </summary>
internal sealed class SessionIdGenerator
{
    private long _next;

    public SessionIdGenerator(ulong nodeId, long nowMs)
    {
        // 40 bits of milliseconds, shifted past a 16-bit counter: unique for ~35 years of restarts.
        long time = (nowMs << 24) >>> 8;
        _next = time | (long)((nodeId & 0xFF) << 56);
    }

    public long Next() => Interlocked.Increment(ref _next);
}
