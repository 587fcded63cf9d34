using Colony.Client.Blocks;
using Colony.Core;
using Colony.Node.Blocks;

namespace Colony.Node.Tests.Blocks;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalReplicaReaderTests : IDisposable
{
    private const string Self = "127.0.0.1:9866";

    private readonly string _directory = Directory.CreateTempSubdirectory("colony-short-circuit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static BlockVersion Block(ulong id, ulong stamp = 1) => new(new BlockId(id), new GenerationStamp(stamp));

    private static byte[] Data(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private BlockStore Open() => BlockStore.Open(new BlockStoreOptions { Directory = _directory });

    [Theory]
    [InlineData(0, 5000)]
    [InlineData(1, 4999)]
    [InlineData(700, 100)]
    [InlineData(511, 2)]
    [InlineData(4999, 1)]
    [InlineData(2048, 0)]
    public async Task Reads_exactly_the_range_asked_for(int offset, int length)
    {
        using var store = Open();
        byte[] data = Data(5000, offset + length);
        await BlockStoreTests.WriteAsync(store, Block(7), data);
        var reader = new LocalReplicaReader(Self, BlockStore.FinalizedDirectoryOf(_directory));

        using var destination = new MemoryStream();
        Assert.True(await reader.TryReadAsync(Block(7), offset, length, destination, CancellationToken.None));

        Assert.Equal(data.AsSpan(offset, length).ToArray(), destination.ToArray());
        Assert.Equal(length, reader.BytesRead);
    }

    [Fact]
    public async Task A_replica_this_node_does_not_hold_is_left_to_the_network()
    {
        using var store = Open();
        await BlockStoreTests.WriteAsync(store, Block(7, stamp: 2), Data(3000, 1));
        var reader = new LocalReplicaReader(Self, BlockStore.FinalizedDirectoryOf(_directory));

        using var destination = new MemoryStream();
        Assert.False(await reader.TryReadAsync(Block(8), 0, 10, destination, CancellationToken.None)); // another block
        Assert.False(await reader.TryReadAsync(Block(7, stamp: 1), 0, 10, destination, CancellationToken.None)); // an older stamp
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public async Task A_corrupt_chunk_is_reported_after_the_verified_bytes_before_it()
    {
        using var store = Open();
        byte[] data = Data(5000, 3);
        await BlockStoreTests.WriteAsync(store, Block(9), data);
        BlockStoreTests.FlipByte(store, Block(9), 2600); // in the sixth 512-byte chunk, which starts at 2560
        var reader = new LocalReplicaReader(Self, BlockStore.FinalizedDirectoryOf(_directory));

        using var destination = new MemoryStream();
        var error = await Assert.ThrowsAsync<ChecksumMismatchException>(() => reader.TryReadAsync(Block(9), 100, 4900, destination, CancellationToken.None));

        Assert.Equal(2560, error.Offset);
        Assert.Equal(Self, error.Node);
        Assert.Equal(data.AsSpan(100, 2460).ToArray(), destination.ToArray());
    }

    [Fact]
    public async Task A_sidecar_that_does_not_match_the_data_is_refused()
    {
        using var store = Open();
        await BlockStoreTests.WriteAsync(store, Block(11), Data(3000, 4));
        var (outer, inner) = Colony.Storage.Blocks.BlockFileNames.FinalizedSubdirectory(new BlockId(11));
        string dataFile = Path.Combine(store.FinalizedDirectory, outer, inner, Colony.Storage.Blocks.BlockFileNames.DataName(Block(11)));
        File.SetUnixFileMode(dataFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var file = new FileStream(dataFile, FileMode.Append))
        {
            file.Write(new byte[600]); // the data grew past what the sidecar covers
        }
        var reader = new LocalReplicaReader(Self, BlockStore.FinalizedDirectoryOf(_directory));

        await Assert.ThrowsAsync<InvalidDataException>(() => reader.TryReadAsync(Block(11), 0, 100, Stream.Null, CancellationToken.None));
    }
}
