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

    private static BlockTransferOptions WithTls(ClusterTrust trust) => new()
    {
        ChunkSize = TestNodes.SmallPackets.ChunkSize,
        PacketSize = TestNodes.SmallPackets.PacketSize,
        Window = TestNodes.SmallPackets.Window,
        ReadTimeout = TestNodes.SmallPackets.ReadTimeout,
        Tls = trust,
    };
}
