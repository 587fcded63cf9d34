using System.Buffers;
using System.Buffers.Binary;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>
/// One outgoing frame in a pooled array, sized exactly by measuring the message first. The send
/// connection returns the array to the pool once the bytes are on the socket.
/// </summary>
internal sealed class FrameBuffer : IBufferWriter<byte>, IDisposable
{
    private const int XidOffset = FrameReader.LengthPrefixBytes;

    private byte[]? buffer;
    private int written;

    private FrameBuffer(int capacity)
    {
        buffer = ArrayPool<byte>.Shared.Rent(capacity);
    }

    public ReadOnlyMemory<byte> Memory => Array().AsMemory(0, written);

    /// <summary>A frame holding <paramref name="body"/> alone (the connect request).</summary>
    public static FrameBuffer Create<TBody>(in TBody body)
        where TBody : IJuteWritable
    {
        var frame = new FrameBuffer(FrameWriter.Measure(body) + FrameReader.LengthPrefixBytes);
        FrameWriter.Write(frame, body);
        return frame;
    }

    /// <summary>A request frame; its xid can be set later with <see cref="SetXid"/>, when the request's place in line is known.</summary>
    public static FrameBuffer Create<TBody>(RequestHeader header, in TBody body)
        where TBody : IJuteWritable
    {
        var frame = new FrameBuffer(FrameWriter.Measure(header, body) + FrameReader.LengthPrefixBytes);
        FrameWriter.Write(frame, header, body);
        return frame;
    }

    /// <summary>Overwrites the xid of a request frame (the first field after the length prefix).</summary>
    public void SetXid(int xid) => BinaryPrimitives.WriteInt32BigEndian(Array().AsSpan(XidOffset, sizeof(int)), xid);

    public void Advance(int count)
    {
        if (count < 0 || written + count > Array().Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return Array().AsMemory(written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return Array().AsSpan(written);
    }

    public void Dispose()
    {
        byte[]? rented = Interlocked.Exchange(ref buffer, null);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private byte[] Array() => buffer ?? throw new ObjectDisposedException(nameof(FrameBuffer));

    private void Ensure(int sizeHint)
    {
        byte[] current = Array();
        int needed = written + Math.Max(sizeHint, 1);
        if (needed <= current.Length)
        {
            return;
        }
        // Measuring sized the array exactly, so this only runs if a message grows between passes.
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, current.Length * 2));
        current.AsSpan(0, written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(current);
        buffer = larger;
    }
}
