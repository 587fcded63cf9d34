using System.Buffers.Binary;
using System.Text;

namespace Colony.Consensus.KeyValue;

/// <summary>
/// One key-value command and its codec. Layout, big-endian:
/// kind u8, key length u16, key UTF-8, then for Put only: value length u32, value UTF-8.
/// </summary>
public readonly record struct KeyValueCommand(KeyValueCommandKind Kind, string Key, string? Value)
{
    /// <summary>The longest key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>The longest value, in UTF-8 bytes.</summary>
    public const int MaxValueBytes = 64 * 1024;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static KeyValueCommand Put(string key, string value) => new(KeyValueCommandKind.Put, key, value);

    public static KeyValueCommand Delete(string key) => new(KeyValueCommandKind.Delete, key, null);

    public static byte[] EncodePut(string key, string value) => Put(key, value).Encode();

    public static byte[] EncodeDelete(string key) => Delete(key).Encode();

    public byte[] Encode()
    {
        ArgumentNullException.ThrowIfNull(Key);
        int keyBytes = CheckedLength(Key, MaxKeyBytes, "key");
        int valueBytes = 0;
        switch (Kind)
        {
            case KeyValueCommandKind.Put:
                ArgumentNullException.ThrowIfNull(Value);
                valueBytes = CheckedLength(Value, MaxValueBytes, "value");
                break;
            case KeyValueCommandKind.Delete when Value is not null:
                throw new ArgumentException("a delete carries no value");
            case KeyValueCommandKind.Delete:
                break;
            default:
                throw new ArgumentException($"unknown key-value command {(byte)Kind}");
        }
        var buffer = new byte[1 + 2 + keyBytes + (Kind == KeyValueCommandKind.Put ? 4 + valueBytes : 0)];
        var span = buffer.AsSpan();
        span[0] = (byte)Kind;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)keyBytes);
        span = span[3..];
        span = span[Strict.GetBytes(Key, span)..];
        if (Kind == KeyValueCommandKind.Put)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, (uint)valueBytes);
            Strict.GetBytes(Value, span[4..]);
        }
        return buffer;
    }

    /// <summary>Decodes a command; throws <see cref="FormatException"/> if it is malformed.</summary>
    public static KeyValueCommand Decode(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new FormatException("key-value command is empty");
        }
        var kind = (KeyValueCommandKind)data[0];
        if (kind is not (KeyValueCommandKind.Put or KeyValueCommandKind.Delete))
        {
            throw new FormatException($"unknown key-value command {data[0]}");
        }
        data = data[1..];
        string key = ReadString(ref data, 2, MaxKeyBytes, "key");
        string? value = kind == KeyValueCommandKind.Put ? ReadString(ref data, 4, MaxValueBytes, "value") : null;
        if (!data.IsEmpty)
        {
            throw new FormatException($"key-value command has {data.Length} trailing bytes");
        }
        return new KeyValueCommand(kind, key, value);
    }

    public override string ToString() =>
        Kind == KeyValueCommandKind.Put ? $"put({Key}, {Value})" : $"delete({Key})";

    private static int CheckedLength(string text, int max, string what)
    {
        int length = Strict.GetByteCount(text);
        if (length > max)
        {
            throw new ArgumentException($"{what} has {length} UTF-8 bytes; the limit is {max}");
        }
        return length;
    }

    private static string ReadString(ref ReadOnlySpan<byte> data, int lengthBytes, int max, string what)
    {
        if (data.Length < lengthBytes)
        {
            throw new FormatException($"key-value command truncated in the {what} length");
        }
        uint length = lengthBytes == 2 ? BinaryPrimitives.ReadUInt16BigEndian(data) : BinaryPrimitives.ReadUInt32BigEndian(data);
        data = data[lengthBytes..];
        if (length > max)
        {
            throw new FormatException($"key-value {what} declares {length} bytes; the limit is {max}");
        }
        if (length > (uint)data.Length)
        {
            throw new FormatException($"key-value command truncated: {what} declares {length} bytes but {data.Length} remain");
        }
        string text;
        try
        {
            text = Strict.GetString(data[..(int)length]);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"key-value {what} is not valid UTF-8", e);
        }
        data = data[(int)length..];
        return text;
    }
}
