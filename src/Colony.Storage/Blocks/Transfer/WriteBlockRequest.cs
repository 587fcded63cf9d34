using Colony.Core;

namespace Colony.Storage.Blocks.Transfer;

/// <summary>
/// Opens a write pipeline at the receiving node; <see cref="Targets"/> are the nodes after it, in order.
/// Body: block id u64, stamp u64, start offset u64, expected length u64, chunk size u32,
/// client name (u16 + UTF-8), target count u8, each target "host:port" (u16 + UTF-8), then the
/// <see cref="BlockAccessToken"/> (u16 + ASCII; empty when the caller has none). Every node of the pipeline checks
/// the same token, and forwards it unchanged. A start offset above zero resumes a being-written replica after a
/// pipeline failure, under a newer stamp (and with a token for that stamp).
/// </summary>
public sealed record WriteBlockRequest(
    BlockVersion Version,
    long StartOffset,
    long ExpectedLength,
    int ChunkSize,
    string ClientName,
    IReadOnlyList<string> Targets,
    string Token = "")
{
    /// <summary>The same request as seen by the next node: its first target becomes the receiver.</summary>
    public WriteBlockRequest Downstream() => this with { Targets = Targets.Skip(1).ToArray() };

    public int BodyLength =>
        8 + 8 + 8 + 8 + 4 + WireWriter.StringSize(ClientName) + 1 + Targets.Sum(WireWriter.StringSize) + WireWriter.StringSize(Token);

    public int FrameLength => FrameHeader.Size + BodyLength;

    /// <summary>Writes header and body; returns the frame's length.</summary>
    public int WriteFrame(Span<byte> destination)
    {
        Validate();
        int body = BodyLength;
        new FrameHeader(FrameType.WriteBlock, body).Write(destination);
        var writer = new WireWriter(destination.Slice(FrameHeader.Size, body));
        writer.WriteUInt64(Version.Id.Value);
        writer.WriteUInt64(Version.Stamp.Value);
        writer.WriteUInt64((ulong)StartOffset);
        writer.WriteUInt64((ulong)ExpectedLength);
        writer.WriteUInt32((uint)ChunkSize);
        writer.WriteString(ClientName);
        writer.WriteByte((byte)Targets.Count);
        foreach (string target in Targets)
        {
            writer.WriteString(target);
        }
        writer.WriteString(Token);
        return FrameHeader.Size + body;
    }

    public static WriteBlockRequest Decode(ReadOnlySpan<byte> body)
    {
        var reader = new WireReader(body, "WriteBlock");
        var version = new BlockVersion(new BlockId(reader.ReadUInt64()), new GenerationStamp(reader.ReadUInt64()));
        long start = reader.ReadLength("start offset");
        long expected = reader.ReadLength("expected length");
        uint chunkSize = reader.ReadUInt32();
        string client = reader.ReadString("client name", TransferLimits.MaxNameBytes);
        int count = reader.ReadByte();
        if (count > TransferLimits.MaxTargets)
        {
            throw new BlockProtocolException($"WriteBlock: {count} targets exceed the limit of {TransferLimits.MaxTargets}");
        }
        var targets = new string[count];
        for (int i = 0; i < count; i++)
        {
            targets[i] = reader.ReadString("target", TransferLimits.MaxNameBytes);
        }
        string token = reader.ReadString("token", TransferLimits.MaxTokenBytes);
        reader.End();
        var request = new WriteBlockRequest(version, start, expected, (int)Math.Min(chunkSize, int.MaxValue), client, targets, token);
        try
        {
            request.Validate();
        }
        catch (ArgumentException e)
        {
            throw new BlockProtocolException("WriteBlock: " + e.Message, e);
        }
        return request;
    }

    private void Validate()
    {
        if (Version.Id.IsNone)
        {
            throw new ArgumentException("block id 0 is not a block", nameof(Version));
        }
        if (!ChunkChecksums.IsValidChunkSize(ChunkSize))
        {
            throw new ArgumentException($"chunk size {ChunkSize} is not a power of two in [{ChunkChecksums.MinChunkSize}, {ChunkChecksums.MaxChunkSize}]", nameof(ChunkSize));
        }
        if (StartOffset < 0 || StartOffset % ChunkSize != 0)
        {
            throw new ArgumentException($"start offset {StartOffset} is not a non-negative multiple of the chunk size", nameof(StartOffset));
        }
        if (ExpectedLength < StartOffset)
        {
            throw new ArgumentException($"expected length {ExpectedLength} is below the start offset {StartOffset}", nameof(ExpectedLength));
        }
        if (Targets.Count > TransferLimits.MaxTargets)
        {
            throw new ArgumentException($"{Targets.Count} targets exceed the limit of {TransferLimits.MaxTargets}", nameof(Targets));
        }
        WireWriter.CheckString(ClientName, nameof(ClientName), TransferLimits.MaxNameBytes);
        foreach (string target in Targets)
        {
            WireWriter.CheckString(target, nameof(Targets), TransferLimits.MaxNameBytes);
        }
        WireWriter.CheckString(Token, nameof(Token), TransferLimits.MaxTokenBytes);
    }
}
