using System.Buffers.Binary;
using Colony.Core;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Storage.Tests.Blocks;

public sealed class TransferCodecTests
{
    private static readonly BlockVersion Version = new(new BlockId(9), new GenerationStamp(3));

    [Fact]
    public void Wire_values_are_frozen()
    {
        Assert.Equal(2, TransferLimits.ProtocolVersion);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, new[] { FrameType.WriteBlock, FrameType.PipelineAck, FrameType.DataPacket, FrameType.ReadBlock, FrameType.ReadReply }.Select(t => (byte)t));
        Assert.Equal(
            new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
            new[]
            {
                TransferStatus.Ok, TransferStatus.ChecksumError, TransferStatus.IoError, TransferStatus.DiskFull, TransferStatus.Unreachable,
                TransferStatus.BlockNotFound, TransferStatus.StaleStamp, TransferStatus.Corrupt, TransferStatus.InvalidRequest, TransferStatus.AccessDenied,
            }.Select(s => (byte)s));
        Assert.Equal(8, FrameHeader.Size);
        Assert.Equal(24, DataPacketHeader.Size);
        Assert.Equal(4096, TransferLimits.MaxControlBody);
        Assert.Equal(1 << 20, TransferLimits.MaxPacketData);
        Assert.Equal(512, TransferLimits.MaxTokenBytes);
    }

    [Fact]
    public void Frame_header_layout_is_frozen()
    {
        byte[] bytes = new byte[8];
        new FrameHeader(FrameType.ReadBlock, 32).Write(bytes);
        Assert.Equal("2000000004020000", Convert.ToHexString(bytes));
        Assert.Equal(new FrameHeader(FrameType.ReadBlock, 32), FrameHeader.Read(bytes));
    }

    [Theory]
    [InlineData("2000000009020000", "unknown frame type 9")]
    [InlineData("2000000004010000", "unsupported protocol version 1")]
    [InlineData("2000000004030000", "unsupported protocol version 3")]
    [InlineData("2000000004020100", "reserved")]
    [InlineData("0110000004020000", "exceeds the limit")]
    [InlineData("FFFFFFFF03020000", "exceeds the limit")]
    [InlineData("20000000040200", "truncated")]
    public void Malformed_frame_headers_are_rejected(string hex, string message)
    {
        BlockProtocolException e = Assert.Throws<BlockProtocolException>(() => FrameHeader.Read(Convert.FromHexString(hex)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Frame_header_of_the_wrong_type_is_rejected()
    {
        byte[] bytes = new byte[8];
        new FrameHeader(FrameType.ReadBlock, 32).Write(bytes);
        Assert.Throws<BlockProtocolException>(() => FrameHeader.Read(bytes, FrameType.WriteBlock));
    }

    [Fact]
    public void Write_request_round_trips_and_its_layout_is_frozen()
    {
        var request = new WriteBlockRequest(Version, 1024, 4096, 512, "c", ["h2:2", "h3:3"], "tok");
        byte[] frame = new byte[request.FrameLength];
        Assert.Equal(frame.Length, request.WriteFrame(frame));
        Assert.Equal(
            "3900000001020000" + "0900000000000000" + "0300000000000000" + "0004000000000000" + "0010000000000000" + "00020000"
            + "010063" + "02" + "0400" + "68323A32" + "0400" + "68333A33" + "0300" + "746F6B",
            Convert.ToHexString(frame));
        FrameHeader header = FrameHeader.Read(frame, FrameType.WriteBlock);
        WriteBlockRequest decoded = WriteBlockRequest.Decode(frame.AsSpan(8, header.BodyLength));
        Assert.Equal(request.Version, decoded.Version);
        Assert.Equal(1024, decoded.StartOffset);
        Assert.Equal(4096, decoded.ExpectedLength);
        Assert.Equal(512, decoded.ChunkSize);
        Assert.Equal("c", decoded.ClientName);
        Assert.Equal(["h2:2", "h3:3"], decoded.Targets);
        Assert.Equal("tok", decoded.Token);
        Assert.Equal(["h3:3"], decoded.Downstream().Targets);
        Assert.Equal("tok", decoded.Downstream().Token);
    }

    [Theory]
    [InlineData(0, 1000, 4096, "chunk size")]
    [InlineData(100, 512, 4096, "start offset")]
    [InlineData(1024, 512, 100, "expected length")]
    public void Invalid_write_requests_are_rejected_on_both_sides(long start, int chunk, long expected, string message)
    {
        var request = new WriteBlockRequest(Version, start, expected, chunk, "c", []);
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => request.WriteFrame(new byte[256])).Message, StringComparison.Ordinal);

        byte[] body = ValidWriteBody();
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(16), (ulong)start);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(24), (ulong)expected);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(32), (uint)chunk);
        Assert.Contains(message, Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode(body)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_request_bounds_are_enforced()
    {
        byte[] body = ValidWriteBody();
        Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode(body.AsSpan(0, body.Length - 1)));
        Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode([.. body, 0]));

        byte[] tooManyTargets = (byte[])body.Clone();
        tooManyTargets[^3] = 9; // the target count, before the (empty) token's length
        Assert.Contains("9 targets", Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode(tooManyTargets)).Message, StringComparison.Ordinal);

        byte[] longName = (byte[])body.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(longName.AsSpan(36), 60000);
        Assert.Contains("exceeds", Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode(longName)).Message, StringComparison.Ordinal);

        byte[] badUtf8 = (byte[])body.Clone();
        badUtf8[38] = 0xFF;
        Assert.Contains("UTF-8", Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode(badUtf8)).Message, StringComparison.Ordinal);

        byte[] noBlock = (byte[])body.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(noBlock, 0);
        Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode(noBlock));

        byte[] hugeOffset = (byte[])body.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(hugeOffset.AsSpan(16), ulong.MaxValue);
        Assert.Contains("out of range", Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode(hugeOffset)).Message, StringComparison.Ordinal);

        byte[] longToken = (byte[])body.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(longToken.AsSpan(longToken.Length - 2), TransferLimits.MaxTokenBytes + 1);
        Assert.Contains("token of 513 bytes exceeds", Assert.Throws<BlockProtocolException>(() => WriteBlockRequest.Decode(longToken)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new WriteBlockRequest(Version, 0, 4096, 512, "c", [], new string('t', 513)).WriteFrame(new byte[1024]));
    }

    [Fact]
    public void Acks_round_trip_and_their_layout_is_frozen()
    {
        var ack = new PipelineAck(5, [TransferStatus.Ok, TransferStatus.DiskFull], "full");
        byte[] frame = new byte[ack.FrameLength];
        ack.WriteFrame(frame);
        Assert.Equal("1100000002020000" + "0500000000000000" + "02" + "0003" + "0400" + "66756C6C", Convert.ToHexString(frame));
        PipelineAck decoded = PipelineAck.Decode(frame.AsSpan(8));
        Assert.Equal(5, decoded.Seqno);
        Assert.Equal([TransferStatus.Ok, TransferStatus.DiskFull], decoded.Statuses);
        Assert.Equal("full", decoded.Message);
        Assert.False(decoded.AllOk);
        Assert.Equal(1, decoded.FirstFailure);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    [InlineData(65536)]
    public void A_packet_bodys_length_gives_its_data_length(int chunkSize)
    {
        // Every data length around the chunk boundaries of the first chunks, and a full default packet's either side.
        IEnumerable<int> lengths = Enumerable.Range(0, (3 * chunkSize) + 5).Concat([256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1]);
        foreach (int data in lengths)
        {
            var packet = new DataPacketHeader(0, 0, Last: true, data);
            Assert.Equal(data, DataPacketHeader.DataLengthOfBody(packet.BodyLength(chunkSize), chunkSize));
        }
        Assert.Equal(0, DataPacketHeader.DataLengthOfBody(0, chunkSize)); // shorter than a header: nothing to count
    }

    [Fact]
    public void Prepending_puts_this_node_first()
    {
        var downstream = new PipelineAck(2, [TransferStatus.Ok, TransferStatus.Unreachable], "lost h3");
        PipelineAck ack = PipelineAck.Prepend(2, TransferStatus.Ok, downstream);
        Assert.Equal([TransferStatus.Ok, TransferStatus.Ok, TransferStatus.Unreachable], ack.Statuses);
        Assert.Equal(2, ack.FirstFailure);
        Assert.Equal("lost h3", ack.Message);
        Assert.Equal([TransferStatus.Ok], PipelineAck.Prepend(PipelineAck.SetupSeqno, TransferStatus.Ok, null).Statuses);
    }

    [Theory]
    [InlineData("0500000000000000" + "01" + "0A" + "0000", "unknown transfer status 10")]
    [InlineData("0500000000000000" + "00" + "0000", "statuses")]
    [InlineData("0500000000000000" + "0A" + "00000000000000000000" + "0000", "statuses")]
    [InlineData("FEFFFFFFFFFFFFFF" + "01" + "00" + "0000", "seqno")]
    [InlineData("0500000000000000" + "01" + "00" + "0500", "truncated")]
    [InlineData("0500000000000000" + "01" + "00" + "0000FF", "trailing")]
    public void Malformed_acks_are_rejected(string hex, string message) =>
        Assert.Contains(message, Assert.Throws<BlockProtocolException>(() => PipelineAck.Decode(Convert.FromHexString(hex))).Message, StringComparison.Ordinal);

    [Fact]
    public void Read_request_and_reply_round_trip()
    {
        var request = new ReadBlockRequest(Version, 700, 100, "tok");
        byte[] frame = new byte[request.FrameLength];
        Assert.Equal(frame.Length, request.WriteFrame(frame));
        Assert.Equal("2500000004020000" + "0900000000000000" + "0300000000000000" + "BC02000000000000" + "6400000000000000" + "0300" + "746F6B", Convert.ToHexString(frame));
        Assert.Equal(request, ReadBlockRequest.Decode(frame.AsSpan(8)));
        var anonymous = new ReadBlockRequest(Version, 700, 100);
        byte[] bare = new byte[anonymous.FrameLength];
        anonymous.WriteFrame(bare);
        Assert.Equal(anonymous, ReadBlockRequest.Decode(bare.AsSpan(8)));
        Assert.Equal("", ReadBlockRequest.Decode(bare.AsSpan(8)).Token);

        var reply = new ReadBlockReply(TransferStatus.Ok, 512, 1300, 512, 512);
        byte[] replyFrame = new byte[reply.FrameLength];
        reply.WriteFrame(replyFrame);
        Assert.Equal(reply, ReadBlockReply.Decode(replyFrame.AsSpan(8)));
    }

    [Fact]
    public void Read_request_that_overflows_is_rejected()
    {
        byte[] body = new byte[34]; // an empty token at the end
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(16), long.MaxValue);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(24), 1);
        Assert.Contains("overflows", Assert.Throws<BlockProtocolException>(() => ReadBlockRequest.Decode(body)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1000, 1300, 0, 0, "chunk size")]
    [InlineData(512, 1300, 100, 0, "does not fit")]
    [InlineData(512, 1300, 1024, 512, "does not fit")]
    public void Read_replies_that_do_not_fit_are_rejected(int chunk, long blockLength, long start, long length, string message)
    {
        var reply = new ReadBlockReply(TransferStatus.Ok, chunk, blockLength, start, length);
        byte[] frame = new byte[reply.FrameLength];
        reply.WriteFrame(frame);
        Assert.Contains(message, Assert.Throws<BlockProtocolException>(() => ReadBlockReply.Decode(frame.AsSpan(8))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_packet_layout_is_frozen_and_decodes()
    {
        byte[] data = [1, 2, 3];
        var packet = new DataPacketHeader(Seqno: 2, Offset: 1024, Last: true, DataLength: 3);
        byte[] frame = new byte[packet.FrameLength(512)];
        packet.WriteHeaders(frame, 512);
        ChunkChecksums.Compute(data, 512, frame.AsSpan(DataPacketHeader.ChecksumsOffset));
        data.CopyTo(frame, packet.DataOffset(512));
        Assert.Equal(8 + 24 + 4 + 3, frame.Length);
        Assert.Equal(
            "1F00000003020000" + "0200000000000000" + "0004000000000000" + "01000000" + "03000000"
            + BinaryPrimitives.ReverseEndianness(Crc32C.Compute(data)).ToString("X8", System.Globalization.CultureInfo.InvariantCulture) + "010203",
            Convert.ToHexString(frame));
        Assert.Equal(packet, DataPacketHeader.Decode(frame.AsSpan(8), 512));
    }

    [Fact]
    public void Malformed_data_packets_are_rejected()
    {
        Assert.Contains("truncated", Decode(new byte[10]), StringComparison.Ordinal);
        Assert.Contains("body of", Decode(Packet(0, false, 512)[..^1]), StringComparison.Ordinal);
        Assert.Contains("chunk boundary", Decode(Packet(100, true, 10)), StringComparison.Ordinal);
        Assert.Contains("whole chunks", Decode(Packet(0, false, 100)), StringComparison.Ordinal);
        byte[] flags = Packet(0, true, 10);
        flags[16] = 0x80;
        Assert.Contains("flags", Decode(flags), StringComparison.Ordinal);
        byte[] huge = Packet(0, true, 10);
        BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(20), uint.MaxValue);
        Assert.Contains("exceeds", Decode(huge), StringComparison.Ordinal);

        static string Decode(byte[] body) => Assert.Throws<BlockProtocolException>(() => DataPacketHeader.Decode(body, 512)).Message;
    }

    private static byte[] Packet(long offset, bool last, int length)
    {
        var packet = new DataPacketHeader(0, offset, last, length);
        byte[] frame = new byte[packet.FrameLength(512)];
        packet.WriteHeaders(frame, 512);
        return frame[8..];
    }

    private static byte[] ValidWriteBody()
    {
        var request = new WriteBlockRequest(Version, 0, 4096, 512, "c", []);
        byte[] frame = new byte[request.FrameLength];
        request.WriteFrame(frame);
        return frame[8..];
    }
}
