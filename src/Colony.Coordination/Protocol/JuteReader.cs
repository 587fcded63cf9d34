using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Colony.Coordination.Protocol;

/// <summary>
/// Reads jute's binary encoding (big-endian, as Java's DataInput) from one contiguous buffer —
/// usually one frame. Every malformed input ends in a <see cref="ProtocolException"/>: a read past
/// the end, a negative length, or a length or count larger than the bytes left, so a hostile
/// prefix can never make us allocate more than the frame itself.
/// </summary>
public ref partial struct JuteReader
{
    // Strict: a path with invalid UTF-8 must be rejected, not silently turned into U+FFFD.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool End => _position >= _buffer.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(sizeof(int)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(sizeof(long)));

    /// <summary>One byte; like Java's readBoolean, any non-zero value is true.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadBool() => Take(1)[0] != 0;

    /// <summary>A jute buffer as a new array, or null when its length is -1.</summary>
    public byte[]? ReadBuffer()
    {
        int length = ReadLength();
        return length < 0 ? null : Take(length).ToArray();
    }

    /// <summary>A jute buffer as a new array; null reads as empty (for fields where ZooKeeper never distinguishes them).</summary>
    public byte[] ReadBufferOrEmpty()
    {
        int length = ReadLength();
        return length <= 0 ? [] : Take(length).ToArray();
    }

    /// <summary>A jute buffer without copying; <paramref name="isNull"/> tells -1 from empty.</summary>
    public ReadOnlySpan<byte> ReadBufferSpan(out bool isNull)
    {
        int length = ReadLength();
        isNull = length < 0;
        return isNull ? default : Take(length);
    }

    /// <summary>A jute ustring, or null when its length is -1. Throws on invalid UTF-8.</summary>
    public string? ReadString()
    {
        int length = ReadLength();
        if (length < 0)
        {
            return null;
        }
        if (length == 0)
        {
            return string.Empty;
        }
        ReadOnlySpan<byte> bytes = Take(length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            ProtocolException.Throw(ProtocolError.InvalidUtf8, "A string is not valid UTF-8.");
            return null;
        }
    }

    /// <summary>A ustring that must not be null (paths, schemes, child names).</summary>
    public string ReadRequiredString()
    {
        string? value = ReadString();
        if (value is null)
        {
            ProtocolException.Throw(ProtocolError.MissingValue, "A required string is null.");
        }
        return value;
    }

    /// <summary>
    /// A vector's element count, or -1 for null. Each element takes at least
    /// <paramref name="minElementBytes"/> bytes, so a count the remaining input can't hold fails here,
    /// before anything is allocated for it.
    /// </summary>
    public int ReadVectorCount(int minElementBytes)
    {
        int count = ReadInt32();
        if (count == -1)
        {
            return -1;
        }
        if (count < 0 || (minElementBytes > 0 && count > Remaining / minElementBytes))
        {
            ProtocolException.ThrowInvalidLength(count, Remaining);
        }
        return count;
    }

    private int ReadLength()
    {
        int length = ReadInt32();
        if (length < -1 || length > Remaining)
        {
            ProtocolException.ThrowInvalidLength(length, Remaining);
        }
        return length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            ProtocolException.ThrowTruncated(count, _buffer.Length - _position);
        }
        ReadOnlySpan<byte> slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }
}
