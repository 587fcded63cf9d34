using Colony.Core;

namespace Colony.Consensus;

/// <summary>
/// The Append messages in flight to one follower (their last index and size), in a fixed ring:
/// the leader stops pipelining when it is full by count or bytes, and frees slots as acks arrive.
/// </summary>
internal sealed class Inflights(int capacity, long maxBytes)
{
    private readonly (ulong Index, long Bytes)[] _ring = new (ulong, long)[capacity];
    private int _start;

    public int Count { get; private set; }

    public long Bytes { get; private set; }

    public bool Full => Count == _ring.Length || Bytes >= maxBytes;

    public void Add(ulong lastIndex, long bytes)
    {
        Invariant.Check(Count < _ring.Length, "inflights overflow");
        _ring[(_start + Count) % _ring.Length] = (lastIndex, bytes);
        Count++;
        Bytes += bytes;
    }

    /// <summary>Frees every message whose last index is at or below <paramref name="index"/>.</summary>
    public void FreeUpTo(ulong index)
    {
        while (Count > 0 && _ring[_start].Index <= index)
        {
            Bytes -= _ring[_start].Bytes;
            _start = (_start + 1) % _ring.Length;
            Count--;
        }
    }

    public void Reset()
    {
        _start = 0;
        Count = 0;
        Bytes = 0;
    }
}
