using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Colony.Client.Blocks;
using Colony.Client.Security;
using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Tests.Peers;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Tests.Blocks;

/// <summary>Block transfers inside mutual TLS: a pipeline of three data nodes, and a client the cluster's CA did not certify.</summary>
public sealed class BlockTransferTlsTests : IDisposable
{
    private readonly TestAuthority _cluster = new("cluster CA");
    private readonly TestAuthority _other = new("another CA");

    public void Dispose()
    {
        _cluster.Dispose();
        _other.Dispose();
    }

    [Fact]
    public async Task A_block_written_through_a_tls_pipeline_reads_back_from_every_replica()
    {
        await using var nodes = TestNodes.Start(3, transfer: WithTls(_cluster.Trust(_cluster.Issue("node"))));
        var block = new BlockVersion(new BlockId(5), new GenerationStamp(1));
        byte[] data = TestNodes.Data(100_000);

        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(1, 2, 0), block, new MemoryStream(data)));

        for (int node = 0; node < 3; node++)
        {
            Assert.Equal(data, await nodes.ReadAsync(node, block, 0, data.Length));
        }
    }

    [Theory]
    [InlineData(256 * 1024)] // the default: each packet is sixteen TLS records, sent together
    [InlineData(1024 * 1024)] // the largest: more records than one send gathers
    public async Task Full_size_packets_cross_a_tls_pipeline_and_read_back_from_every_replica(int packetSize)
    {
        var transfer = new BlockTransferOptions { PacketSize = packetSize, ReadTimeout = TestNodes.SmallPackets.ReadTimeout, Tls = _cluster.Trust(_cluster.Issue("node")) };
        await using var nodes = TestNodes.Start(3, transfer: transfer);
        var block = new BlockVersion(new BlockId(8), new GenerationStamp(1));
        byte[] data = TestNodes.Data((3 * packetSize) + 12_345);

        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(2, 0, 1), block, new MemoryStream(data)));

        for (int node = 0; node < 3; node++)
        {
            Assert.Equal(data, await nodes.ReadAsync(node, block, 0, data.Length));
        }
        Assert.Equal(data.AsSpan(packetSize - 100, packetSize + 200).ToArray(), await nodes.ReadAsync(1, block, packetSize - 100, packetSize + 200));
    }

    [Fact]
    public async Task A_client_with_a_certificate_from_another_CA_can_neither_write_nor_read()
    {
        await using var nodes = TestNodes.Start(1, transfer: WithTls(_cluster.Trust(_cluster.Issue("node"))));
        var block = new BlockVersion(new BlockId(6), new GenerationStamp(1));
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(TestNodes.Data(1000))));
        Assert.True(nodes.Stores[0].Deltas.TryRead(out _));
        // The intruder trusts the cluster's CA, so only its own certificate stands in the way.
        var intruderCertificate = _other.Issue("intruder");
        var intruder = new BlockTransferClient(WithTls(new ClusterTrust(() => intruderCertificate, () => [_cluster.Certificate])));

        var write = await Assert.ThrowsAsync<PipelineFailedException>(() => Wait.ForAsync(
            intruder.WriteBlockAsync(nodes.Pipeline(0), new BlockVersion(new BlockId(7), new GenerationStamp(1)), new MemoryStream(TestNodes.Data(1000)))));
        Assert.Equal(TransferStatus.Unreachable, write.Status);
        var read = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => Wait.ForAsync(intruder.ReadBlockAsync(nodes.Address(0), block, 0, 1000, new MemoryStream())));
        Assert.Equal(TransferStatus.Unreachable, read.Status);
        Assert.False(nodes.Stores[0].Deltas.TryRead(out _), "the refused write left a replica");
    }

    [Fact]
    public async Task A_node_whose_certificate_is_replaced_presents_the_new_one_on_the_next_connection()
    {
        X509Certificate2 presented = _cluster.Issue("first");
        await using var nodes = TestNodes.Start(1, transfer: WithTls(new ClusterTrust(() => presented, () => [_cluster.Certificate])));
        var client = _cluster.Trust(_cluster.Issue("client"));

        Assert.Equal("CN=first", await PresentedSubjectAsync(nodes.Address(0), client));
        presented = _cluster.Issue("second");
        Assert.Equal("CN=second", await PresentedSubjectAsync(nodes.Address(0), client));

        // And the data path still works with the new certificate.
        var block = new BlockVersion(new BlockId(9), new GenerationStamp(1));
        byte[] data = TestNodes.Data(50_000);
        await Wait.ForAsync(new BlockTransferClient(WithTls(client)).WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(data)));
        Assert.Equal(data, await nodes.ReadAsync(0, block, 0, data.Length));
    }

    [Fact]
    public async Task Block_connections_agree_on_aes_128_gcm_on_linux()
    {
        var options = WithTls(_cluster.Trust(_cluster.Issue("node")));
        await using var nodes = TestNodes.Start(1, transfer: options);

        await using FrameConnection connection = await Wait.ForAsync(FrameConnection.ConnectAsync(nodes.Address(0), options, CancellationToken.None));

        Assert.NotNull(connection.CipherSuite);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(TlsCipherSuite.TLS_AES_128_GCM_SHA256, connection.CipherSuite);
        }
    }

    [Theory]
    [InlineData(false)] // the relay alone: the write goes through, so the relay is not what fails it below
    [InlineData(true)]
    public async Task A_byte_altered_on_the_wire_after_the_handshake_fails_the_write_and_stores_nothing(bool alter)
    {
        var options = WithTls(_cluster.Trust(_cluster.Issue("node")));
        await using var nodes = TestNodes.Start(1, transfer: options);
        var block = new BlockVersion(new BlockId(10), new GenerationStamp(1));
        byte[] data = TestNodes.Data(200_000);
        // Far past the handshake (a few KiB), inside the sealed data packets.
        var writer = new BlockTransferClient(new BlockTransferOptions
        {
            ChunkSize = options.ChunkSize,
            PacketSize = options.PacketSize,
            Window = options.Window,
            ReadTimeout = options.ReadTimeout,
            Tls = options.Tls,
            ConnectCallback = (endpoint, token) => AlteringRelay.ConnectAsync(endpoint, alter ? 60_000 : -1, token),
        });

        Task write = Wait.ForAsync(writer.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(data)));

        if (alter)
        {
            await Assert.ThrowsAsync<PipelineFailedException>(() => write);
            Assert.False(nodes.Stores[0].Deltas.TryRead(out _), "a replica was finalized from altered bytes");
        }
        else
        {
            await write;
            Assert.Equal(data, await nodes.ReadAsync(0, block, 0, data.Length));
        }
    }

    /// <summary>Opens a TLS connection to a block transfer port and returns the subject of the certificate it presents.</summary>
    private static async Task<string> PresentedSubjectAsync(string address, ClusterTrust trust)
    {
        (string host, int port) = FrameConnection.ParseAddress(address);
        using var tcp = new TcpClient();
        await Wait.ForAsync(tcp.ConnectAsync(host, port));
        await using var ssl = new SslStream(tcp.GetStream());
        await Wait.ForAsync(ssl.AuthenticateAsClientAsync(trust.ClientOptions(host)));
        return ssl.RemoteCertificate!.Subject;
    }

    private static BlockTransferOptions WithTls(ClusterTrust trust) => new()
    {
        ChunkSize = TestNodes.SmallPackets.ChunkSize,
        PacketSize = TestNodes.SmallPackets.PacketSize,
        Window = TestNodes.SmallPackets.Window,
        ReadTimeout = TestNodes.SmallPackets.ReadTimeout,
        Tls = trust,
    };

    /// <summary>A loopback relay in front of one connection that flips one bit of the client's bytes at a given offset (or none).</summary>
    private static class AlteringRelay
    {
        public static async ValueTask<Socket> ConnectAsync(System.Net.DnsEndPoint target, long alterAt, CancellationToken cancellationToken)
        {
            using var listener = new Socket(System.Net.Sockets.AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = new Socket(System.Net.Sockets.AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken);
            Socket inside = await listener.AcceptAsync(cancellationToken);
            var outside = new Socket(System.Net.Sockets.AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await outside.ConnectAsync(target, cancellationToken);
            _ = PumpAsync(inside, outside, alterAt);
            _ = PumpAsync(outside, inside, -1);
            return client;
        }

        private static async Task PumpAsync(Socket from, Socket to, long alterAt)
        {
            byte[] buffer = new byte[16 * 1024];
            long position = 0;
            try
            {
                int n;
                while ((n = await from.ReceiveAsync(buffer)) > 0)
                {
                    if (alterAt >= position && alterAt < position + n)
                    {
                        buffer[alterAt - position] ^= 0x01;
                    }
                    position += n;
                    await to.SendAsync(buffer.AsMemory(0, n));
                }
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // One side went away: so does the other.
            }
            finally
            {
                from.Dispose();
                to.Dispose();
            }
        }
    }
}
