using System.Buffers.Binary;

namespace Colony.Storage.Blocks.Transfer;

/// <summary>
/// The fixed front of a data packet's body (24 bytes): seqno u64, offset in block u64, flags u8, reserved (3 bytes,
/// zero), data length u32. Then one CRC32C (u32) per chunk of the data, then the data. Every packet but the last
/// starts on a chunk boundary and carries whole chunks; the last (flag <see cref="LastFlag"/>) may be short or
/// empty, and its end is the block's final length.
/// </summary>
public readonly record struct DataPacketHeader(long Seqno, long Offset, bool Last, int DataLength)
{
    public const int Size = 24;

    public const byte LastFlag = 1;

    public int ChecksumCount(int chunkSize) => (int)ChunkChecksums.ChunkCount(DataLength, chunkSize);

    /// <summary>Byte offset of the checksums within the whole frame.</summary>
    public const int ChecksumsOffset = FrameHeader.Size + Size;

    /// <summary>Byte offset of the data within the whole frame.</summary>
    public int DataOffset(int chunkSize) => ChecksumsOffset + (ChecksumCount(chunkSize) * sizeof(uint));

    public int BodyLength(int chunkSize) => Size + (ChecksumCount(chunkSize) * sizeof(uint)) + DataLength;

    public int FrameLength(int chunkSize) => FrameHeader.Size + BodyLength(chunkSize);

    /// <summary>
    /// The data bytes a well-formed packet body of <paramref name="bodyLength"/> bytes carries: the body is the header,
    /// one checksum per (started) chunk, then the data, and that total grows strictly with the data, so its length
    /// alone gives the data's. A reader uses it to count a read's bytes before it opens (decrypts) the packets.
    /// </summary>
    public static long DataLengthOfBody(int bodyLength, int chunkSize)
    {
        long rest = (long)bodyLength - Size; // checksums and data: 4k + d with k = ⌈d / chunk⌉
        if (rest <= 0)
        {
            return 0;
        }
        long chunks = (rest - sizeof(uint) + chunkSize + sizeof(uint) - 1) / (chunkSize + sizeof(uint));
        return rest - (chunks * sizeof(uint));
    }

    /// <summary>The largest frame a packet of <paramref name="dataLength"/> bytes can need.</summary>
    public static int MaxFrameLength(int dataLength, int chunkSize) =>
        FrameHeader.Size + Size + ((int)ChunkChecksums.ChunkCount(dataLength, chunkSize) * sizeof(uint)) + dataLength;

    /// <summary>Writes the frame header and this packet header; the caller fills checksums and data in place.</summary>
    public void WriteHeaders(Span<byte> frame, int chunkSize)
    {
        new FrameHeader(FrameType.DataPacket, BodyLength(chunkSize)).Write(frame);
        Span<byte> header = frame[FrameHeader.Size..];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)Seqno);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], (ulong)Offset);
        header[16] = Last ? LastFlag : (byte)0;
        header[17] = 0;
        header[18] = 0;
        header[19] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)DataLength);
    }

    /// <summary>
    /// Decodes a packet body and checks its shape against the chunk size: the body length must be exactly
    /// header + checksums + data, and a packet that is not the last must hold whole chunks.
    /// </summary>
    public static DataPacketHeader Decode(ReadOnlySpan<byte> body, int chunkSize)
    {
        if (body.Length < Size)
        {
            throw new BlockProtocolException($"data packet truncated: {body.Length} bytes");
        }
        ulong seqno = BinaryPrimitives.ReadUInt64LittleEndian(body);
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(body[8..]);
        byte flags = body[16];
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(body[20..]);
        if (seqno > long.MaxValue || offset > long.MaxValue)
        {
            throw new BlockProtocolException("data packet: seqno or offset out of range");
        }
        if ((flags & ~LastFlag) != 0 || body[17] != 0 || body[18] != 0 || body[19] != 0)
        {
            throw new BlockProtocolException($"data packet: unknown flags 0x{flags:X2}");
        }
        if (length > TransferLimits.MaxPacketData)
        {
            throw new BlockProtocolException($"data packet of {length} bytes exceeds the limit of {TransferLimits.MaxPacketData}");
        }
        var packet = new DataPacketHeader((long)seqno, (long)offset, (flags & LastFlag) != 0, (int)length);
        if (packet.BodyLength(chunkSize) != body.Length)
        {
            throw new BlockProtocolException($"data packet: body of {body.Length} bytes, but {length} data bytes need {packet.BodyLength(chunkSize)}");
        }
        if (packet.Offset % chunkSize != 0)
        {
            throw new BlockProtocolException($"data packet: offset {packet.Offset} is not on a chunk boundary");
        }
        if (!packet.Last && packet.DataLength % chunkSize != 0)
        {
            throw new BlockProtocolException($"data packet: {packet.DataLength} bytes is not whole chunks, and the packet is not the last");
        }
        return packet;
    }
}
