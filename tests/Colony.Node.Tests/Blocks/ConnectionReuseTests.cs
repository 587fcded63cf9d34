using System.Net;
using System.Net.Sockets;
using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Tests.Peers;

namespace Colony.Node.Tests.Blocks;

/// <summary>
/// A connection that finished a read serves the client's next read from the same node, plain or inside TLS; a read
/// not taken in whole, or a connection the node has closed, never carries another.
/// </summary>
public sealed class ConnectionReuseTests : IDisposable
{
    private const int Size = 300_000;

    private readonly TestAuthority _cluster = new("cluster CA");

    public void Dispose() => _cluster.Dispose();

    private static BlockVersion Block(ulong id) => new(new BlockId(id), new GenerationStamp(1));

    /// <summary>Small packets and chunks, with every connection the client opens counted.</summary>
    private BlockTransferOptions Options(ConnectCounter counter, bool tls = false, TimeSpan? idle = null) => new()
    {
        ChunkSize = TestNodes.SmallPackets.ChunkSize,
        PacketSize = TestNodes.SmallPackets.PacketSize,
        ReadTimeout = TestNodes.SmallPackets.ReadTimeout,
        IdleTimeout = idle ?? TimeSpan.FromSeconds(30),
        ConnectCallback = counter.ConnectAsync,
        Tls = tls ? _cluster.Trust(_cluster.Issue("node")) : null,
    };

    private static async Task<byte[]> WriteAsync(TestNodes nodes, BlockVersion block, int seed)
    {
        byte[] data = TestNodes.Data(Size, seed);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(data)));
        return data;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reads_of_any_range_one_after_another_share_one_connection(bool tls)
    {
        var counter = new ConnectCounter();
        await using var nodes = TestNodes.Start(1, transfer: Options(counter, tls));
        byte[] first = await WriteAsync(nodes, Block(1), seed: 1);
        byte[] second = await WriteAsync(nodes, Block(2), seed: 2);
        int writes = counter.Count;

        // Whole blocks, ranges inside and across chunks and packets, a last byte, and nothing at all: the client must
        // stop reading at each read's end exactly, or the next read on the connection would get its bytes.
        (BlockVersion Block, byte[] Data, int Offset, int Length)[] reads =
        [
            (Block(1), first, 0, Size), (Block(2), second, 1000, 5000), (Block(1), first, 511, 2), (Block(2), second, Size - 1, 1),
            (Block(1), first, 4096, 0), (Block(2), second, 2047, 10_000), (Block(1), first, 0, Size),
        ];
        foreach (var (block, data, offset, length) in reads)
        {
            Assert.Equal(data.AsSpan(offset, length).ToArray(), await Wait.ForAsync(nodes.ReadAsync(0, block, offset, length)));
        }

        Assert.Equal(writes + 1, counter.Count);
        // The write's connection closes on its own time; the reads' stays open, waiting for the next.
        await Wait.UntilAsync(() => nodes.Server(0).OpenConnections == 1, "only the reads' connection is open");
    }

    [Fact]
    public async Task A_read_not_taken_in_whole_closes_its_connection()
    {
        var counter = new ConnectCounter();
        await using var nodes = TestNodes.Start(1, transfer: Options(counter));
        byte[] data = await WriteAsync(nodes, Block(3), seed: 3);
        int writes = counter.Count;

        BlockRead dropped = await Wait.ForAsync(nodes.Client.OpenReadAsync(nodes.Address(0), Block(3), 0, Size));
        await dropped.DisposeAsync();
        var failing = new FailingStream(after: 10_000);
        BlockRead broken = await Wait.ForAsync(nodes.Client.OpenReadAsync(nodes.Address(0), Block(3), 0, Size));
        await Assert.ThrowsAsync<IOException>(() => Wait.ForAsync(broken.CopyToAsync(failing)));
        await broken.DisposeAsync();

        Assert.Equal(data, await Wait.ForAsync(nodes.ReadAsync(0, Block(3), 0, Size)));
        Assert.Equal(writes + 3, counter.Count);
    }

    [Fact]
    public async Task A_kept_connection_the_node_has_closed_gives_way_to_a_new_one_without_failing_the_read()
    {
        var counter = new ConnectCounter();
        // The node waits 2 × 100 ms for a next request; the client would keep the connection for 30 s.
        await using var nodes = TestNodes.Start(1, transfer: Options(new ConnectCounter(), idle: TimeSpan.FromMilliseconds(100)));
        byte[] data = await WriteAsync(nodes, Block(4), seed: 4);
        await using var client = new BlockTransferClient(Options(counter));

        using (var first = new MemoryStream())
        {
            await Wait.ForAsync(client.ReadBlockAsync(nodes.Address(0), Block(4), 0, Size, first));
        }
        await Wait.UntilAsync(() => nodes.Server(0).OpenConnections == 0, "the node closes the idle connection");
        using var second = new MemoryStream();
        await Wait.ForAsync(client.ReadBlockAsync(nodes.Address(0), Block(4), 0, Size, second));

        Assert.Equal(data, second.ToArray());
        Assert.Equal(2, counter.Count);
    }

    [Fact]
    public async Task Without_an_idle_time_every_read_has_its_own_connection()
    {
        var counter = new ConnectCounter();
        await using var nodes = TestNodes.Start(1, transfer: Options(counter, idle: TimeSpan.Zero));
        byte[] data = await WriteAsync(nodes, Block(5), seed: 5);
        int writes = counter.Count;

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(data, await Wait.ForAsync(nodes.ReadAsync(0, Block(5), 0, Size)));
        }

        Assert.Equal(writes + 3, counter.Count);
        await Wait.UntilAsync(() => nodes.Server(0).OpenConnections == 0, "the node closes each connection after its read");
    }

    /// <summary>Opens each connection directly, counting them.</summary>
    private sealed class ConnectCounter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public async ValueTask<Socket> ConnectAsync(DnsEndPoint endPoint, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endPoint, cancellationToken);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>A destination that fails once it has taken <c>after</c> bytes.</summary>
    private sealed class FailingStream(int after) : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            Length + buffer.Length > after ? ValueTask.FromException(new IOException("the destination is full")) : base.WriteAsync(buffer, cancellationToken);
    }
}
