using Colony.Consensus;
using Colony.Core;
using Colony.Testing.Storage;
using static Colony.Consensus.Storage.Tests.TestEntries;

namespace Colony.Consensus.Storage.Tests;

public class SnapshotTests
{
    private static Snapshot SnapshotAt(ulong index, ulong term, int dataBytes = 64)
    {
        var data = new byte[dataBytes];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(index + (ulong)i);
        }
        return new Snapshot(new SnapshotMetadata(index, term, new Membership([1, 2, 3], [7])), data);
    }

    private static void AssertSnapshot(Snapshot expected, Snapshot actual)
    {
        Assert.Equal(expected.Metadata, actual.Metadata);
        Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
    }

    [Fact]
    public void A_saved_snapshot_comes_back_with_its_membership_and_data()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 20));
        var snapshot = SnapshotAt(15, 1, dataBytes: 10_000);
        log.Store.SaveSnapshot(snapshot);

        var state = log.Restart();

        AssertSnapshot(snapshot, state.Snapshot);
        AssertSame(Range(1, 16, 20), state.Entries);
    }

    [Fact]
    public void Saving_a_snapshot_deletes_the_segments_it_covers_and_the_entries_after_it_survive()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        log.Store.SetHardState(new HardState(1, 1, 0));
        for (ulong i = 1; i <= 100; i++)
        {
            log.AppendAndSync(Make(1, i, 100));
        }
        log.Store.SetHardState(new HardState(1, 1, 100));
        log.Store.Sync();
        var before = log.SegmentFiles();

        log.Store.SaveSnapshot(SnapshotAt(60, 1));

        var after = log.SegmentFiles();
        Assert.True(after.Count < before.Count - 3, $"{before.Count} segments before, {after.Count} after");
        Assert.Equal(before.Skip(before.Count - after.Count), after); // the oldest went
        Assert.Equal(after.Count, log.Store.SegmentCount);
        var state = log.CrashAndRestart();
        Assert.Equal(60ul, state.Snapshot.Metadata.Index);
        AssertSame(Range(1, 61, 100, 100), state.Entries);
        Assert.Equal(new HardState(1, 1, 100), state.HardState);
    }

    [Fact]
    public void The_hard_state_survives_when_the_segment_that_recorded_it_is_compacted()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        log.Store.SetHardState(new HardState(7, 3, 0));
        log.Store.Sync();
        string first = log.LastSegment();
        for (ulong i = 1; i <= 60; i++)
        {
            log.AppendAndSync(Make(7, i, 100));
        }

        log.Store.SaveSnapshot(SnapshotAt(55, 7));

        Assert.False(log.FileSystem.FileExists(first));
        var state = log.CrashAndRestart();
        Assert.Equal(new HardState(7, 3, 0), state.HardState);
        AssertSame(Range(7, 56, 60, 100), state.Entries);
    }

    [Fact]
    public void A_two_step_save_lets_entries_be_appended_between_its_write_and_its_commit()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        for (ulong i = 1; i <= 60; i++)
        {
            log.AppendAndSync(Make(1, i, 100));
        }
        var segments = log.SegmentFiles();
        var save = log.Store.BeginSaveSnapshot(SnapshotAt(50, 1));
        log.AppendAndSync(Make(1, 61, 100));

        save.Write();
        log.AppendAndSync(Make(1, 62, 100));
        Assert.Equal([StorageFileNames.Snapshot(50)], log.SnapshotFiles());
        Assert.Equal(segments, log.SegmentFiles().Take(segments.Count)); // nothing compacted yet

        save.Commit();
        log.AppendAndSync(Make(1, 63, 100));

        Assert.DoesNotContain(segments[0], log.SegmentFiles());
        var state = log.CrashAndRestart();
        AssertSnapshot(SnapshotAt(50, 1), state.Snapshot);
        AssertSame(Range(1, 51, 63, 100), state.Entries);
    }

    [Fact]
    public void A_two_step_save_overtaken_by_an_installed_snapshot_commits_nothing()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 40));
        var save = log.Store.BeginSaveSnapshot(SnapshotAt(30, 1));
        log.Store.InstallSnapshot(SnapshotAt(80, 2));
        log.Store.Sync();

        save.Write();
        save.Commit();
        log.AppendAndSync(Make(2, 81));

        var state = log.CrashAndRestart();
        AssertSnapshot(SnapshotAt(80, 2), state.Snapshot);
        AssertSame([Make(2, 81)], state.Entries);
    }

    [Fact]
    public void A_two_step_save_commits_only_after_its_write()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 40));
        var save = log.Store.BeginSaveSnapshot(SnapshotAt(30, 1));

        Assert.Throws<InvariantViolationException>(save.Commit);
        Assert.Throws<ArgumentException>(() => log.Store.BeginSaveSnapshot(SnapshotAt(41, 1)));
    }

    [Fact]
    public void The_newest_two_snapshots_are_kept()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 40));
        log.Store.SaveSnapshot(SnapshotAt(10, 1));
        log.Store.SaveSnapshot(SnapshotAt(20, 1));
        log.Store.SaveSnapshot(SnapshotAt(30, 1));

        Assert.Equal([StorageFileNames.Snapshot(20), StorageFileNames.Snapshot(30)], log.SnapshotFiles());
        AssertSnapshot(SnapshotAt(30, 1), log.Restart().Snapshot);
    }

    [Fact]
    public void A_stale_snapshot_is_ignored_and_one_past_the_log_refused()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 40));
        log.Store.SaveSnapshot(SnapshotAt(30, 1));

        log.Store.SaveSnapshot(SnapshotAt(20, 1));
        Assert.Throws<ArgumentException>(() => log.Store.SaveSnapshot(SnapshotAt(41, 1)));

        Assert.Single(log.SnapshotFiles());
        Assert.False(log.Store.IsFailed);
    }

    [Fact]
    public void A_corrupt_newest_snapshot_is_ignored_for_the_older_one()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 100));
        log.Store.SaveSnapshot(SnapshotAt(30, 1));
        log.Store.SaveSnapshot(SnapshotAt(60, 1));
        log.FileSystem.CorruptByte(log.PathOf(StorageFileNames.Snapshot(60)), 50);

        var state = log.Restart();

        AssertSnapshot(SnapshotAt(30, 1), state.Snapshot);
        AssertSame(Range(1, 31, 100), state.Entries); // one segment: nothing was compacted
        Assert.Equal([StorageFileNames.Snapshot(30)], log.SnapshotFiles());
    }

    [Fact]
    public void A_partial_snapshot_file_is_ignored()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 100));
        log.Store.SaveSnapshot(SnapshotAt(30, 1));
        log.Store.SaveSnapshot(SnapshotAt(60, 1));
        string newest = log.PathOf(StorageFileNames.Snapshot(60));
        using (var file = log.FileSystem.Open(newest, FileOpenMode.ReadWrite))
        {
            file.SetLength(file.Length - 1);
            file.Sync();
        }

        Assert.Equal(30ul, log.Restart().Snapshot.Metadata.Index);
    }

    [Fact]
    public void A_crash_at_any_step_of_writing_a_snapshot_leaves_the_previous_one()
    {
        var seen = new HashSet<ulong>();
        for (int failAt = 0; ; failAt++)
        {
            using var log = new SimLog(SimLog.SmallSegments);
            for (ulong i = 1; i <= 100; i++)
            {
                log.AppendAndSync(Make(1, i, 100));
            }
            log.Store.SaveSnapshot(SnapshotAt(30, 1, dataBytes: 5000));

            int operations = 0;
            log.FileSystem.FailWhen = (_, _) => operations++ == failAt;
            bool failed = false;
            try
            {
                log.Store.SaveSnapshot(SnapshotAt(70, 1, dataBytes: 5000));
            }
            catch (LogStoreFailedException)
            {
                failed = true;
            }
            log.FileSystem.FailWhen = null;

            var state = log.CrashAndRestart((ulong)failAt);

            ulong index = state.Snapshot.Metadata.Index;
            Assert.True(index is 30 or 70, $"failing operation {failAt}: snapshot at {index}");
            AssertSnapshot(SnapshotAt(index, 1, dataBytes: 5000), state.Snapshot);
            AssertSame(Range(1, index + 1, 100, 100), state.Entries);
            Assert.DoesNotContain(log.FileSystem.ListFiles(log.Directory), n => n.EndsWith(".tmp", StringComparison.Ordinal));
            seen.Add(index);
            if (!failed)
            {
                Assert.Equal(70ul, index);
                break;
            }
        }
        Assert.Equal([30ul, 70ul], seen.Order());
    }

    [Fact]
    public void Installing_a_snapshot_restarts_the_log_after_it()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        for (ulong i = 1; i <= 50; i++)
        {
            log.AppendAndSync(Make(1, i, 100));
        }
        var installed = SnapshotAt(80, 3);

        log.Store.InstallSnapshot(installed);
        log.Store.SetHardState(new HardState(3, 2, 80));
        log.Store.Sync();

        Assert.Single(log.SegmentFiles()); // the discarded log's segments are gone
        var state = log.CrashAndRestart();
        AssertSnapshot(installed, state.Snapshot);
        Assert.Empty(state.Entries);
        Assert.Equal(new HardState(3, 2, 80), state.HardState);

        log.AppendAndSync(Range(3, 81, 85, 100));
        state = log.CrashAndRestart();
        AssertSnapshot(installed, state.Snapshot);
        AssertSame(Range(3, 81, 85, 100), state.Entries);
    }

    [Fact]
    public void Installing_a_snapshot_inside_the_log_discards_the_whole_log()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        log.AppendAndSync(Range(1, 1, 50, 100));
        Assert.True(log.SegmentFiles().Count > 3);

        log.Store.InstallSnapshot(SnapshotAt(30, 1));
        log.Store.Sync();

        // Segments before the reset go, even those holding entries past the snapshot.
        Assert.Single(log.SegmentFiles());
        var state = log.Restart();
        Assert.Equal(30ul, state.Snapshot.Metadata.Index);
        Assert.Empty(state.Entries);
        Assert.Throws<ArgumentException>(() => log.Store.Append(Range(1, 32, 32)));
        Assert.Throws<ArgumentException>(() => log.Store.InstallSnapshot(SnapshotAt(29, 1)));
    }

    [Fact]
    public void A_crash_before_the_reset_is_durable_drops_a_log_that_does_not_continue_the_snapshot()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 50));

        log.Store.InstallSnapshot(SnapshotAt(40, 2)); // the stored entry 40 has term 1: the logs diverged
        var state = log.CrashAndRestart();

        Assert.Equal(40ul, state.Snapshot.Metadata.Index);
        Assert.Empty(state.Entries);
        log.AppendAndSync(Range(2, 41, 45));
        AssertSame(Range(2, 41, 45), log.CrashAndRestart().Entries);
    }

    [Fact]
    public void A_crash_before_the_reset_is_durable_keeps_a_log_that_continues_the_snapshot()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 50));

        log.Store.InstallSnapshot(SnapshotAt(40, 1)); // entry 40 matches: the entries after it stay valid
        var state = log.CrashAndRestart();

        Assert.Equal(40ul, state.Snapshot.Metadata.Index);
        AssertSame(Range(1, 41, 50), state.Entries);
    }

    [Fact]
    public void A_snapshot_over_the_size_limit_is_refused()
    {
        using var log = new SimLog(new LogStoreOptions { MaxSnapshotBytes = 100 });
        log.AppendAndSync(Range(1, 1, 10));

        Assert.Throws<ArgumentException>(() => log.Store.SaveSnapshot(SnapshotAt(5, 1, dataBytes: 101)));
        log.Store.SaveSnapshot(SnapshotAt(5, 1, dataBytes: 100));
        Assert.Equal(5ul, log.Restart().Snapshot.Metadata.Index);
    }

    [Fact]
    public void A_leftover_temporary_snapshot_file_is_removed()
    {
        using var log = new SimLog();
        string temp = log.PathOf(StorageFileNames.Temp(StorageFileNames.Snapshot(9)));
        using (var file = log.FileSystem.Open(temp, FileOpenMode.CreateNew))
        {
            file.Write(0, new byte[100]);
        }

        var state = log.Restart();

        Assert.True(state.Snapshot.IsEmpty);
        Assert.False(log.FileSystem.FileExists(temp));
    }

    [Fact]
    public void Snapshot_files_are_fsynced_before_and_after_the_rename()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 10));
        var operations = new List<(SimFileOperation Operation, string Name)>();
        log.FileSystem.FailWhen = (operation, path) =>
        {
            operations.Add((operation, Path.GetFileName(path)));
            return false;
        };

        log.Store.SaveSnapshot(SnapshotAt(10, 1));

        string name = StorageFileNames.Snapshot(10);
        int rename = operations.IndexOf((SimFileOperation.Rename, StorageFileNames.Temp(name)));
        Assert.True(rename > 0);
        Assert.Equal((SimFileOperation.SyncFile, StorageFileNames.Temp(name)), operations[rename - 1]);
        Assert.Equal(SimFileOperation.SyncDirectory, operations[rename + 1].Operation);
    }
}
