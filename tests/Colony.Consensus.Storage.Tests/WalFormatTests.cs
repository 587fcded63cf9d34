using System.Buffers.Binary;
using Colony.Core;

namespace Colony.Consensus.Storage.Tests;

/// <summary>Pins what is on disk: changing any of these breaks every existing log.</summary>
public class WalFormatTests
{
    [Fact]
    public void Record_kind_values_are_frozen()
    {
        Assert.Equal(1, (byte)WalRecordKind.Entry);
        Assert.Equal(2, (byte)WalRecordKind.HardState);
        Assert.Equal(3, (byte)WalRecordKind.LogReset);
        Assert.Equal(4, (byte)WalRecordKind.SegmentHeader);
        Assert.Equal(4, Enum.GetValues<WalRecordKind>().Length);
    }

    [Fact]
    public void Entry_type_values_stored_in_records_are_frozen()
    {
        Assert.Equal(1, (byte)EntryType.Normal);
        Assert.Equal(2, (byte)EntryType.Membership);
        Assert.Equal(3, (byte)EntryType.Noop);
    }

    [Fact]
    public void Record_framing_is_length_checksum_kind_payload()
    {
        var record = new byte[WalRecord.HeaderBytes + 3];
        record[9] = 0xAA;
        record[10] = 0xBB;
        record[11] = 0xCC;
        WalRecord.Seal(record, WalRecordKind.HardState);

        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(record));
        Assert.Equal((byte)WalRecordKind.HardState, record[8]);
        Assert.Equal(Crc32C.Compute([2, 0xAA, 0xBB, 0xCC]), BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(4)));
        Assert.Equal(WalReadStatus.Valid, WalRecord.TryRead(record, 1024, out var kind, out var payload, out int bytes));
        Assert.Equal(WalRecordKind.HardState, kind);
        Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC }, payload.ToArray());
        Assert.Equal(record.Length, bytes);
    }

    [Fact]
    public void Reading_classifies_bad_records()
    {
        var record = new byte[WalRecord.HeaderBytes + 4];
        WalRecord.Seal(record, WalRecordKind.Entry);

        Assert.Equal(WalReadStatus.End, WalRecord.TryRead([], 1024, out _, out _, out _));
        Assert.Equal(WalReadStatus.Truncated, WalRecord.TryRead(record.AsSpan(0, 5), 1024, out _, out _, out _));
        Assert.Equal(WalReadStatus.Truncated, WalRecord.TryRead(record.AsSpan(0, record.Length - 1), 1024, out _, out _, out _));
        Assert.Equal(WalReadStatus.BadLength, WalRecord.TryRead(record, 3, out _, out _, out _));
        Assert.Equal(WalReadStatus.BadChecksum, WalRecord.TryRead(new byte[32], 1024, out _, out _, out _));
        record[^1] ^= 1;
        Assert.Equal(WalReadStatus.BadChecksum, WalRecord.TryRead(record, 1024, out _, out _, out _));
    }

    [Fact]
    public void Segment_prologue_size_matches_its_records()
    {
        Assert.Equal(56, WalRecord.PrologueBytes);
        Assert.Equal(0x4C415743u, WalRecord.SegmentMagic);
        Assert.Equal(0x504E5343u, SnapshotFile.Magic);
    }

    [Fact]
    public void File_names_sort_numerically()
    {
        Assert.Equal("0000000000000001.wal", StorageFileNames.Segment(1));
        Assert.Equal("00000000000000ff.snap", StorageFileNames.Snapshot(255));
        Assert.True(StorageFileNames.TryParseSegment("000000000000000a.wal", out ulong sequence));
        Assert.Equal(10ul, sequence);
        Assert.False(StorageFileNames.TryParseSegment("000000000000000A.wal", out _));
        Assert.False(StorageFileNames.TryParseSegment("1.wal", out _));
        Assert.False(StorageFileNames.TryParseSnapshot("00000000000000ff.snap.tmp", out _));
    }
}
