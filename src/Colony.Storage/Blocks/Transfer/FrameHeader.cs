using System.Buffers.Binary;

namespace Colony.Storage.Blocks.Transfer;

/// <summary>
/// Every frame starts with 8 bytes, little-endian: body length (u32), <see cref="FrameType"/> (u8),
/// protocol version (u8), reserved (u16, zero). The body follows.
/// </summary>
public readonly record struct FrameHeader(FrameType Type, int BodyLength)
{
    public const int Size = 8;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)BodyLength);
        destination[4] = (byte)Type;
        destination[5] = TransferLimits.ProtocolVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
    }

    /// <summary>Decodes and bounds-checks a header; throws <see cref="BlockProtocolException"/> if it is malformed.</summary>
    public static FrameHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new BlockProtocolException($"frame header truncated: {source.Length} of {Size} bytes");
        }
        var type = (FrameType)source[4];
        int max = TransferLimits.MaxBody(type);
        if (max < 0)
        {
            throw new BlockProtocolException($"unknown frame type {source[4]}");
        }
        if (source[5] != TransferLimits.ProtocolVersion)
        {
            throw new BlockProtocolException($"unsupported protocol version {source[5]} (this node speaks {TransferLimits.ProtocolVersion})");
        }
        if (BinaryPrimitives.ReadUInt16LittleEndian(source[6..]) != 0)
        {
            throw new BlockProtocolException("reserved frame header bits are set");
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (length > (uint)max)
        {
            throw new BlockProtocolException($"{type} frame of {length} bytes exceeds the limit of {max}");
        }
        return new FrameHeader(type, (int)length);
    }

    /// <summary>Reads a header and insists on its type.</summary>
    public static FrameHeader Read(ReadOnlySpan<byte> source, FrameType expected)
    {
        FrameHeader header = Read(source);
        if (header.Type != expected)
        {
            throw new BlockProtocolException($"expected a {expected} frame, got {header.Type}");
        }
        return header;
    }
}
