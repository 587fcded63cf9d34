using Colony.Consensus;
using Colony.Testing.Storage;
using static Colony.Consensus.Storage.Tests.TestEntries;

namespace Colony.Consensus.Storage.Tests;

public class FailureTests
{
    [Fact]
    public void A_full_disk_surfaces_and_the_store_refuses_every_further_call()
    {
        using var log = new SimLog(SimLog.EndsAtLastRecord);
        log.AppendAndSync(Range(1, 1, 10, 100));
        log.FileSystem.CapacityBytes = log.FileSystem.UsedBytes + 500;

        log.Store.Append(Range(1, 11, 20, 100));
        var error = Assert.Throws<LogStoreFailedException>(log.Store.Sync);

        Assert.Contains("No space left on device", error.Message);
        Assert.IsType<IOException>(error.InnerException);
        Assert.True(log.Store.IsFailed);
        Assert.Throws<LogStoreFailedException>(() => log.Store.Append(Range(1, 11, 11)));
        Assert.Throws<LogStoreFailedException>(() => log.Store.SetHardState(new HardState(1, 1, 1)));
        Assert.Throws<LogStoreFailedException>(log.Store.Sync);
        Assert.Throws<LogStoreFailedException>(() => log.Store.SaveSnapshot(Snapshot.Empty));
        Assert.Throws<LogStoreFailedException>(() => log.Store.InstallSnapshot(Snapshot.Empty));

        // Space comes back; a restart recovers what was durable.
        log.FileSystem.CapacityBytes = long.MaxValue;
        AssertSame(Range(1, 1, 10, 100), log.CrashAndRestart().Entries);
        log.AppendAndSync(Range(1, 11, 12, 100));
        AssertSame(Range(1, 1, 12, 100), log.Restart().Entries);
    }

    [Fact]
    public void A_failed_fsync_is_not_retried()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 3));
        log.FileSystem.FailWhen = (operation, _) => operation == SimFileOperation.SyncFile;
        log.Store.Append(Range(1, 4, 5));

        Assert.Throws<LogStoreFailedException>(log.Store.Sync);
        log.FileSystem.FailWhen = null;
        long fsyncs = log.FileSystem.FileSyncCount;

        // An fsync that succeeds after a failed one proves nothing about the lost pages.
        Assert.Throws<LogStoreFailedException>(log.Store.Sync);
        Assert.Equal(fsyncs, log.FileSystem.FileSyncCount);
    }

    [Fact]
    public void Failing_to_create_the_next_segment_stops_the_store()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        log.FileSystem.FailWhen = (operation, _) => operation == SimFileOperation.Create;

        Assert.Throws<LogStoreFailedException>(() => log.Store.Append(Range(1, 1, 30, 100)));
        Assert.True(log.Store.IsFailed);
    }

    [Fact]
    public void A_failure_while_loading_stops_the_store()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        log.AppendAndSync(Range(1, 1, 30, 100));
        log.FileSystem.CorruptByte(log.LastSegment(), WalRecord.PrologueBytes + 3);
        log.Dispose();
        log.FileSystem.FailWhen = (operation, _) => operation == SimFileOperation.SetLength;

        using var store = new SegmentedLogStore(log.FileSystem, log.Directory, log.Options);
        Assert.Throws<LogStoreFailedException>(() => store.Load());
        Assert.True(store.IsFailed);
    }

    [Fact]
    public void Disposing_drops_what_was_only_buffered()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 3));
        log.Store.Append(Range(1, 4, 6));

        AssertSame(Range(1, 1, 3), log.Restart().Entries);
    }
}
