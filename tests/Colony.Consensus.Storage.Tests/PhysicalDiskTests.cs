using Colony.Consensus;
using static Colony.Consensus.Storage.Tests.TestEntries;

namespace Colony.Consensus.Storage.Tests;

/// <summary>The store on real files, in a temporary directory removed after each test, pass or fail.</summary>
public sealed class PhysicalDiskTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "colony-wal-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _directory;

    public PhysicalDiskTests()
    {
        _directory = Path.Combine(_root, "node", "wal");
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static readonly LogStoreOptions EndsAtLastRecord = new() { PreallocateBytes = 0 };

    private SegmentedLogStore Open(LogStoreOptions? options = null) => new(PhysicalFileSystem.Instance, _directory, options);

    [Fact]
    public void Entries_hard_state_and_snapshots_survive_a_restart()
    {
        var entries = Range(1, 1, 500, dataBytes: 200);
        var snapshot = new Snapshot(new SnapshotMetadata(100, 1, Membership.OfVoters(1, 2, 3)), new byte[] { 1, 2, 3 });
        using (var store = Open(new LogStoreOptions { SegmentBytes = 16 << 10 }))
        {
            Assert.Empty(store.Load().Entries);
            store.Append(entries);
            store.SetHardState(new HardState(1, 2, 450));
            store.Sync();
            store.SaveSnapshot(snapshot);
        }

        using (var store = Open(new LogStoreOptions { SegmentBytes = 16 << 10 }))
        {
            var state = store.Load();
            Assert.Equal(snapshot.Metadata, state.Snapshot.Metadata);
            Assert.Equal(snapshot.Data.ToArray(), state.Snapshot.Data.ToArray());
            AssertSame(entries.Skip(100), state.Entries);
            Assert.Equal(new HardState(1, 2, 450), state.HardState);
        }
    }

    [Fact]
    public void Compaction_deletes_segment_files()
    {
        using var store = Open(new LogStoreOptions { SegmentBytes = 4096 });
        store.Load();
        for (ulong i = 1; i <= 200; i++)
        {
            store.Append([Make(1, i, 100)]);
            store.Sync();
        }
        int before = Directory.GetFiles(_directory, "*.wal").Length;

        store.SaveSnapshot(new Snapshot(new SnapshotMetadata(190, 1, Membership.OfVoters(1)), new byte[10]));

        int after = Directory.GetFiles(_directory, "*.wal").Length;
        Assert.True(before > 5 && after <= 2, $"{before} segment files before, {after} after");
        Assert.Equal(after, store.SegmentCount);
    }

    [Fact]
    public void A_torn_tail_on_disk_is_cut_off()
    {
        // The file ends at its last record (no zeros written ahead), so the garbage lands right after it.
        using (var store = Open(EndsAtLastRecord))
        {
            store.Load();
            store.Append(Range(1, 1, 20));
            store.Sync();
        }
        string segment = Directory.GetFiles(_directory, "*.wal").Single();
        long validLength = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Append))
        {
            stream.Write([17, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9]); // a record header promising more than follows
        }

        using (var store = Open(EndsAtLastRecord))
        {
            AssertSame(Range(1, 1, 20), store.Load().Entries);
            Assert.Equal(validLength, new FileInfo(segment).Length);
            store.Append(Range(2, 21, 22));
            store.Sync();
        }

        using (var store = Open(EndsAtLastRecord))
        {
            AssertSame([.. Range(1, 1, 20), .. Range(2, 21, 22)], store.Load().Entries);
        }
    }

    [Fact]
    public void Installing_a_snapshot_on_disk_resets_the_log()
    {
        var snapshot = new Snapshot(new SnapshotMetadata(1000, 4, Membership.OfVoters(1)), new byte[4096]);
        using (var store = Open())
        {
            store.Load();
            store.Append(Range(1, 1, 50));
            store.Sync();
            store.InstallSnapshot(snapshot);
            store.Append(Range(4, 1001, 1003));
            store.Sync();
        }

        using (var store = Open())
        {
            var state = store.Load();
            Assert.Equal(1000ul, state.Snapshot.Metadata.Index);
            AssertSame(Range(4, 1001, 1003), state.Entries);
        }
    }

    [Fact]
    public void The_file_system_lists_renames_deletes_and_syncs_directories()
    {
        var fileSystem = PhysicalFileSystem.Instance;
        fileSystem.CreateDirectory(_directory);
        string a = Path.Combine(_directory, "a");
        string b = Path.Combine(_directory, "b");
        using (var file = fileSystem.Open(a, FileOpenMode.CreateNew))
        {
            file.Write(5, [1, 2, 3]);
            file.Sync();
            Assert.Equal(8, file.Length);
            var read = new byte[10];
            Assert.Equal(8, file.Read(0, read));
            Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 1, 2, 3 }, read[..8]);
            file.SetLength(6);
            Assert.Equal(6, file.Length);
        }
        Assert.Throws<IOException>(() => fileSystem.Open(a, FileOpenMode.CreateNew).Dispose());

        fileSystem.Rename(a, b);
        fileSystem.SyncDirectory(_directory);
        Assert.Equal(["b"], fileSystem.ListFiles(_directory));

        fileSystem.Delete(b);
        fileSystem.Delete(b);
        fileSystem.SyncDirectory(_directory);
        Assert.Empty(fileSystem.ListFiles(_directory));
        if (!OperatingSystem.IsWindows())
        {
            Assert.ThrowsAny<IOException>(() => fileSystem.SyncDirectory(Path.Combine(_root, "missing")));
        }
    }

    [Fact]
    public void Each_sync_of_a_batch_costs_one_fsync()
    {
        using var store = Open();
        store.Load();
        store.Sync();
        long before = store.FsyncCount;

        for (ulong batch = 0; batch < 10; batch++)
        {
            store.Append(Range(1, batch * 16 + 1, batch * 16 + 16, dataBytes: 1024));
            store.Sync();
        }

        Assert.Equal(10, store.FsyncCount - before);
    }
}
