using System.Buffers;
using System.Buffers.Binary;

namespace Colony.Coordination.Protocol;

/// <summary>
/// Splits a byte stream into ZooKeeper frames: a 4-byte big-endian length, then that many bytes.
/// </summary>
public static class FrameReader
{
    /// <summary>The largest znode payload (1 MiB).</summary>
    public const int MaxPayloadBytes = 1024 * 1024;

    /// <summary>
    /// ZooKeeper's default jute.maxbuffer (0xfffff): the longest request frame its server reads. A
    /// longer one closes the connection ("Len error").
    /// </summary>
    public const int JuteMaxBuffer = 0xfffff;

    /// <summary>Room on top of the payload for the headers, path and ACLs that travel with it.</summary>
    public const int HeaderSlackBytes = 64 * 1024;

    /// <summary>A client's default limit on one reply frame's length (not counting its prefix): a reply to a read of the largest node fits.</summary>
    public const int DefaultMaxFrameBytes = MaxPayloadBytes + HeaderSlackBytes;

    public const int LengthPrefixBytes = sizeof(int);

    /// <summary>
    /// Takes the first complete frame off <paramref name="buffer"/>. Returns false, leaving
    /// <paramref name="buffer"/> untouched, when more bytes are needed; on success
    /// <paramref name="buffer"/> then starts at the next frame. A negative length or one over
    /// <paramref name="maxFrameBytes"/> throws a <see cref="ProtocolException"/> as soon as the
    /// prefix arrives, before the body is buffered.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (!TryPeekLength(buffer, out int length))
        {
            return false;
        }
        CheckLength(length, maxFrameBytes);
        if (buffer.Length - LengthPrefixBytes < length)
        {
            return false;
        }
        frame = buffer.Slice(LengthPrefixBytes, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <summary>Throws a <see cref="ProtocolException"/> for a frame length outside 0..<paramref name="maxFrameBytes"/>.</summary>
    public static void CheckLength(int length, int maxFrameBytes)
    {
        if (length < 0 || length > maxFrameBytes)
        {
            ProtocolException.Throw(ProtocolError.FrameTooLarge, $"Frame length {length} is outside 0..{maxFrameBytes}.");
        }
    }

    /// <summary>Reads the first 4 bytes as a big-endian int without consuming them.</summary>
    public static bool TryPeekLength(in ReadOnlySequence<byte> buffer, out int length)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= LengthPrefixBytes)
        {
            length = BinaryPrimitives.ReadInt32BigEndian(first);
            return true;
        }
        if (buffer.Length < LengthPrefixBytes)
        {
            length = 0;
            return false;
        }
        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        buffer.Slice(0, LengthPrefixBytes).CopyTo(prefix);
        length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        return true;
    }
}
