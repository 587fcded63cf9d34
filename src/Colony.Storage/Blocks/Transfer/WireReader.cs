using System.Buffers.Binary;
using System.Text;

namespace Colony.Storage.Blocks.Transfer;

/// <summary>Reads a frame body front to back; every overrun or bad field is a <see cref="BlockProtocolException"/>.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> body, string what)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ReadOnlySpan<byte> _rest = body;

    public readonly int Remaining => _rest.Length;

    public byte ReadByte() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A non-negative 63-bit length or offset.</summary>
    public long ReadLength(string field)
    {
        ulong value = ReadUInt64();
        if (value > long.MaxValue)
        {
            throw new BlockProtocolException($"{what}: {field} {value} is out of range");
        }
        return (long)value;
    }

    /// <summary>A u16-prefixed UTF-8 string of at most <paramref name="maxBytes"/> bytes.</summary>
    public string ReadString(string field, int maxBytes)
    {
        int length = ReadUInt16();
        if (length > maxBytes)
        {
            throw new BlockProtocolException($"{what}: {field} of {length} bytes exceeds the limit of {maxBytes}");
        }
        try
        {
            return StrictUtf8.GetString(Take(length));
        }
        catch (DecoderFallbackException e)
        {
            throw new BlockProtocolException($"{what}: {field} is not UTF-8", e);
        }
    }

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count > _rest.Length)
        {
            throw new BlockProtocolException($"{what} truncated: needs {count} more bytes, has {_rest.Length}");
        }
        ReadOnlySpan<byte> taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }

    public readonly void End()
    {
        if (_rest.Length != 0)
        {
            throw new BlockProtocolException($"{what} has {_rest.Length} unexpected trailing bytes");
        }
    }
}

/// <summary>Writes a frame body front to back into a span sized by the message's own length computation.</summary>
internal ref struct WireWriter(Span<byte> destination)
{
    private Span<byte> _rest = destination;

    public void WriteByte(byte value) => Take(1)[0] = value;

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Take(2), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

    public void WriteString(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteUInt16((ushort)length);
        Encoding.UTF8.GetBytes(value, Take(length));
    }

    public static int StringSize(string value) => 2 + Encoding.UTF8.GetByteCount(value);

    public static void CheckString(string value, string field, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            throw new ArgumentException($"{field} exceeds {maxBytes} UTF-8 bytes", field);
        }
    }

    private Span<byte> Take(int count)
    {
        Span<byte> taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }
}
