using Colony.Consensus.Wire;
using static Colony.Consensus.Tests.Wire.WireTestData;

namespace Colony.Consensus.Tests.Wire;

/// <summary>
/// The wire format is spoken between nodes of different versions: these bytes must not change.
/// A new layout takes a new <see cref="WireFormat.FormatVersion"/>; it never edits these.
/// </summary>
public class WireGoldenTests
{
    [Fact]
    public void The_format_version_and_framing_are_frozen()
    {
        Assert.Equal(1, WireFormat.FormatVersion);
        Assert.Equal(8, WireFormat.FrameHeaderBytes);
        Assert.Equal((1, 2, 4), (WireFormat.FlagReject, WireFormat.FlagLeaderTransfer, WireFormat.FlagSnapshot));
    }

    [Fact]
    public void A_heartbeat_is_frozen() => AssertGolden(
        new Message { Type = MessageType.Heartbeat, From = 1, To = 2, Term = 3, Commit = 10, Context = 7 },
        // length 15, crc, version 1, type 7, flags 0, from..context, offset, size, data length, entry count
        "0000000f" + "e94de8e8" + "01" + "07" + "00" + "01" + "02" + "03" + "00" + "00" + "0a" + "00" + "07" + "00" + "00" + "00" + "00");

    [Fact]
    public void A_rejected_append_response_is_frozen() => AssertGolden(
        new Message { Type = MessageType.AppendResponse, From = 3, To = 1, Term = 300, LogTerm = 2, Index = 129, Reject = true, RejectHint = 127 },
        // term 300 = ac 02, index 129 = 81 01
        "00000011" + "b7825c57" + "01" + "06" + "01" + "03" + "01" + "ac02" + "02" + "8101" + "00" + "7f" + "00" + "00" + "00" + "00" + "00");

    [Fact]
    public void An_append_with_entries_is_frozen() => AssertGolden(
        new Message
        {
            Type = MessageType.Append, From = 1, To = 2, Term = 5, LogTerm = 4, Index = 9, Commit = 8,
            Entries = [new Entry(5, 10, EntryType.Normal, new byte[] { 0xAA, 0xBB }), new Entry(5, 11, EntryType.Noop, default)],
        },
        "00000019" + "b2935a37" + "01" + "05" + "00" + "01" + "02" + "05" + "04" + "09" + "08" + "00" + "00" + "00" + "00" + "00"
            + "02" + "05" + "0a" + "01" + "02" + "aabb" + "05" + "0b" + "03" + "00");

    [Fact]
    public void A_snapshot_chunk_is_frozen() => AssertGolden(
        new Message
        {
            Type = MessageType.SnapshotChunk, From = 1, To = 4, Term = 6, LeaderTransfer = false,
            Snapshot = new SnapshotMetadata(100, 5, new Membership([1, 2], [4])),
            SnapshotOffset = 3, SnapshotSize = 5, SnapshotData = new byte[] { 0xDE, 0xAD },
        },
        "00000034" + "0771dca4" + "01" + "09" + "04" + "01" + "04" + "06" + "00" + "00" + "00" + "00" + "00"
            + "64" + "05" + "20" + "00000002" + "0000000000000001" + "0000000000000002" + "00000001" + "0000000000000004"
            + "03" + "05" + "02" + "dead" + "00");

    private static void AssertGolden(Message message, string expectedHex)
    {
        byte[] frame = Frame(message);
        Assert.Equal(expectedHex, Convert.ToHexString(frame).ToLowerInvariant());
        ReadOnlySpan<byte> span = frame;
        Assert.True(MessageCodec.Default.TryReadFrame(ref span, out var decoded));
        AssertEqual(message, decoded);
    }
}
