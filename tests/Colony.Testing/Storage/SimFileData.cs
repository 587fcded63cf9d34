using Colony.Core;

namespace Colony.Testing.Storage;

/// <summary>
/// One simulated file's contents: the bytes reads see and the bytes on "disk". Only the range that
/// changed since the last sync is copied on sync and on crash, so large files stay cheap.
/// </summary>
internal sealed class SimFileData(long id)
{
    private byte[] _current = [];
    private int _length;
    private byte[] _durable = [];
    private int _durableLength;

    // Below this offset the current and durable bytes agree; int.MaxValue: nothing unsynced.
    private int _dirtyFrom = int.MaxValue;

    // The last change since the sync, if it was a write: the one a crash may tear.
    private int _lastWriteOffset;
    private int _lastWriteLength;

    public long Id { get; } = id;

    public int Length => _length;

    public int Read(int offset, Span<byte> destination)
    {
        if (offset >= _length)
        {
            return 0;
        }
        int count = Math.Min(destination.Length, _length - offset);
        _current.AsSpan(offset, count).CopyTo(destination);
        return count;
    }

    public void Write(int offset, ReadOnlySpan<byte> source)
    {
        int end = checked(offset + source.Length);
        Extend(ref _current, _length, end);
        _length = Math.Max(_length, end);
        source.CopyTo(_current.AsSpan(offset));
        _dirtyFrom = Math.Min(_dirtyFrom, offset);
        _lastWriteOffset = offset;
        _lastWriteLength = source.Length;
    }

    public void SetLength(int length)
    {
        Extend(ref _current, _length, length);
        _dirtyFrom = Math.Min(_dirtyFrom, Math.Min(length, _length));
        _length = length;
        _lastWriteLength = 0;
    }

    public void Sync()
    {
        if (_dirtyFrom < _length)
        {
            Extend(ref _durable, _durableLength, _length);
            _current.AsSpan(_dirtyFrom, _length - _dirtyFrom).CopyTo(_durable.AsSpan(_dirtyFrom));
        }
        _durableLength = _length;
        _dirtyFrom = int.MaxValue;
        _lastWriteLength = 0;
    }

    public void Crash(IRandomSource random, double tornWriteProbability)
    {
        if (_dirtyFrom == int.MaxValue && _length == _durableLength)
        {
            return;
        }
        if (_lastWriteLength > 0 && random.NextDouble() < tornWriteProbability)
        {
            Tear(random);
        }
        // Reads see the disk again.
        int from = Math.Min(_dirtyFrom, _durableLength);
        Extend(ref _current, Math.Min(_length, from), _durableLength);
        _durable.AsSpan(from, _durableLength - from).CopyTo(_current.AsSpan(from));
        _length = _durableLength;
        _dirtyFrom = int.MaxValue;
        _lastWriteLength = 0;
    }

    public void Corrupt(int offset, byte xorMask)
    {
        if (offset < 0 || (offset >= _length && offset >= _durableLength))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"file has {_length} bytes");
        }
        if (offset < _durableLength)
        {
            _durable[offset] ^= xorMask;
        }
        if (offset < _length)
        {
            _current[offset] ^= xorMask;
        }
    }

    public byte[] Snapshot() => _current.AsSpan(0, _length).ToArray();

    /// <summary>The power went out mid-write: a prefix of the last write reached the disk, perhaps with garbage in it.</summary>
    private void Tear(IRandomSource random)
    {
        int kept = random.Next(_lastWriteLength + 1);
        int end = _lastWriteOffset + kept;
        Extend(ref _durable, _durableLength, end);
        _current.AsSpan(_lastWriteOffset, kept).CopyTo(_durable.AsSpan(_lastWriteOffset));
        _durableLength = Math.Max(_durableLength, end);
        if (kept > 0 && random.Next(4) == 0)
        {
            int flips = random.Next(1, 4);
            for (int i = 0; i < flips; i++)
            {
                _durable[_lastWriteOffset + random.Next(kept)] ^= (byte)random.Next(1, 256);
            }
        }
    }

    /// <summary>Makes room for <paramref name="newLength"/> bytes and zeroes what lies past <paramref name="length"/>.</summary>
    private static void Extend(ref byte[] bytes, int length, int newLength)
    {
        if (newLength <= length)
        {
            return;
        }
        if (newLength > bytes.Length)
        {
            int capacity = (int)Math.Min(Array.MaxLength, Math.Max(newLength, Math.Max(256L, 2L * bytes.Length)));
            Array.Resize(ref bytes, capacity);
        }
        bytes.AsSpan(length, newLength - length).Clear();
    }
}
