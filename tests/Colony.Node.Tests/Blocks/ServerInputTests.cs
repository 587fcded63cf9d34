using System.Net;
using System.Net.Sockets;
using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Tests.Peers;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Tests.Blocks;

public sealed class ServerInputTests
{
    [Theory]
    [InlineData("2000000009020000")]
    [InlineData("FFFFFFFF03020000")]
    [InlineData("2000000004070000")]
    [InlineData("0800000002020000" + "0000000000000000")]
    [InlineData("0400000001020000" + "01020304")]
    [InlineData("2000000004020000" + "0000")]
    public async Task Malformed_input_closes_the_connection_and_the_server_keeps_serving(string hex)
    {
        await using var nodes = TestNodes.Start(1);
        var block = new BlockVersion(new BlockId(1), new GenerationStamp(1));
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(TestNodes.Data(100))));

        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(nodes.Server(0).LocalEndPoint);
            await socket.SendAsync(Convert.FromHexString(hex));
            socket.Shutdown(SocketShutdown.Send);
            byte[] buffer = new byte[64];
            int received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Wait.Timeout);
            Assert.Equal(0, received);
        }

        Assert.Equal(TestNodes.Data(100), await nodes.ReadAsync(0, block, 0, 100));
    }

    [Fact]
    public async Task After_a_read_a_connection_carries_more_reads_and_nothing_else()
    {
        await using var nodes = TestNodes.Start(1);
        var block = new BlockVersion(new BlockId(1), new GenerationStamp(1));
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(TestNodes.Data(100))));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(nodes.Server(0).LocalEndPoint);

        for (int read = 0; read < 2; read++)
        {
            await socket.SendAsync(ReadFrame(block));
            Assert.Equal(FrameType.ReadReply, (await ReceiveFrameAsync(socket)).Type);
            Assert.Equal(FrameType.DataPacket, (await ReceiveFrameAsync(socket)).Type); // 100 bytes: one packet, the last
        }
        var write = new WriteBlockRequest(new BlockVersion(new BlockId(2), new GenerationStamp(1)), 0, 100, 512, "test", [], "");
        byte[] frame = new byte[write.FrameLength];
        write.WriteFrame(frame);
        await socket.SendAsync(frame);

        byte[] buffer = new byte[64];
        Assert.Equal(0, await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Wait.Timeout));
    }

    /// <summary>Reads one whole frame off a raw socket and returns its header.</summary>
    private static async Task<FrameHeader> ReceiveFrameAsync(Socket socket)
    {
        byte[] header = new byte[FrameHeader.Size];
        await ReceiveExactlyAsync(socket, header);
        FrameHeader frame = FrameHeader.Read(header);
        await ReceiveExactlyAsync(socket, new byte[frame.BodyLength]);
        return frame;
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int now = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WaitAsync(Wait.Timeout);
            Assert.True(now > 0, "the node closed the connection inside a frame");
            got += now;
        }
    }

    [Fact]
    public async Task Connections_past_the_per_address_limit_are_closed_while_the_others_are_served()
    {
        await using var nodes = TestNodes.Start(1);
        var block = new BlockVersion(new BlockId(3), new GenerationStamp(1));
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(TestNodes.Data(100))));
        var options = new BlockTransferOptions { ChunkSize = 512, PacketSize = 2048, MaxConnectionsPerIp = 2 };
        await using var server = BlockTransferServer.Start(nodes.Stores[0], new IPEndPoint(IPAddress.Loopback, 0), tokens: null, options);

        // Two idle connections from 127.0.0.1 take its two slots; a third from there is closed on accept.
        using var first = await ConnectAsync(server.LocalEndPoint, IPAddress.Loopback);
        using var second = await ConnectAsync(server.LocalEndPoint, IPAddress.Loopback);
        using (var third = await ConnectAsync(server.LocalEndPoint, IPAddress.Loopback))
        {
            Assert.True(await ClosedByServerAsync(third), "the third connection from one address was served");
        }

        // Another address is served meanwhile, and a freed slot is taken again.
        using (var other = await ConnectAsync(server.LocalEndPoint, IPAddress.Parse("127.0.0.2")))
        {
            await other.SendAsync(ReadFrame(block));
            byte[] reply = new byte[64];
            int got = await other.ReceiveAsync(reply.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Wait.Timeout);
            Assert.Equal(TransferStatus.Ok, ReadBlockReply.Decode(reply.AsSpan(FrameHeader.Size, got - FrameHeader.Size)[..FrameHeader.Read(reply).BodyLength]).Status);
        }
        first.Dispose();
        var client = new BlockTransferClient(options);
        byte[] read = await Wait.ForAsync(RetryAsync(async () =>
        {
            using var destination = new MemoryStream();
            await client.ReadBlockAsync(server.Address, block, 0, 100, destination);
            return destination.ToArray();
        }));
        Assert.Equal(TestNodes.Data(100), read);
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint server, IPAddress from)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(server);
        return socket;
    }

    /// <summary>True when the server closes the connection without a byte (a request sent first is never answered).</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket)
    {
        try
        {
            await socket.SendAsync(new byte[FrameHeader.Size]);
            byte[] buffer = new byte[64];
            return await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Wait.Timeout) == 0;
        }
        catch (SocketException)
        {
            return true; // reset
        }
    }

    private static byte[] ReadFrame(BlockVersion block)
    {
        var request = new ReadBlockRequest(block, 0, 100);
        byte[] frame = new byte[request.FrameLength];
        request.WriteFrame(frame);
        return frame;
    }

    /// <summary>Runs <paramref name="read"/> until it succeeds: the freed slot is released when the server notices the close.</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> read)
    {
        while (true)
        {
            try
            {
                return await read();
            }
            catch (Exception e) when (e is IOException or SocketException or BlockProtocolException)
            {
                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task A_write_with_a_bad_packet_is_refused_and_leaves_no_finalized_replica()
    {
        await using var nodes = TestNodes.Start(1);
        var block = new BlockVersion(new BlockId(2), new GenerationStamp(1));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(nodes.Server(0).LocalEndPoint);
        var request = new WriteBlockRequest(block, 0, 1024, 512, "raw", []);
        byte[] frame = new byte[request.FrameLength];
        request.WriteFrame(frame);
        await socket.SendAsync(frame);
        byte[] reply = new byte[64];
        int got = await socket.ReceiveAsync(reply.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Wait.Timeout);
        Assert.True(PipelineAck.Decode(reply.AsSpan(8, got - 8)).AllOk);

        // A packet whose checksum does not match its data: the node answers ChecksumError for itself.
        var packet = new DataPacketHeader(0, 0, true, 10);
        byte[] bad = new byte[packet.FrameLength(512)];
        packet.WriteHeaders(bad, 512);
        await socket.SendAsync(bad);
        got = await socket.ReceiveAsync(reply.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Wait.Timeout);
        PipelineAck ack = PipelineAck.Decode(reply.AsSpan(8, got - 8));
        Assert.Equal([TransferStatus.ChecksumError], ack.Statuses);
        Assert.DoesNotContain(nodes.Stores[0].Report(), r => r.State == ReplicaState.Finalized);
    }
}
