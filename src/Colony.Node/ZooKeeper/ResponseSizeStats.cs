namespace Colony.Node.ZooKeeper;

/// <summary>
/// The sizes of the replies sent to clients (each frame without its length prefix, the handshake reply not
/// counted), as ZooKeeper's <c>client_response_stats</c> keeps them: the last, smallest and largest, -1 before any.
/// Recorded by every connection's thread on each reply, so without a lock: the smallest and largest only
/// move when a reply beats them.
/// </summary>
internal sealed class ResponseSizeStats
{
    private int _last = -1;
    private int _min = -1;
    private int _max = -1;

    public void Record(int bytes)
    {
        Volatile.Write(ref _last, bytes);
        int min = Volatile.Read(ref _min);
        while ((min < 0 || bytes < min) && Interlocked.CompareExchange(ref _min, bytes, min) is var seen && seen != min)
        {
            min = seen;
        }
        int max = Volatile.Read(ref _max);
        while (bytes > max && Interlocked.CompareExchange(ref _max, bytes, max) is var seen && seen != max)
        {
            max = seen;
        }
    }

    public void Reset()
    {
        Volatile.Write(ref _last, -1);
        Volatile.Write(ref _min, -1);
        Volatile.Write(ref _max, -1);
    }

    public (int Last, int Min, int Max) Read() => (Volatile.Read(ref _last), Volatile.Read(ref _min), Volatile.Read(ref _max));
}
