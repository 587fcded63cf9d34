using Colony.Client.Blocks;
using Colony.Client.FileSystem;
using Colony.Core;
using Colony.Node.Tests.Peers;

namespace Colony.Node.Tests.Blocks;

/// <summary>
/// A file streamed with CopyToAsync opens each next block's read while the block before comes in. These tests give the
/// stream its block locations directly (no namespace), so which replica is asked first is the test's choice.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ReadAheadTests
{
    /// <summary>More than the socket buffers between a node and the client hold.</summary>
    private const int BlockSize = 16 * 1024 * 1024;

    private static BlockVersion Block(ulong id) => new(new BlockId(id), new GenerationStamp(1));

    /// <summary>Writes <paramref name="blocks"/> blocks of the file to all three nodes; returns the file's bytes.</summary>
    private static async Task<byte[]> WriteAsync(TestNodes nodes, int blocks)
    {
        byte[] data = TestNodes.Data(blocks * BlockSize, seed: blocks);
        for (int i = 0; i < blocks; i++)
        {
            await Wait.ForAsync(nodes.Client.WriteBlockAsync(nodes.Pipeline(0, 1, 2), Block((ulong)i + 1), new MemoryStream(data, i * BlockSize, BlockSize)));
        }
        return data;
    }

    private static LocatedBlockResponse Located(int index, params string[] nodes) =>
        new(Block((ulong)index + 1).Id.Value, 1, (long)index * BlockSize, BlockSize, Checksum: 0, nodes);

    /// <summary>A client whose namespace address is never asked: every read here succeeds in its first round.</summary>
    private static ColonyFileSystem Client() =>
        new([new Uri("http://127.0.0.1:9")], (string?)null, new ColonyFileSystemOptions { Transfer = TestNodes.LargePackets });

    [Fact]
    public async Task Every_block_of_a_streamed_file_arrives_in_order_with_each_next_one_opened_ahead()
    {
        await using var nodes = TestNodes.Start(3, transfer: TestNodes.LargePackets);
        byte[] data = await WriteAsync(nodes, 3);
        using var fs = Client();
        var file = new LocationsResponse("/f", data.Length, true, [.. Enumerable.Range(0, 3).Select(i => Located(i, nodes.Address(i)))]);

        // Block 0 is still coming in when node 1 starts sending block 1.
        var next = nodes.Server(1);
        using var copy = new OnFirstWrite(() => Wait.UntilAsync(() => next.Counters.BytesRead > 0, "node 1 sending block 1"));

        await using var stream = new FileReadStream(fs, "/f", file);
        await Wait.ForAsync(stream.CopyToAsync(copy));

        Assert.Equal(data, copy.ToArray());
        Assert.Equal(data.Length, stream.BytesFetched);
        Assert.Equal([(long)BlockSize, BlockSize, BlockSize], Enumerable.Range(0, 3).Select(i => nodes.Server(i).Counters.BytesRead));
    }

    [Fact]
    public async Task A_block_whose_read_ahead_node_dies_before_its_turn_comes_from_the_next_replica()
    {
        await using var nodes = TestNodes.Start(3, transfer: TestNodes.LargePackets);
        byte[] data = await WriteAsync(nodes, 2);
        using var fs = Client();
        // Block 0 from node 1; block 1 first from node 0 (opened ahead), then node 2.
        var file = new LocationsResponse("/f", data.Length, true, [Located(0, nodes.Address(1)), Located(1, nodes.Address(0), nodes.Address(2))]);
        var opened = nodes.Server(0);
        // While block 0 comes in, node 0 starts sending block 1; then it dies, with block 1 not yet taken in.
        var destination = new OnFirstWrite(async () =>
        {
            await Wait.UntilAsync(() => opened.Counters.BytesRead > 0, "node 0 sending block 1");
            await nodes.StopAsync(0);
        });

        await using var stream = new FileReadStream(fs, "/f", file);
        await Wait.ForAsync(stream.CopyToAsync(destination));

        // What arrived from node 0 before it died counts (it was verified); node 2 sends the rest, and more than the
        // socket buffers could have held of node 0's is left.
        Assert.Equal(data, destination.ToArray());
        Assert.InRange(nodes.Server(2).Counters.BytesRead, 1, BlockSize);
    }

    /// <summary>A memory destination that runs an action before its first write.</summary>
    private sealed class OnFirstWrite(Func<Task> action) : MemoryStream
    {
        private Func<Task>? _action = action;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _action, null) is { } first)
            {
                await first();
            }
            await base.WriteAsync(buffer, cancellationToken);
        }
    }
}
