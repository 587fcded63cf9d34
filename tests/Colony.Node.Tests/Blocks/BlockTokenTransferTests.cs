using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Tests.Peers;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Tests.Blocks;

/// <summary>Data nodes that ask for block access tokens: what is let in, what is refused, and how a refusal reads.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BlockTokenTransferTests
{
    private static readonly byte[] Secret = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly BlockTokens Tokens = new(Secret, TimeSpan.FromMinutes(10), TimeProvider.System);

    private static BlockVersion Block(ulong id, ulong stamp = 1) => new(new BlockId(id), new GenerationStamp(stamp));

    [Fact]
    public async Task A_pipeline_with_a_write_token_stores_on_every_node_and_reads_back_with_a_read_token()
    {
        await using var nodes = TestNodes.Start(3, tokens: Tokens);
        byte[] data = TestNodes.Data(5000);
        BlockVersion block = Block(1);

        // Every node checks the token the first one forwards.
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1, 2), block, new MemoryStream(data), token: Tokens.Mint(block, BlockAccessMode.Write, "alice")));

        string read = Tokens.Mint(block, BlockAccessMode.Read, "alice");
        for (int node = 0; node < 3; node++)
        {
            using var destination = new MemoryStream();
            await Wait.ForAsync(nodes.Client.ReadBlockAsync(nodes.Address(node), block, 0, data.Length, destination, read));
            Assert.Equal(data, destination.ToArray());
            Assert.Equal(0, nodes.Server(node).Counters.TokensRefused);
        }
    }

    [Fact]
    public async Task Reads_without_a_fitting_token_are_refused_with_a_reason_and_counted()
    {
        await using var nodes = TestNodes.Start(1, tokens: Tokens);
        BlockVersion block = Block(2);
        BlockVersion other = Block(3);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(TestNodes.Data(1000)), token: Tokens.Mint(block, BlockAccessMode.Write, "alice")));
        var key = BlockAccessToken.DeriveKey(Secret);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var refusals = new (string Token, string Reason)[]
        {
            ("", "no block access token"),
            (Tokens.Mint(other, BlockAccessMode.Read, "alice"), "another block"),
            (Tokens.Mint(new BlockVersion(block.Id, new GenerationStamp(9)), BlockAccessMode.Read, "alice"), "another block"),
            (Tokens.Mint(block, BlockAccessMode.Write, "alice"), "does not allow"),
            (new BlockAccessToken(block, BlockAccessMode.Read, "alice", now - 120_000).Sign(key), "expired"),
            (new BlockAccessToken(block, BlockAccessMode.Read, "alice", now + 60_000).Sign(BlockAccessToken.DeriveKey("another cluster"u8)), "signature"),
            ("garbage", "malformed"),
        };
        foreach (var (token, reason) in refusals)
        {
            var e = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => Wait.ForAsync(nodes.Client.ReadBlockAsync(nodes.Address(0), block, 0, 1000, Stream.Null, token)));
            Assert.Equal(TransferStatus.AccessDenied, e.Status);
            Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        }
        Assert.Equal(refusals.Length, nodes.Server(0).Counters.TokensRefused);
        Assert.Equal(0, nodes.Server(0).Counters.BytesRead);
    }

    [Fact]
    public async Task A_write_without_a_token_is_refused_at_setup_and_stores_nothing()
    {
        await using var nodes = TestNodes.Start(2, tokens: Tokens);
        BlockVersion block = Block(4);

        var e = await Assert.ThrowsAsync<PipelineFailedException>(() => Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1), block, new MemoryStream(TestNodes.Data(1000)))));
        Assert.Equal(TransferStatus.AccessDenied, e.Status);
        Assert.Equal(0, e.FailedIndex);
        Assert.Contains("no block access token", e.Message, StringComparison.Ordinal);

        // A read token does not open a pipeline either.
        e = await Assert.ThrowsAsync<PipelineFailedException>(() => Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1), block, new MemoryStream(TestNodes.Data(1000)), token: Tokens.Mint(block, BlockAccessMode.Read, "alice"))));
        Assert.Equal(TransferStatus.AccessDenied, e.Status);
        Assert.Empty(nodes.Stores[0].Report());
        Assert.Empty(nodes.Stores[1].Report());
        Assert.Equal(2, nodes.Server(0).Counters.TokensRefused);
    }

    [Fact]
    public async Task A_copy_carries_a_token_the_node_mints_itself()
    {
        await using var nodes = TestNodes.Start(2, tokens: Tokens);
        byte[] data = TestNodes.Data(3000);
        BlockVersion block = Block(5);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(data), token: Tokens.Mint(block, BlockAccessMode.Write, "alice")));

        var withoutToken = new BlockReplicator(nodes.Stores[0], nodes.Client, BlockReplicator.DefaultBytesPerSecond, TimeProvider.System);
        var refused = await Assert.ThrowsAsync<PipelineFailedException>(() => Wait.ForAsync(withoutToken.CopyAsync(block, nodes.Address(1))));
        Assert.Equal(TransferStatus.AccessDenied, refused.Status);

        var replicator = new BlockReplicator(nodes.Stores[0], nodes.Client, BlockReplicator.DefaultBytesPerSecond, TimeProvider.System,
            version => Tokens.Mint(version, BlockAccessMode.Copy, "node-1"));
        Assert.Equal(data.Length, await Wait.ForAsync(replicator.CopyAsync(block, nodes.Address(1))));
        using var destination = new MemoryStream();
        await Wait.ForAsync(nodes.Client.ReadBlockAsync(nodes.Address(1), block, 0, data.Length, destination, Tokens.Mint(block, BlockAccessMode.Read, "alice")));
        Assert.Equal(data, destination.ToArray());
    }
}
