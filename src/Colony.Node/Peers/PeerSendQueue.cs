using Colony.Consensus;

namespace Colony.Node.Peers;

/// <summary>
/// The bounded queue between the Raft loop and one peer's sender. Enqueueing never blocks: a full queue
/// drops (<see cref="PeerQueueFullMode"/>), and a closed one (the peer is known unreachable) drops
/// everything, so stale messages do not pile up for a peer that is down. One reader, many writers.
/// Waking the reader is the caller's business (<see cref="PeerSender.Wake"/>), so that a producer can
/// queue many messages and wake it once.
/// </summary>
internal sealed class PeerSendQueue(int maxMessages, long maxBytes, PeerQueueFullMode fullMode)
{
    private readonly Lock _lock = new();
    private readonly Queue<(Message Message, int Bytes)> _items = new();
    private long _bytes;
    private bool _open = true;
    private long _dropped;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Messages dropped so far: to a full queue, to a closed one, or cleared.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Adds a message of <paramref name="bytes"/> frame bytes; returns false if it was dropped.</summary>
    public bool Enqueue(Message message, int bytes)
    {
        lock (_lock)
        {
            if (!_open || (fullMode == PeerQueueFullMode.DropNewest && IsFull(bytes)))
            {
                _dropped++;
                return false;
            }
            while (IsFull(bytes) && _items.TryDequeue(out var oldest))
            {
                _bytes -= oldest.Bytes;
                _dropped++;
            }
            _items.Enqueue((message, bytes));
            _bytes += bytes;
        }
        return true;
    }

    /// <summary>
    /// Moves queued messages, oldest first, into <paramref name="batch"/> until they reach
    /// <paramref name="maxBytes"/> (the last one may cross it). Returns their frame bytes; 0 if the queue was empty.
    /// </summary>
    public long DequeueInto(List<Message> batch, long maxBytes)
    {
        long taken = 0;
        lock (_lock)
        {
            while (taken < maxBytes && _items.TryDequeue(out var item))
            {
                batch.Add(item.Message);
                taken += item.Bytes;
                _bytes -= item.Bytes;
            }
        }
        return taken;
    }

    /// <summary>Opens the queue (a connection is being attempted) or closes it (the peer is unreachable): closing drops what it holds.</summary>
    public void SetOpen(bool open)
    {
        lock (_lock)
        {
            _open = open;
            if (!open)
            {
                _dropped += _items.Count;
                _items.Clear();
                _bytes = 0;
            }
        }
    }

    private bool IsFull(int incomingBytes) => _items.Count >= maxMessages || _bytes + incomingBytes > maxBytes;
}
