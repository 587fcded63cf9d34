using Colony.Consensus.Storage;
using Colony.Core;
using Colony.Node.Blocks;
using Colony.Node.Diagnostics;
using Colony.Node.FileSystem;
using Colony.Node.Hosting;
using Colony.Node.Tests.Blocks;

namespace Colony.Node.Tests.Diagnostics;

public sealed class FaultHooksTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("colony-fault-hooks-").FullName;
    private readonly List<TimeSpan> _sleeps = [];

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Without_the_variable_there_are_no_hooks(string? value) => Assert.Null(FaultHooks.FromVariable(value));

    [Fact]
    public void Only_the_exact_value_enables_them()
    {
        var hooks = FaultHooks.FromVariable("enable-fault-injection");
        Assert.NotNull(hooks);
        Assert.Equal(TimeSpan.Zero, hooks.FsyncDelay);
        Assert.Equal(TimeSpan.Zero, hooks.ClockOffset);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("ENABLE-FAULT-INJECTION")]
    public void Any_other_value_stops_the_node_instead_of_being_ignored(string value)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => FaultHooks.FromVariable(value));
        Assert.Contains(FaultHooks.Variable, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_clock_offset_moves_the_wall_clock_and_leaves_timestamps_monotonic()
    {
        var hooks = new FaultHooks(_sleeps.Add);
        long before = hooks.Clock.GetTimestamp();
        hooks.ClockOffset = TimeSpan.FromHours(-3);

        var shift = hooks.Clock.GetUtcNow() - TimeProvider.System.GetUtcNow();
        Assert.InRange(shift, TimeSpan.FromHours(-3) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(-3) + TimeSpan.FromMinutes(1));
        // Timestamps (what timers and elapsed times use) do not jump with the wall clock.
        Assert.InRange(hooks.Clock.GetElapsedTime(before), TimeSpan.Zero, TimeSpan.FromMinutes(1));

        hooks.ClockOffset = TimeSpan.Zero;
        Assert.InRange(hooks.Clock.GetUtcNow() - TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(-1), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Out_of_range_settings_are_refused()
    {
        var hooks = new FaultHooks(_sleeps.Add);
        Assert.Throws<ArgumentOutOfRangeException>(() => hooks.FsyncDelay = TimeSpan.FromMilliseconds(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => hooks.FsyncDelay = FaultHooks.MaxFsyncDelay + TimeSpan.FromTicks(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => hooks.ClockOffset = -FaultHooks.MaxClockOffset - TimeSpan.FromTicks(1));
        Assert.Equal(TimeSpan.Zero, hooks.FsyncDelay);
    }

    [Fact]
    public void A_slowed_file_system_waits_before_every_file_and_directory_fsync_and_changes_nothing_else()
    {
        var hooks = new FaultHooks(_sleeps.Add);
        var fs = hooks.SlowSyncs(PhysicalFileSystem.Instance);
        string path = Path.Combine(_directory, "wal");
        using (var file = fs.Open(path, FileOpenMode.CreateNew))
        {
            file.Write(0, "abc"u8);
            file.Sync();
            Assert.Empty(_sleeps); // no delay set: fsyncs go straight through

            hooks.FsyncDelay = TimeSpan.FromMilliseconds(120);
            file.Write(3, "def"u8);
            file.Sync();
            fs.SyncDirectory(_directory);
            Assert.Equal(6, file.Length);
        }
        Assert.Equal([TimeSpan.FromMilliseconds(120), TimeSpan.FromMilliseconds(120)], _sleeps);
        Assert.Equal("abcdef", File.ReadAllText(path));
        Assert.Equal(["wal"], fs.ListFiles(_directory));

        hooks.FsyncDelay = TimeSpan.Zero;
        fs.SyncDirectory(_directory);
        Assert.Equal(2, _sleeps.Count);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_slow_disk_holds_every_fsync_of_a_block_finalize_before_the_replica_is_served()
    {
        var block = new BlockVersion(new BlockId(7), new GenerationStamp(1));
        BlockStore? store = null;
        var stateAtEachWait = new List<ReplicaState?>();
        var hooks = new FaultHooks(delay =>
        {
            _sleeps.Add(delay);
            stateAtEachWait.Add(store!.Report().Where(r => r.Version == block).Select(r => (ReplicaState?)r.State).SingleOrDefault());
        });
        hooks.FsyncDelay = TimeSpan.FromMilliseconds(150);

        using (store = BlockStore.Open(DataNodeService.StoreOptions(new NodeOptions { DataDir = _directory, BlockReserveBytes = 0 }, hooks)))
        {
            await BlockStoreTests.WriteAsync(store, block, TestNodes.Data(1300));

            // The data file, its checksums, then the two directories the move to finalized changes: each fsync waited,
            // all while the replica was still being written, so its last ack (sent after finalize) waited too.
            Assert.Equal(Enumerable.Repeat(TimeSpan.FromMilliseconds(150), 4), _sleeps);
            Assert.All(stateAtEachWait, state => Assert.Equal(ReplicaState.BeingWritten, state));
            Assert.Equal(ReplicaState.Finalized, store.Report().Single(r => r.Version == block).State);

            hooks.FsyncDelay = TimeSpan.Zero; // the heal
            await BlockStoreTests.WriteAsync(store, new BlockVersion(new BlockId(8), new GenerationStamp(1)), TestNodes.Data(700));
            Assert.Equal(4, _sleeps.Count);
        }
    }

    [Fact]
    public void Without_hooks_a_data_node_store_has_no_sync_seam()
    {
        var options = new NodeOptions { DataDir = _directory };
        Assert.Null(DataNodeService.StoreOptions(options, hooks: null).BeforeSync);
        Assert.NotNull(DataNodeService.StoreOptions(options, new FaultHooks(_sleeps.Add)).BeforeSync);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
