using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Colony.Core;

namespace Colony.Storage.Namespace;

/// <summary>
/// The primitives of the namespace's persisted formats (log commands and snapshots): unsigned LEB128
/// varints, zigzag varints for signed values, fixed big-endian u32 checksums, and UTF-8 strings with a
/// varint length.
/// </summary>
internal sealed class NamespaceWriter(IBufferWriter<byte> output)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void Varint(ulong value) => output.Advance(Core.Varint.Write(output.GetSpan(Core.Varint.MaxBytes), value));

    public void Signed(long value) => Varint((ulong)((value << 1) ^ (value >> 63)));

    public void UInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public void Raw(ReadOnlySpan<byte> value)
    {
        value.CopyTo(output.GetSpan(value.Length));
        output.Advance(value.Length);
    }

    public void String(string value, int maxBytes, string what)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        int length = Strict.GetByteCount(value);
        if (length > maxBytes)
        {
            throw new ArgumentException($"{what} has {length} UTF-8 bytes; the limit is {maxBytes}", what);
        }
        Varint((ulong)length);
        Strict.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }
}

/// <summary>Reads what <see cref="NamespaceWriter"/> wrote; every malformation is a <see cref="FormatException"/>.</summary>
internal ref struct NamespaceReader(ReadOnlySpan<byte> data)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ReadOnlySpan<byte> _rest = data;

    public readonly bool IsEmpty => _rest.IsEmpty;

    public readonly int Remaining => _rest.Length;

    public byte Byte(string what)
    {
        if (_rest.IsEmpty)
        {
            throw new FormatException($"truncated: {what} is missing");
        }
        byte value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public bool Bool(string what) => Byte(what) switch
    {
        0 => false,
        1 => true,
        var b => throw new FormatException($"{what} is {b}; expected 0 or 1"),
    };

    public ulong Varint(string what)
    {
        var status = Core.Varint.TryRead(_rest, out ulong value, out int length);
        if (status != VarintStatus.Ok)
        {
            throw new FormatException($"{what}: varint is {status}");
        }
        _rest = _rest[length..];
        return value;
    }

    public long Signed(string what)
    {
        ulong raw = Varint(what);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public int Int(int min, int max, string what)
    {
        long value = Signed(what);
        if (value < min || value > max)
        {
            throw new FormatException($"{what} is {value}; expected [{min}, {max}]");
        }
        return (int)value;
    }

    /// <summary>A count of items each at least <paramref name="minItemBytes"/> long, checked against what remains.</summary>
    public int Count(int max, int minItemBytes, string what)
    {
        ulong value = Varint(what);
        if (value > (ulong)max || value * (ulong)minItemBytes > (ulong)_rest.Length)
        {
            throw new FormatException($"{what} is {value}; too many for the {_rest.Length} bytes left");
        }
        return (int)value;
    }

    public uint UInt32(string what)
    {
        if (_rest.Length < 4)
        {
            throw new FormatException($"truncated: {what} needs 4 bytes, {_rest.Length} remain");
        }
        uint value = BinaryPrimitives.ReadUInt32BigEndian(_rest);
        _rest = _rest[4..];
        return value;
    }

    public byte[] Raw(int length, string what)
    {
        if (_rest.Length < length)
        {
            throw new FormatException($"truncated: {what} needs {length} bytes, {_rest.Length} remain");
        }
        byte[] value = _rest[..length].ToArray();
        _rest = _rest[length..];
        return value;
    }

    public string String(int maxBytes, string what)
    {
        ulong length = Varint(what + " length");
        if (length > (ulong)maxBytes || length > (ulong)_rest.Length)
        {
            throw new FormatException($"{what} declares {length} bytes; limit {maxBytes}, {_rest.Length} remain");
        }
        string value;
        try
        {
            value = Strict.GetString(_rest[..(int)length]);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"{what} is not valid UTF-8", e);
        }
        _rest = _rest[(int)length..];
        return value;
    }

    public readonly void End(string what)
    {
        if (!_rest.IsEmpty)
        {
            throw new FormatException($"{what} has {_rest.Length} trailing bytes");
        }
    }
}
