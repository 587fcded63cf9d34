namespace Colony.Node.ZooKeeper;

/// <summary>
/// The sizes of the replies sent to clients (each frame without its length prefix, the handshake reply not
/// counted), as ZooKeeper's <c>client_response_stats</c> keeps them: the last, smallest and largest, -1 before any.
/// Written by connection threads as they send, so guarded by a lock.
/// </summary>
internal sealed class ResponseSizeStats
{
    private readonly Lock _lock = new();
    private int _last = -1;
    private int _min = -1;
    private int _max = -1;

    public void Record(int bytes)
    {
        lock (_lock)
        {
            _last = bytes;
            _min = _min < 0 ? bytes : Math.Min(_min, bytes);
            _max = Math.Max(_max, bytes);
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _last = _min = _max = -1;
        }
    }

    public (int Last, int Min, int Max) Read()
    {
        lock (_lock)
        {
            return (_last, _min, _max);
        }
    }
}
