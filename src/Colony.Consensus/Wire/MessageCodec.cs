using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Colony.Core;

namespace Colony.Consensus.Wire;

/// <summary>
/// Encodes Raft <see cref="Message"/>s into frames and decodes them back (layout in <see cref="WireFormat"/>).
/// Knows nothing of sockets: it writes into an <see cref="IBufferWriter{T}"/> and reads from buffers.
/// Immutable and thread-safe.
/// </summary>
public sealed class MessageCodec
{
    public MessageCodec(WireLimits? limits = null)
    {
        limits ??= WireLimits.Default;
        limits.Validate();
        Limits = limits;
    }

    /// <summary>A codec with <see cref="WireLimits.Default"/>.</summary>
    public static MessageCodec Default { get; } = new();

    public WireLimits Limits { get; }

    /// <summary>
    /// The size of <paramref name="message"/>'s frame, or false if it exceeds <see cref="Limits"/>
    /// (a receiver would reject it). Throws <see cref="ArgumentException"/> for a message no peer
    /// could decode at all (an undefined type, a negative snapshot offset).
    /// </summary>
    public bool TryMeasureFrame(Message message, out int frameBytes)
    {
        ArgumentNullException.ThrowIfNull(message);
        long bytes = WireFormat.FrameHeaderBytes + MeasurePayload(message, MembershipBytes(message));
        if (bytes > Limits.MaxFrameBytes || message.Entries.Length > Limits.MaxEntriesPerMessage)
        {
            frameBytes = 0;
            return false;
        }
        frameBytes = (int)bytes;
        return true;
    }

