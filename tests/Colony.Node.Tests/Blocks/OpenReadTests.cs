using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Tests.Peers;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Tests.Blocks;

/// <summary>
/// A read opened ahead of its use (what a file reader does for the next block): the node starts sending at once, and
/// the reader takes the bytes in later, or drops them.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OpenReadTests
{
    /// <summary>Far more than the socket buffers hold, so the node is left waiting to send while the read is not taken in.</summary>
    private const int Size = 8 * 1024 * 1024;

    private static BlockVersion Block(ulong id) => new(new BlockId(id), new GenerationStamp(1));

    private static async Task<byte[]> WriteAsync(TestNodes nodes, BlockVersion block, int seed, int size = Size)
    {
        byte[] data = TestNodes.Data(size, seed);
        await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0), block, new MemoryStream(data)));
        return data;
    }

    [Fact]
    public async Task A_read_opened_ahead_is_taken_in_whole_after_another_block_was_read()
    {
        await using var nodes = TestNodes.Start(1, transfer: TestNodes.LargePackets);
        byte[] first = await WriteAsync(nodes, Block(1), seed: 1);
        byte[] second = await WriteAsync(nodes, Block(2), seed: 2);

        await using var ahead = await Wait.ForAsync(nodes.Client.OpenReadAsync(nodes.Address(0), Block(2), 0, Size));
        Assert.Equal(first, await Wait.ForAsync(nodes.ReadAsync(0, Block(1), 0, Size)));
        using var taken = new MemoryStream();
        await Wait.ForAsync(ahead.CopyToAsync(taken));

        Assert.Equal(second, taken.ToArray());
        Assert.Equal((nodes.Address(0), Block(2), 0L, (long)Size), (ahead.Node, ahead.Version, ahead.Offset, ahead.Length));
    }

    [Fact]
    public async Task An_opened_read_of_a_range_delivers_that_range_once()
    {
        await using var nodes = TestNodes.Start(1, transfer: TestNodes.LargePackets);
        byte[] data = await WriteAsync(nodes, Block(3), seed: 3);

        await using var read = await Wait.ForAsync(nodes.Client.OpenReadAsync(nodes.Address(0), Block(3), 1000, 5000));
        using var taken = new MemoryStream();
        await Wait.ForAsync(read.CopyToAsync(taken));

        Assert.Equal(data.AsSpan(1000, 5000).ToArray(), taken.ToArray());
        await Assert.ThrowsAsync<InvalidOperationException>(() => read.CopyToAsync(new MemoryStream()));
    }

    [Fact]
    public async Task A_read_dropped_unread_leaves_the_node_serving_the_same_block()
    {
        await using var nodes = TestNodes.Start(1, transfer: TestNodes.LargePackets);
        byte[] data = await WriteAsync(nodes, Block(4), seed: 4);

        var dropped = await Wait.ForAsync(nodes.Client.OpenReadAsync(nodes.Address(0), Block(4), 0, Size));
        await dropped.DisposeAsync();
        await dropped.DisposeAsync();

        Assert.Equal(data, await Wait.ForAsync(nodes.ReadAsync(0, Block(4), 0, Size)));
    }

    [Fact]
    public async Task A_refused_open_names_the_reason_and_a_node_gone_after_the_open_fails_the_read_as_unavailable()
    {
        await using var nodes = TestNodes.Start(1, transfer: TestNodes.LargePackets);
        // Four times the usual size: more than the socket buffers can hold, so the node is still sending when it stops.
        await WriteAsync(nodes, Block(5), seed: 5, size: 4 * Size);

        var missing = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => Wait.ForAsync(nodes.Client.OpenReadAsync(nodes.Address(0), Block(6), 0, 10)));
        Assert.NotEqual(TransferStatus.Ok, missing.Status);

        await using var read = await Wait.ForAsync(nodes.Client.OpenReadAsync(nodes.Address(0), Block(5), 0, 4 * Size));
        await nodes.StopAsync(0);
        var gone = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => Wait.ForAsync(read.CopyToAsync(new MemoryStream())));
        Assert.Equal(TransferStatus.Unreachable, gone.Status);
    }
}
