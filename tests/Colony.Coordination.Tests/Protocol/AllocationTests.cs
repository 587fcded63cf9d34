using System.Buffers;
using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

/// <summary>The hot paths' allocation budgets: replies cost nothing to write, requests only what they carry.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Writing_a_reply_frame_allocates_nothing()
    {
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        var header = new ReplyHeader(7, 99, ErrorCode.Ok);
        var data = new GetDataResponse(new byte[1000], MessageCatalog.SampleStat);
        var children = new GetChildren2Response(["a", "b", "c"], MessageCatalog.SampleStat);
        var notification = new WatcherEvent(EventType.NodeDeleted, KeeperState.SyncConnected, "/a/b");
        WriteAll(output, header, data, children, notification); // warm up

        output.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        WriteAll(output, header, data, children, notification);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Decoding_a_request_allocates_only_the_request_and_its_path()
    {
        byte[] frame = Wire.Frame(new RequestHeader(1, OpCode.GetData), new GetDataRequest("/service/config", true))[4..];
        RequestDecoder.Decode(frame, out _); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        ClientRequest request = RequestDecoder.Decode(frame, out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("/service/config", ((GetDataRequest)request).Path);
        // A 15-char string (22 + 2×15 bytes, rounded up) and a two-field object.
        Assert.InRange(allocated, 1, 56 + 32);
    }

    [Fact]
    public void Reading_headers_allocates_nothing()
    {
        byte[] bytes = Wire.Encode(new ReplyHeader(1, 2, ErrorCode.Ok));
        ReadHeader(bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        ReplyHeader header = ReadHeader(bytes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2, header.Zxid);
        Assert.Equal(0, allocated);
    }

    private static ReplyHeader ReadHeader(byte[] bytes)
    {
        var reader = new JuteReader(bytes);
        return ReplyHeader.Read(ref reader);
    }

    private static void WriteAll(
        ArrayBufferWriter<byte> output, ReplyHeader header, GetDataResponse data, GetChildren2Response children, WatcherEvent notification)
    {
        FrameWriter.Write(output, header, data);
        FrameWriter.Write(output, header, children);
        FrameWriter.Write(output, new ReplyHeader(SpecialXid.Notification, -1, ErrorCode.Ok), notification);
        FrameWriter.Write(output, new ReplyHeader(SpecialXid.Ping, 5, ErrorCode.Ok));
    }
}
