using Colony.Core;

namespace Colony.Storage.Blocks.Transfer;

/// <summary>
/// Reads [<see cref="Offset"/>, +<see cref="Length"/>) of a replica, with the <see cref="BlockAccessToken"/> that allows it.
/// Body: block id u64, stamp u64, offset u64, length u64, token (u16 + ASCII; empty when the caller has none).
/// </summary>
public sealed record ReadBlockRequest(BlockVersion Version, long Offset, long Length, string Token = "")
{
    public int BodyLength => 32 + WireWriter.StringSize(Token);

    public int FrameLength => FrameHeader.Size + BodyLength;

    public int WriteFrame(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Offset);
        ArgumentOutOfRangeException.ThrowIfNegative(Length);
        WireWriter.CheckString(Token, nameof(Token), TransferLimits.MaxTokenBytes);
        int body = BodyLength;
        new FrameHeader(FrameType.ReadBlock, body).Write(destination);
        var writer = new WireWriter(destination.Slice(FrameHeader.Size, body));
        writer.WriteUInt64(Version.Id.Value);
        writer.WriteUInt64(Version.Stamp.Value);
        writer.WriteUInt64((ulong)Offset);
        writer.WriteUInt64((ulong)Length);
        writer.WriteString(Token);
        return FrameHeader.Size + body;
    }

    public static ReadBlockRequest Decode(ReadOnlySpan<byte> body)
    {
        var reader = new WireReader(body, "ReadBlock");
        var version = new BlockVersion(new BlockId(reader.ReadUInt64()), new GenerationStamp(reader.ReadUInt64()));
        long offset = reader.ReadLength("offset");
        long length = reader.ReadLength("length");
        string token = reader.ReadString("token", TransferLimits.MaxTokenBytes);
        reader.End();
        if (length > long.MaxValue - offset)
        {
            throw new BlockProtocolException($"ReadBlock: offset {offset} + length {length} overflows");
        }
        return new ReadBlockRequest(version, offset, length, token);
    }
}

/// <summary>
/// The node's answer to <see cref="ReadBlockRequest"/>. On <see cref="TransferStatus.Ok"/>, data packets follow covering
/// [<see cref="StartOffset"/>, +<see cref="Length"/>), chunk-aligned, with the stored checksums; the last one is flagged.
/// Body: status u8, chunk size u32, block length u64, start offset u64, length u64, message (u16 + UTF-8).
/// </summary>
public sealed record ReadBlockReply(TransferStatus Status, int ChunkSize, long BlockLength, long StartOffset, long Length, string Message = "")
{
    public static ReadBlockReply Failure(TransferStatus status, string message) => new(status, ChunkChecksums.MinChunkSize, 0, 0, 0, message);

    public int FrameLength => FrameHeader.Size + 1 + 4 + 8 + 8 + 8 + WireWriter.StringSize(PipelineAck.Clip(Message));

    public int WriteFrame(Span<byte> destination)
    {
        int length = FrameLength;
        new FrameHeader(FrameType.ReadReply, length - FrameHeader.Size).Write(destination);
        var writer = new WireWriter(destination[FrameHeader.Size..length]);
        writer.WriteByte((byte)Status);
        writer.WriteUInt32((uint)ChunkSize);
        writer.WriteUInt64((ulong)BlockLength);
        writer.WriteUInt64((ulong)StartOffset);
        writer.WriteUInt64((ulong)Length);
        writer.WriteString(PipelineAck.Clip(Message));
        return length;
    }

    public static ReadBlockReply Decode(ReadOnlySpan<byte> body)
    {
        var reader = new WireReader(body, "ReadReply");
        TransferStatus status = PipelineAck.StatusFromWire(reader.ReadByte());
        uint chunkSize = reader.ReadUInt32();
        long blockLength = reader.ReadLength("block length");
        long start = reader.ReadLength("start offset");
        long length = reader.ReadLength("length");
        string message = reader.ReadString("message", TransferLimits.MaxMessageBytes);
        reader.End();
        if (chunkSize > int.MaxValue || !ChunkChecksums.IsValidChunkSize((int)chunkSize))
        {
            throw new BlockProtocolException($"ReadReply: invalid chunk size {chunkSize}");
        }
        if (start % chunkSize != 0 || start > blockLength || length > blockLength - start)
        {
            throw new BlockProtocolException($"ReadReply: range [{start}, +{length}) does not fit a block of {blockLength} bytes");
        }
        return new ReadBlockReply(status, (int)chunkSize, blockLength, start, length, message);
    }
}