    /// <summary>
    /// Appends <paramref name="message"/>'s frame to <paramref name="output"/> in one contiguous span.
    /// Returns the frame's size. Throws <see cref="ArgumentException"/> if the message exceeds
    /// <see cref="Limits"/> or cannot be encoded.
    /// </summary>
    public int WriteFrame(Message message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        byte[]? membership = MembershipBytes(message);
        long payloadBytes = MeasurePayload(message, membership);
        long frameBytes = WireFormat.FrameHeaderBytes + payloadBytes;
        if (frameBytes > Limits.MaxFrameBytes)
        {
            throw new ArgumentException($"{message} needs a frame of {frameBytes} bytes, above the limit of {Limits.MaxFrameBytes}", nameof(message));
        }
        if (message.Entries.Length > Limits.MaxEntriesPerMessage)
        {
            throw new ArgumentException(
                $"{message} has {message.Entries.Length} entries, above the limit of {Limits.MaxEntriesPerMessage}", nameof(message));
        }
        var frame = output.GetSpan((int)frameBytes)[..(int)frameBytes];
        var payload = frame[WireFormat.FrameHeaderBytes..];
        int written = WritePayload(message, membership, payload);
        Invariant.Check(written == payload.Length, "payload size {0} differs from its measure", written);
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payloadBytes);
        BinaryPrimitives.WriteUInt32BigEndian(frame[4..], Crc32C.Compute(payload));
        output.Advance((int)frameBytes);
        return (int)frameBytes;
    }

    /// <summary>
    /// Reads the frame at the start of <paramref name="buffer"/> and moves <paramref name="buffer"/>
    /// past it. Returns false, leaving <paramref name="buffer"/> as it was, when the frame is not all
    /// there yet; throws <see cref="WireFormatException"/> for malformed input. A length above the
    /// limit is rejected as soon as the header is in, before anything is allocated.
    /// </summary>
    /// <remarks>The message owns its bytes: entries and snapshot data are slices of one array copied out of the buffer.</remarks>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, [NotNullWhen(true)] out Message? message)
    {
        message = null;
        if (buffer.Length < WireFormat.FrameHeaderBytes)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[WireFormat.FrameHeaderBytes];
        buffer.Slice(0, WireFormat.FrameHeaderBytes).CopyTo(header);
        int payloadBytes = CheckHeader(header, out uint checksum);
        if (buffer.Length - WireFormat.FrameHeaderBytes < payloadBytes)
        {
            return false;
        }
        byte[] payload = GC.AllocateUninitializedArray<byte>(payloadBytes);
        buffer.Slice(WireFormat.FrameHeaderBytes, payloadBytes).CopyTo(payload);
        message = DecodeChecked(payload, checksum);
        buffer = buffer.Slice(WireFormat.FrameHeaderBytes + payloadBytes);
        return true;
    }

    /// <summary>
    /// The span form of <see cref="TryReadFrame(ref ReadOnlySequence{byte}, out Message)"/>: same rules,
    /// and the message likewise owns a copy of its bytes.
    /// </summary>
    public bool TryReadFrame(ref ReadOnlySpan<byte> buffer, [NotNullWhen(true)] out Message? message)
    {
        message = null;
        if (buffer.Length < WireFormat.FrameHeaderBytes)
        {
            return false;
        }
        int payloadBytes = CheckHeader(buffer, out uint checksum);
        if (buffer.Length - WireFormat.FrameHeaderBytes < payloadBytes)
        {
            return false;
        }
        byte[] payload = buffer.Slice(WireFormat.FrameHeaderBytes, payloadBytes).ToArray();
        message = DecodeChecked(payload, checksum);
        buffer = buffer[(WireFormat.FrameHeaderBytes + payloadBytes)..];
        return true;
    }

    /// <summary>
    /// Decodes a payload (a frame without its header). Entries and snapshot data are slices of
    /// <paramref name="payload"/>, not copies: the caller hands the memory over.
    /// </summary>
    internal Message DecodePayload(ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        if (span.Length < WireFormat.PayloadPrefixBytes)
        {
            WireThrow.Truncated("payload prefix");
        }
        if (span[0] != WireFormat.FormatVersion)
        {
            WireThrow.Malformed($"unsupported format version {span[0]}");
        }
        var type = (MessageType)span[1];
        if (!Enum.IsDefined(type))
        {
            WireThrow.Malformed($"unknown message type {span[1]}");
        }
        byte flags = span[2];
        if ((flags & ~WireFormat.KnownFlags) != 0)
        {
            WireThrow.Malformed($"unknown flags {flags:x2}");
        }
        int at = WireFormat.PayloadPrefixBytes;
        var from = new NodeId(WireVarint.Read(span, ref at, "from"));
        var to = new NodeId(WireVarint.Read(span, ref at, "to"));
        ulong term = WireVarint.Read(span, ref at, "term");
        ulong logTerm = WireVarint.Read(span, ref at, "log term");
        ulong index = WireVarint.Read(span, ref at, "index");
        ulong commit = WireVarint.Read(span, ref at, "commit");
        ulong rejectHint = WireVarint.Read(span, ref at, "reject hint");
        ulong context = WireVarint.Read(span, ref at, "context");
        SnapshotMetadata? snapshot = null;
        if ((flags & WireFormat.FlagSnapshot) != 0)
        {
            ulong snapshotIndex = WireVarint.Read(span, ref at, "snapshot index");
            ulong snapshotTerm = WireVarint.Read(span, ref at, "snapshot term");
            int membershipBytes = ReadLength(span, ref at, "snapshot membership");
            var membership = DecodeMembership(span.Slice(at, membershipBytes));
            at += membershipBytes;
            snapshot = new SnapshotMetadata(snapshotIndex, snapshotTerm, membership);
        }
        long snapshotOffset = ReadNonNegative(span, ref at, "snapshot offset");
        long snapshotSize = ReadNonNegative(span, ref at, "snapshot size");
        int snapshotDataBytes = ReadLength(span, ref at, "snapshot data");
        var snapshotData = Slice(payload, at, snapshotDataBytes);
        at += snapshotDataBytes;
        var entries = ReadEntries(payload, ref at);
        if (at != span.Length)
        {
            WireThrow.Malformed($"{span.Length - at} trailing bytes after the message");
        }
        return new Message
        {
            Type = type,
            From = from,
            To = to,
            Term = term,
            LogTerm = logTerm,
            Index = index,
            Entries = entries,
            Commit = commit,
            Reject = (flags & WireFormat.FlagReject) != 0,
            RejectHint = rejectHint,
            LeaderTransfer = (flags & WireFormat.FlagLeaderTransfer) != 0,
            Context = context,
            Snapshot = snapshot,
            SnapshotOffset = snapshotOffset,
            SnapshotSize = snapshotSize,
            SnapshotData = snapshotData,
        };
    }

    private Entry[] ReadEntries(ReadOnlyMemory<byte> payload, ref int at)
    {
        var span = payload.Span;
        ulong count = WireVarint.Read(span, ref at, "entry count");
        if (count == 0)
        {
            return [];
        }
        if (count > (ulong)Limits.MaxEntriesPerMessage)
        {
            WireThrow.Malformed($"{count} entries exceed the limit of {Limits.MaxEntriesPerMessage}");
        }
        // Checked before allocating: a few bytes must not buy a large array.
        if (count > (ulong)((span.Length - at) / WireFormat.MinEntryBytes))
        {
            WireThrow.Truncated("entries");
        }
        var entries = new Entry[count];
        for (int i = 0; i < entries.Length; i++)
        {
            ulong term = WireVarint.Read(span, ref at, "entry term");
            ulong index = WireVarint.Read(span, ref at, "entry index");
            if (at >= span.Length)
            {
                WireThrow.Truncated("entry type");
            }
            var type = (EntryType)span[at];
            if (!Enum.IsDefined(type))
            {
                WireThrow.Malformed($"entry {index} has unknown type {span[at]}");
            }
            at++;
            int dataBytes = ReadLength(span, ref at, "entry data");
            entries[i] = new Entry(term, index, type, Slice(payload, at, dataBytes));
            at += dataBytes;
        }
        return entries;
    }

    private int CheckHeader(ReadOnlySpan<byte> header, out uint checksum)
    {
        uint payloadBytes = BinaryPrimitives.ReadUInt32BigEndian(header);
        checksum = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (payloadBytes > (uint)(Limits.MaxFrameBytes - WireFormat.FrameHeaderBytes))
        {
            WireThrow.FrameTooLarge(payloadBytes + (long)WireFormat.FrameHeaderBytes, Limits.MaxFrameBytes);
        }
        return (int)payloadBytes;
    }

    private Message DecodeChecked(byte[] payload, uint checksum)
    {
        uint actual = Crc32C.Compute(payload);
        if (actual != checksum)
        {
            WireThrow.BadChecksum(checksum, actual);
        }
        return DecodePayload(payload);
    }

    /// <summary>A membership in its one canonical form: sorted, without duplicates, no node both voter and learner.</summary>
    private static Membership DecodeMembership(ReadOnlySpan<byte> bytes)
    {
        Membership membership;
        try
        {
            membership = Membership.Decode(bytes);
        }
        catch (FormatException e)
        {
            throw new WireFormatException($"snapshot membership: {e.Message}", e);
        }
        if (membership.Voters.Overlaps(membership.Learners) || !bytes.SequenceEqual(membership.Encode()))
        {
            WireThrow.Malformed("snapshot membership is not in canonical form");
        }
        return membership;
    }

    private static ReadOnlyMemory<byte> Slice(ReadOnlyMemory<byte> payload, int at, int length) =>
        length == 0 ? ReadOnlyMemory<byte>.Empty : payload.Slice(at, length);

    /// <summary>A length that must fit in what is left of the payload.</summary>
    private static int ReadLength(ReadOnlySpan<byte> span, ref int at, string field)
    {
        ulong length = WireVarint.Read(span, ref at, field);
        if (length > (ulong)(span.Length - at))
        {
            WireThrow.Truncated(field);
        }
        return (int)length;
    }

    private static long ReadNonNegative(ReadOnlySpan<byte> span, ref int at, string field)
    {
        ulong value = WireVarint.Read(span, ref at, field);
        if (value > long.MaxValue)
        {
            WireThrow.Malformed($"{field} {value} is out of range");
        }
        return (long)value;
    }

    private static byte[]? MembershipBytes(Message message) => message.Snapshot?.Membership.Encode();

    private static long MeasurePayload(Message message, byte[]? membership)
    {
        if (!Enum.IsDefined(message.Type))
        {
            throw new ArgumentException($"message type {(byte)message.Type} is not defined", nameof(message));
        }
        if (message.SnapshotOffset < 0 || message.SnapshotSize < 0)
        {
            throw new ArgumentException($"{message} has a negative snapshot offset or size", nameof(message));
        }
        long bytes = WireFormat.PayloadPrefixBytes
            + WireVarint.Size(message.From.Value) + WireVarint.Size(message.To.Value)
            + WireVarint.Size(message.Term) + WireVarint.Size(message.LogTerm) + WireVarint.Size(message.Index)
            + WireVarint.Size(message.Commit) + WireVarint.Size(message.RejectHint) + WireVarint.Size(message.Context)
            + WireVarint.Size((ulong)message.SnapshotOffset) + WireVarint.Size((ulong)message.SnapshotSize)
            + WireVarint.Size((ulong)message.SnapshotData.Length) + message.SnapshotData.Length
            + WireVarint.Size((ulong)message.Entries.Length);
        if (message.Snapshot is { } snapshot)
        {
            bytes += WireVarint.Size(snapshot.Index) + WireVarint.Size(snapshot.Term)
                + WireVarint.Size((ulong)membership!.Length) + membership.Length;
        }
        foreach (ref readonly var entry in message.Entries.AsSpan())
        {
            if (!Enum.IsDefined(entry.Type))
            {
                throw new ArgumentException($"entry {entry.Index} has undefined type {(byte)entry.Type}", nameof(message));
            }
            bytes += WireVarint.Size(entry.Term) + WireVarint.Size(entry.Index) + 1
                + WireVarint.Size((ulong)entry.Data.Length) + entry.Data.Length;
        }
        return bytes;
    }

    private static int WritePayload(Message message, byte[]? membership, Span<byte> payload)
    {
        payload[0] = WireFormat.FormatVersion;
        payload[1] = (byte)message.Type;
        payload[2] = (byte)((message.Reject ? WireFormat.FlagReject : 0)
            | (message.LeaderTransfer ? WireFormat.FlagLeaderTransfer : 0)
            | (message.Snapshot is not null ? WireFormat.FlagSnapshot : 0));
        int at = WireFormat.PayloadPrefixBytes;
        at += WireVarint.Write(payload[at..], message.From.Value);
        at += WireVarint.Write(payload[at..], message.To.Value);
        at += WireVarint.Write(payload[at..], message.Term);
        at += WireVarint.Write(payload[at..], message.LogTerm);
        at += WireVarint.Write(payload[at..], message.Index);
        at += WireVarint.Write(payload[at..], message.Commit);
        at += WireVarint.Write(payload[at..], message.RejectHint);
        at += WireVarint.Write(payload[at..], message.Context);
        if (message.Snapshot is { } snapshot)
        {
            at += WireVarint.Write(payload[at..], snapshot.Index);
            at += WireVarint.Write(payload[at..], snapshot.Term);
            at += WriteBytes(payload[at..], membership);
        }
        at += WireVarint.Write(payload[at..], (ulong)message.SnapshotOffset);
        at += WireVarint.Write(payload[at..], (ulong)message.SnapshotSize);
        at += WriteBytes(payload[at..], message.SnapshotData.Span);
        at += WireVarint.Write(payload[at..], (ulong)message.Entries.Length);
        foreach (ref readonly var entry in message.Entries.AsSpan())
        {
            at += WireVarint.Write(payload[at..], entry.Term);
            at += WireVarint.Write(payload[at..], entry.Index);
            payload[at++] = (byte)entry.Type;
            at += WriteBytes(payload[at..], entry.Data.Span);
        }
        return at;
    }

    private static int WriteBytes(Span<byte> destination, ReadOnlySpan<byte> bytes)
    {
        int at = WireVarint.Write(destination, (ulong)bytes.Length);
        bytes.CopyTo(destination[at..]);
        return at + bytes.Length;
    }
}
