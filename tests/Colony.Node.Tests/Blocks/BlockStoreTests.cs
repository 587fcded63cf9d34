using Colony.Core;
using Colony.Node.Blocks;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Tests.Blocks;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BlockStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("colony-store-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static BlockVersion Block(ulong id, ulong stamp = 1) => new(new BlockId(id), new GenerationStamp(stamp));

    private BlockStore Open(long reserve = 0, IVolumeSpace? volume = null) =>
        BlockStore.Open(new BlockStoreOptions { Directory = _directory, ReserveBytes = reserve, Volume = volume });

    /// <summary>Writes <paramref name="data"/> as a replica in packets of 1 KiB (chunks of 512), finalized unless told otherwise.</summary>
    internal static async Task WriteAsync(BlockStore store, BlockVersion version, byte[] data, bool finalize = true, int upTo = int.MaxValue)
    {
        ReplicaWriter writer = await store.CreateAsync(version, 512, data.Length);
        for (int offset = 0; offset < Math.Min(data.Length, upTo); offset += 1024)
        {
            int length = Math.Min(1024, data.Length - offset);
            byte[] checksums = new byte[8];
            ChunkChecksums.Compute(data.AsSpan(offset, length), 512, checksums);
            await writer.WriteAsync(offset, data.AsMemory(offset, length), checksums.AsMemory(0, (int)ChunkChecksums.ChunkCount(length, 512) * 4));
        }
        if (finalize)
        {
            await writer.FinalizeAsync();
        }
        else
        {
            writer.Dispose();
        }
    }

    internal static async Task<byte[]> ReadVerifiedAsync(BlockStore store, BlockVersion version)
    {
        using ReplicaReader reader = store.OpenRead(version);
        byte[] data = new byte[reader.Length];
        await reader.ReadVerifiedAsync(new ChunkRange(0, reader.Length, reader.ChunkSize), data, new byte[(ChunkChecksums.ChunkCount(reader.Length, 512) * 4) + 4]);
        return data;
    }

    /// <summary>Flips one byte of a finalized replica's data file, as a failing disk would.</summary>
    internal static void FlipByte(BlockStore store, BlockVersion version, long offset)
    {
        var (outer, inner) = BlockFileNames.FinalizedSubdirectory(version.Id);
        string path = Path.Combine(store.FinalizedDirectory, outer, inner, BlockFileNames.DataName(version));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = offset;
            int value = file.ReadByte();
            file.Position = offset;
            file.WriteByte((byte)(value ^ 0x01));
        }
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    [Fact]
    public async Task A_finalized_replica_is_read_only_in_its_subdirectory_with_a_valid_sidecar()
    {
        using BlockStore store = Open();
        byte[] data = TestNodes.Data(1300);
        BlockVersion block = Block(0x10203, 5);
        await WriteAsync(store, block, data);

        string directory = Path.Combine(store.FinalizedDirectory, "subdir01", "subdir02");
        string path = Path.Combine(directory, "blk_66051_5");
        Assert.Equal(data, File.ReadAllBytes(path));
        byte[] meta = File.ReadAllBytes(path + ".meta");
        Assert.Equal(32 + (3 * 4), meta.Length);
        Assert.Equal(new BlockMetaHeader(block, 512), BlockMetaHeader.Read(meta));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Empty(Directory.EnumerateFiles(store.RbwDirectory));
        Assert.Equal(data, await ReadVerifiedAsync(store, block));
    }

    [Fact]
    public async Task Restart_lists_the_same_finalized_replicas()
    {
        var expected = new List<ReplicaInfo>();
        using (BlockStore store = Open())
        {
            for (ulong id = 1; id <= 5; id++)
            {
                await WriteAsync(store, Block(id * 1000, id), TestNodes.Data((int)id * 700));
            }
            expected.AddRange(store.Report());
        }

        using BlockStore reopened = Open();
        Assert.Equal(expected, reopened.Report());
        Assert.Equal(5, expected.Count);
        Assert.All(expected, r => Assert.Equal(ReplicaState.Finalized, r.State));
        Assert.Equal(TestNodes.Data(2100), await ReadVerifiedAsync(reopened, Block(3000, 3)));
    }

    [Fact]
    public async Task A_leftover_being_written_replica_survives_a_restart_cut_to_whole_chunks()
    {
        byte[] data = TestNodes.Data(5000);
        using (BlockStore store = Open())
        {
            await WriteAsync(store, Block(7), data, finalize: false, upTo: 3072);
        }
        // A torn tail: data bytes past the last checksum are not trusted.
        string rbw = Path.Combine(_directory, "blocks", "rbw", "blk_7_1");
        await File.AppendAllTextAsync(rbw, "torn");

        using BlockStore reopened = Open();
        Assert.Equal(new ReplicaInfo(Block(7), 3072, ReplicaState.BeingWritten), Assert.Single(reopened.Report()));
        ReplicaWriter writer = await reopened.RecoverAsync(Block(7, 2), 512, 2048, data.Length);
        Assert.Equal(2048, writer.Length);
        writer.Dispose();
        Assert.Equal(new ReplicaInfo(Block(7, 2), 2048, ReplicaState.BeingWritten), Assert.Single(reopened.Report()));
    }

    [Fact]
    public async Task Unusable_files_are_handled_at_startup()
    {
        using (BlockStore store = Open())
        {
            await WriteAsync(store, Block(1), TestNodes.Data(1000));
            await WriteAsync(store, Block(2), TestNodes.Data(1000));
        }
        // Replica 1 loses a byte of data: its length no longer matches its checksums. An rbw file without meta is junk.
        string one = Directory.EnumerateFiles(Path.Combine(_directory, "blocks", "finalized"), "blk_1_1", SearchOption.AllDirectories).Single();
        File.SetUnixFileMode(one, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var file = new FileStream(one, FileMode.Open))
        {
            file.SetLength(500);
        }
        string junk = Path.Combine(_directory, "blocks", "rbw", "blk_3_1");
        await File.WriteAllTextAsync(junk, "no meta");

        using BlockStore reopened = Open();
        Assert.Equal(
            [new ReplicaInfo(Block(1), 500, ReplicaState.Corrupt), new ReplicaInfo(Block(2), 1000, ReplicaState.Finalized)],
            reopened.Report());
        Assert.False(File.Exists(junk));
        Assert.Equal(TransferStatus.Corrupt, Assert.Throws<BlockStoreException>(() => reopened.OpenRead(Block(1))).Status);
    }

    [Fact]
    public async Task Not_enough_space_beyond_the_reserve_is_DiskFull_before_anything_is_written()
    {
        using BlockStore store = Open(reserve: 1000, volume: new FixedVolume(total: 1_000_000, free: 5000));

        var e = await Assert.ThrowsAsync<BlockStoreException>(() => store.CreateAsync(Block(1), 512, 4001));
        Assert.Equal(TransferStatus.DiskFull, e.Status);
        Assert.Empty(store.Report());

        // Space taken by open writes counts too.
        ReplicaWriter first = await store.CreateAsync(Block(2), 512, 3000);
        Assert.Equal(TransferStatus.DiskFull, (await Assert.ThrowsAsync<BlockStoreException>(() => store.CreateAsync(Block(3), 512, 1001))).Status);
        first.Abort();
        (await store.CreateAsync(Block(3), 512, 4000)).Abort();
        Assert.Empty(store.Report());
    }

    [Fact]
    public async Task A_capacity_cap_bounds_what_the_store_reports_and_accepts_and_refusals_are_counted()
    {
        using BlockStore store = BlockStore.Open(new BlockStoreOptions
        {
            Directory = _directory, ReserveBytes = 0, CapacityBytes = 10_000, Volume = new FixedVolume(total: 1_000_000, free: 600_000),
        });
        await WriteAsync(store, Block(1), TestNodes.Data(4000));
        Assert.Equal(new StoreCapacity(10_000, 6000, 4000, 0, 0), store.Capacity());
        Assert.Equal(0, store.DiskFullWrites);

        Assert.Equal(TransferStatus.DiskFull, (await Assert.ThrowsAsync<BlockStoreException>(() => store.CreateAsync(Block(2), 512, 6001))).Status);
        Assert.Equal(1, store.DiskFullWrites);
        (await store.CreateAsync(Block(3), 512, 6000)).Abort();
    }

    [Fact]
    public async Task Capacity_reports_the_volume_and_what_the_store_holds()
    {
        using BlockStore store = Open(volume: new FixedVolume(total: 1_000_000, free: 600_000));
        await WriteAsync(store, Block(1), TestNodes.Data(1000));
        ReplicaWriter open = await store.CreateAsync(Block(2), 512, 5000);

        Assert.Equal(new StoreCapacity(1_000_000, 600_000, 1000, 5000, 1), store.Capacity());
        open.Abort();
        Assert.Equal(0, store.Capacity().TransfersInFlight);
        Assert.True(new DriveSpace(_directory).TotalBytes > 0);
    }

    [Fact]
    public async Task Deltas_report_received_corrupt_and_deleted_replicas_in_order()
    {
        using BlockStore store = Open();
        await WriteAsync(store, Block(1), TestNodes.Data(10));
        Assert.True(store.MarkCorrupt(Block(1)));
        Assert.False(store.MarkCorrupt(Block(1)));
        Assert.True(store.Delete(Block(1)));
        Assert.False(store.Delete(Block(1)));

        Assert.True(store.Deltas.TryRead(out ReplicaDelta a));
        Assert.True(store.Deltas.TryRead(out ReplicaDelta b));
        Assert.True(store.Deltas.TryRead(out ReplicaDelta c));
        Assert.Equal([ReplicaChange.Received, ReplicaChange.Corrupt, ReplicaChange.Deleted], new[] { a.Change, b.Change, c.Change });
        Assert.False(store.Deltas.TryRead(out _));
        Assert.Empty(store.Report());
        Assert.Empty(Directory.EnumerateFiles(store.FinalizedDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task DeleteBlocks_removes_finalized_and_partial_replicas_but_not_newer_stamps()
    {
        using BlockStore store = Open();
        await WriteAsync(store, Block(1, 1), TestNodes.Data(10));
        await WriteAsync(store, Block(2, 1), TestNodes.Data(2048), finalize: false);
        await WriteAsync(store, Block(3, 5), TestNodes.Data(10));

        Assert.Equal(2, store.DeleteBlocks([Block(1, 1), Block(2, 1), Block(3, 4), Block(4, 1)]));

        Assert.Equal([new ReplicaInfo(Block(3, 5), 10, ReplicaState.Finalized)], store.Report());
        Assert.Empty(Directory.EnumerateFiles(store.RbwDirectory));
    }

    [Fact]
    public async Task A_write_must_continue_where_the_replica_ends()
    {
        using BlockStore store = Open();
        ReplicaWriter writer = await store.CreateAsync(Block(1), 512, 4096);
        var e = await Assert.ThrowsAsync<BlockStoreException>(() => writer.WriteAsync(512, new byte[512], new byte[4]).AsTask());
        Assert.Equal(TransferStatus.InvalidRequest, e.Status);
        writer.Abort();
    }

    [Fact]
    public async Task A_second_write_of_the_same_version_is_refused()
    {
        using BlockStore store = Open();
        await WriteAsync(store, Block(1, 2), TestNodes.Data(10));
        Assert.Equal(TransferStatus.InvalidRequest, (await Assert.ThrowsAsync<BlockStoreException>(() => store.CreateAsync(Block(1, 2), 512, 10))).Status);
        Assert.Equal(TransferStatus.InvalidRequest, (await Assert.ThrowsAsync<BlockStoreException>(() => store.CreateAsync(Block(1, 1), 512, 10))).Status);
    }

    [Fact]
    public async Task A_fresh_write_replaces_a_leftover_of_the_same_version_that_nothing_writes_any_more()
    {
        using (BlockStore crashed = Open())
        {
            await WriteAsync(crashed, Block(1, 2), TestNodes.Data(4096), finalize: false, upTo: 2048);
        }
        using BlockStore store = Open();
        Assert.Equal(ReplicaState.BeingWritten, Assert.Single(store.Report()).State);
        await WriteAsync(store, Block(1, 2), TestNodes.Data(4096));
        Assert.Equal(TestNodes.Data(4096), await ReadVerifiedAsync(store, Block(1, 2)));
        Assert.Empty(Directory.EnumerateFiles(store.RbwDirectory));

        // One still being written is not taken over by a fresh write of the same version.
        ReplicaWriter open = await store.CreateAsync(Block(2, 1), 512, 10);
        Assert.Equal(TransferStatus.InvalidRequest, (await Assert.ThrowsAsync<BlockStoreException>(() => store.CreateAsync(Block(2, 1), 512, 10))).Status);
        open.Abort();
    }

    [Fact]
    public async Task Recovery_takes_over_from_a_writer_that_is_still_open()
    {
        using BlockStore store = Open();
        ReplicaWriter old = await store.CreateAsync(Block(1, 1), 512, 4096);
        await old.WriteAsync(0, TestNodes.Data(1024), Checksums(TestNodes.Data(1024)));

        Task<ReplicaWriter> recovery = store.RecoverAsync(Block(1, 2), 512, 1024, 4096);
        Assert.True(old.Revoked.IsCancellationRequested);
        old.Dispose();
        using ReplicaWriter fresh = await recovery.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1024, fresh.Length);
        Assert.Equal([new ReplicaInfo(Block(1, 2), 1024, ReplicaState.BeingWritten)], store.Report());
    }

    private static byte[] Checksums(byte[] data)
    {
        byte[] checksums = new byte[ChunkChecksums.ChunkCount(data.Length, 512) * 4];
        ChunkChecksums.Compute(data, 512, checksums);
        return checksums;
    }

    private sealed class FixedVolume(long total, long free) : IVolumeSpace
    {
        public long TotalBytes => total;

        public long FreeBytes => free;
    }
}
