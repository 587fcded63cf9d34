using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Colony.Core;

namespace Colony.Coordination.Commands;

/// <summary>
/// The primitives of the coordination module's persisted formats (log commands and snapshots):
/// unsigned LEB128 varints, zigzag varints for signed values, fixed big-endian 64-bit ids, UTF-8
/// strings and byte strings with a varint length, and nullable byte strings as length + 1 (0 = null).
/// </summary>
internal sealed class BinaryEncodingWriter(IBufferWriter<byte> output)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public void Varint(ulong value)
    {
        int written = Core.Varint.Write(output.GetSpan(Core.Varint.MaxBytes), value);
        output.Advance(written);
    }

    public void Signed(long value) => Varint((ulong)((value << 1) ^ (value >> 63)));

    public void Fixed64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void String(string value, int maxBytes, string what)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        int length;
        try
        {
            length = Strict.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"{what} is not valid UTF-16", what, e);
        }
        if (length > maxBytes)
        {
            throw new ArgumentException($"{what} has {length} UTF-8 bytes; the limit is {maxBytes}", what);
        }
        Varint((ulong)length);
        Strict.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }

    public void Bytes(ReadOnlySpan<byte> value, int maxBytes, string what)
    {
        if (value.Length > maxBytes)
        {
            throw new ArgumentException($"{what} has {value.Length} bytes; the limit is {maxBytes}", what);
        }
        Varint((ulong)value.Length);
        Raw(value);
    }

    public void NullableBytes(byte[]? value, int maxBytes, string what)
    {
        if (value is null)
        {
            Varint(0);
            return;
        }
        if (value.Length > maxBytes)
        {
            throw new ArgumentException($"{what} has {value.Length} bytes; the limit is {maxBytes}", what);
        }
        Varint((ulong)value.Length + 1);
        Raw(value);
    }

    public void Raw(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return;
        }
        value.CopyTo(output.GetSpan(value.Length));
        output.Advance(value.Length);
    }
}

/// <summary>Reads what <see cref="BinaryEncodingWriter"/> writes; throws <see cref="FormatException"/> on anything malformed.</summary>
internal ref struct BinaryEncodingReader(ReadOnlySpan<byte> data)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ReadOnlySpan<byte> _data = data;

    public readonly int Remaining => _data.Length;

    public readonly bool IsEmpty => _data.IsEmpty;

    public byte Byte(string what)
    {
        if (_data.IsEmpty)
        {
            throw new FormatException($"truncated before {what}");
        }
        byte value = _data[0];
        _data = _data[1..];
        return value;
    }

    public ulong Varint(string what)
    {
        var status = Core.Varint.TryRead(_data, out ulong value, out int length);
        if (status != VarintStatus.Ok)
        {
            throw new FormatException($"{what}: {status} varint");
        }
        _data = _data[length..];
        return value;
    }

    public long Signed(string what)
    {
        ulong raw = Varint(what);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public int SignedInt(string what)
    {
        long value = Signed(what);
        if (value is < int.MinValue or > int.MaxValue)
        {
            throw new FormatException($"{what} {value} does not fit 32 bits");
        }
        return (int)value;
    }

    public long Fixed64(string what)
    {
        if (_data.Length < 8)
        {
            throw new FormatException($"truncated in {what}");
        }
        long value = BinaryPrimitives.ReadInt64BigEndian(_data);
        _data = _data[8..];
        return value;
    }

    /// <summary>A count of items that each take at least <paramref name="minItemBytes"/>, bounded by what remains.</summary>
    public int Count(int max, int minItemBytes, string what)
    {
        ulong count = Varint(what);
        if (count > (ulong)max)
        {
            throw new FormatException($"{what} is {count}; the limit is {max}");
        }
        if (count * (ulong)minItemBytes > (ulong)_data.Length)
        {
            throw new FormatException($"{what} is {count} but only {_data.Length} bytes remain");
        }
        return (int)count;
    }

    public string String(int maxBytes, string what)
    {
        var bytes = Span(Length(maxBytes, what), what);
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"{what} is not valid UTF-8", e);
        }
    }

    public byte[] Bytes(int maxBytes, string what) => Span(Length(maxBytes, what), what).ToArray();

    public byte[]? NullableBytes(int maxBytes, string what)
    {
        ulong raw = Varint(what);
        if (raw == 0)
        {
            return null;
        }
        if (raw - 1 > (ulong)maxBytes)
        {
            throw new FormatException($"{what} declares {raw - 1} bytes; the limit is {maxBytes}");
        }
        return Span((int)(raw - 1), what).ToArray();
    }

    private int Length(int maxBytes, string what)
    {
        ulong length = Varint(what);
        if (length > (ulong)maxBytes)
        {
            throw new FormatException($"{what} declares {length} bytes; the limit is {maxBytes}");
        }
        return (int)length;
    }

    private ReadOnlySpan<byte> Span(int length, string what)
    {
        if (length > _data.Length)
        {
            throw new FormatException($"{what} declares {length} bytes but {_data.Length} remain");
        }
        var span = _data[..length];
        _data = _data[length..];
        return span;
    }
}
