namespace Colony.Storage.Blocks.Transfer;

/// <summary>
/// A pipeline's answer, sent upstream: one status per node from the sending node to the end of the pipeline.
/// <see cref="Seqno"/> is <see cref="SetupSeqno"/> for the answer to <see cref="WriteBlockRequest"/>, else the packet's.
/// Body: seqno i64, status count u8, statuses u8 each, message (u16 + UTF-8; why the first failure failed).
/// </summary>
public sealed record PipelineAck(long Seqno, IReadOnlyList<TransferStatus> Statuses, string Message = "")
{
    public const long SetupSeqno = -1;

    public bool AllOk => Statuses.All(status => status == TransferStatus.Ok);

    /// <summary>The index (0 = the node that sent this ack) of the first node that failed, or −1.</summary>
    public int FirstFailure
    {
        get
        {
            for (int i = 0; i < Statuses.Count; i++)
            {
                if (Statuses[i] != TransferStatus.Ok)
                {
                    return i;
                }
            }
            return -1;
        }
    }

    /// <summary>This node's ack: its own status in front of what came from downstream.</summary>
    public static PipelineAck Prepend(long seqno, TransferStatus own, PipelineAck? downstream, string message = "")
    {
        var statuses = new TransferStatus[1 + (downstream?.Statuses.Count ?? 0)];
        statuses[0] = own;
        for (int i = 1; i < statuses.Length; i++)
        {
            statuses[i] = downstream!.Statuses[i - 1];
        }
        return new PipelineAck(seqno, statuses, message.Length > 0 ? message : downstream?.Message ?? "");
    }

    public int FrameLength => FrameHeader.Size + 8 + 1 + Statuses.Count + WireWriter.StringSize(Clip(Message));

    public int WriteFrame(Span<byte> destination)
    {
        if (Statuses.Count > TransferLimits.MaxTargets + 1)
        {
            throw new ArgumentException($"{Statuses.Count} statuses exceed a pipeline's length", nameof(Statuses));
        }
        int length = FrameLength;
        new FrameHeader(FrameType.PipelineAck, length - FrameHeader.Size).Write(destination);
        var writer = new WireWriter(destination[FrameHeader.Size..length]);
        writer.WriteUInt64((ulong)Seqno);
        writer.WriteByte((byte)Statuses.Count);
        foreach (TransferStatus status in Statuses)
        {
            writer.WriteByte((byte)status);
        }
        writer.WriteString(Clip(Message));
        return length;
    }

    public static PipelineAck Decode(ReadOnlySpan<byte> body)
    {
        var reader = new WireReader(body, "PipelineAck");
        long seqno = (long)reader.ReadUInt64();
        if (seqno < SetupSeqno)
        {
            throw new BlockProtocolException($"PipelineAck: seqno {seqno} is out of range");
        }
        int count = reader.ReadByte();
        if (count is 0 || count > TransferLimits.MaxTargets + 1)
        {
            throw new BlockProtocolException($"PipelineAck: {count} statuses is not a pipeline's length");
        }
        var statuses = new TransferStatus[count];
        for (int i = 0; i < count; i++)
        {
            statuses[i] = StatusFromWire(reader.ReadByte());
        }
        string message = reader.ReadString("message", TransferLimits.MaxMessageBytes);
        reader.End();
        return new PipelineAck(seqno, statuses, message);
    }

    internal static TransferStatus StatusFromWire(byte value) =>
        value <= (byte)TransferStatus.AccessDenied
            ? (TransferStatus)value
            : throw new BlockProtocolException($"unknown transfer status {value}");

    /// <summary>Cuts a message to the wire limit (on a character boundary, counting UTF-8 bytes).</summary>
    internal static string Clip(string message)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(message) <= TransferLimits.MaxMessageBytes)
        {
            return message;
        }
        return message[..(TransferLimits.MaxMessageBytes / 4)];
    }
}
