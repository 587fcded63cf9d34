using System.Buffers.Binary;
using Colony.Core;

namespace Colony.Consensus.Storage;

/// <summary>The outcome of reading one record from a segment.</summary>
internal enum WalReadStatus : byte
{
    /// <summary>A whole record with a matching checksum.</summary>
    Valid = 1,

    /// <summary>No bytes left: the segment ends cleanly here.</summary>
    End = 2,

    /// <summary>The record is cut short (a torn write).</summary>
    Truncated = 3,

    /// <summary>The length field is impossible (above the limit).</summary>
    BadLength = 4,

    /// <summary>The checksum does not match (a torn or corrupted write).</summary>
    BadChecksum = 5,
}

/// <summary>
/// The framing of every write-ahead-log record, little-endian:
/// <c>[payload length: u32][crc32c of kind and payload: u32][kind: u8][payload]</c>.
/// The checksum covers the kind, so a flipped kind byte cannot turn one record into another.
/// Zeroed bytes never parse as a record: kind 0 with an empty payload does not checksum to 0.
/// </summary>
internal static class WalRecord
{
    public const int HeaderBytes = 9;

    /// <summary>Index, term and entry type ahead of an entry's data.</summary>
    public const int EntryPrefixBytes = 17;

    public const int HardStateBytes = 24;

    public const int LogResetBytes = 16;

    public const int SegmentHeaderBytes = 14;

    /// <summary>Every segment opens with a header record and a hard-state record: this many bytes.</summary>
    public const int PrologueBytes = 2 * HeaderBytes + SegmentHeaderBytes + HardStateBytes;

    /// <summary>"CWAL" read as a little-endian u32: marks a segment of this format.</summary>
    public const uint SegmentMagic = 0x4C415743;

    public const ushort FormatVersion = 1;

    /// <summary>
    /// Reads the record at the start of <paramref name="buffer"/>. A record that is not
    /// <see cref="WalReadStatus.Valid"/> ends the readable log.
    /// </summary>
    public static WalReadStatus TryRead(
        ReadOnlySpan<byte> buffer, int maxPayloadBytes, out WalRecordKind kind, out ReadOnlySpan<byte> payload,
        out int recordBytes)
    {
        kind = default;
        payload = default;
        recordBytes = 0;
        if (buffer.IsEmpty)
        {
            return WalReadStatus.End;
        }
        if (buffer.Length < HeaderBytes)
        {
            return WalReadStatus.Truncated;
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
        if (length > (uint)maxPayloadBytes)
        {
            return WalReadStatus.BadLength;
        }
        if ((ulong)buffer.Length < HeaderBytes + (ulong)length)
        {
            return WalReadStatus.Truncated;
        }
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(buffer[4..]);
        var covered = buffer.Slice(8, 1 + (int)length);
        if (Crc32C.Compute(covered) != crc)
        {
            return WalReadStatus.BadChecksum;
        }
        kind = (WalRecordKind)covered[0];
        payload = covered[1..];
        recordBytes = HeaderBytes + (int)length;
        return WalReadStatus.Valid;
    }

    /// <summary>Frames a record whose payload is already in place after the header: fills in length, kind and checksum.</summary>
    public static void Seal(Span<byte> record, WalRecordKind kind)
    {
        Invariant.Check(record.Length >= HeaderBytes, "record shorter than its header");
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(record.Length - HeaderBytes));
        record[8] = (byte)kind;
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32C.Compute(record[8..]));
    }

    public static int EntryRecordBytes(in Entry entry) => HeaderBytes + EntryPrefixBytes + entry.Data.Length;

    public static void WriteEntry(Span<byte> payload, in Entry entry)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(payload, entry.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], entry.Term);
        payload[16] = (byte)entry.Type;
        entry.Data.Span.CopyTo(payload[EntryPrefixBytes..]);
    }

    /// <summary>Decodes an entry whose data is sliced from <paramref name="segment"/>, not copied.</summary>
    public static Entry ReadEntry(ReadOnlyMemory<byte> segment, int payloadOffset, int payloadLength)
    {
        var payload = segment.Span.Slice(payloadOffset, payloadLength);
        if (payload.Length < EntryPrefixBytes)
        {
            throw new InvalidDataException($"entry record of {payload.Length} bytes is shorter than its {EntryPrefixBytes}-byte prefix");
        }
        ulong index = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        ulong term = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
        var type = (EntryType)payload[16];
        if (!Enum.IsDefined(type))
        {
            throw new InvalidDataException($"entry {index} has unknown type {(byte)type}");
        }
        var data = segment.Slice(payloadOffset + EntryPrefixBytes, payloadLength - EntryPrefixBytes);
        return new Entry(term, index, type, data);
    }

    public static void WriteHardState(Span<byte> payload, HardState state)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(payload, state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], state.Vote.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[16..], state.Commit);
    }

    public static HardState ReadHardState(ReadOnlySpan<byte> payload)
    {
        ExpectLength(payload, HardStateBytes, WalRecordKind.HardState);
        return new HardState(
            BinaryPrimitives.ReadUInt64LittleEndian(payload),
            new NodeId(BinaryPrimitives.ReadUInt64LittleEndian(payload[8..])),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]));
    }

    public static void WriteLogReset(Span<byte> payload, ulong index, ulong term)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(payload, index);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], term);
    }

    public static (ulong Index, ulong Term) ReadLogReset(ReadOnlySpan<byte> payload)
    {
        ExpectLength(payload, LogResetBytes, WalRecordKind.LogReset);
        return (BinaryPrimitives.ReadUInt64LittleEndian(payload), BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]));
    }

    public static void WriteSegmentHeader(Span<byte> payload, ulong sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(payload, SegmentMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[4..], FormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[6..], sequence);
    }

    /// <summary>The sequence number in a segment header, or an error for a foreign or newer format.</summary>
    public static ulong ReadSegmentHeader(ReadOnlySpan<byte> payload)
    {
        ExpectLength(payload, SegmentHeaderBytes, WalRecordKind.SegmentHeader);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
        if (magic != SegmentMagic || version != FormatVersion)
        {
            throw new InvalidDataException($"segment header has magic 0x{magic:X8} version {version}; expected 0x{SegmentMagic:X8} version {FormatVersion}");
        }
        return BinaryPrimitives.ReadUInt64LittleEndian(payload[6..]);
    }

    private static void ExpectLength(ReadOnlySpan<byte> payload, int expected, WalRecordKind kind)
    {
        if (payload.Length != expected)
        {
            throw new InvalidDataException($"{kind} record has {payload.Length} bytes; expected {expected}");
        }
    }
}
