using Colony.Consensus;
using static Colony.Consensus.Storage.Tests.TestEntries;

namespace Colony.Consensus.Storage.Tests;

public class SegmentedLogStoreTests
{
    [Fact]
    public void An_empty_directory_loads_as_an_empty_log()
    {
        using var log = new SimLog();

        Assert.Equal(HardState.Empty, log.State.HardState);
        Assert.True(log.State.Snapshot.IsEmpty);
        Assert.Empty(log.State.Entries);
    }

    [Fact]
    public void Synced_entries_and_hard_state_survive_a_restart()
    {
        using var log = new SimLog();
        var entries = Enumerable.Range(1, 100).Select(i => Make(term: 1 + (ulong)i / 40, (ulong)i, dataBytes: i % 7 * 50)).ToArray();
        log.Store.Append(entries);
        log.Store.SetHardState(new HardState(3, 2, 90));
        log.Store.Sync();

        var state = log.Restart();

        AssertSame(entries, state.Entries);
        Assert.Equal(new HardState(3, 2, 90), state.HardState);
    }

    [Fact]
    public void The_last_synced_hard_state_wins()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 5));
        for (ulong term = 1; term <= 5; term++)
        {
            log.Store.SetHardState(new HardState(term, term, term));
        }
        log.Store.Sync();
        log.Store.SetHardState(new HardState(9, 9, 5));

        Assert.Equal(new HardState(5, 5, 5), log.CrashAndRestart().HardState);
    }

    [Fact]
    public void Every_entry_type_and_empty_data_round_trip()
    {
        using var log = new SimLog();
        Entry[] entries =
        [
            new(1, 1, EntryType.Noop, ReadOnlyMemory<byte>.Empty),
            new(1, 2, EntryType.Membership, Membership.OfVoters(1, 2, 3).Encode()),
            new(2, 3, EntryType.Normal, new byte[] { 42 }),
        ];
        log.AppendAndSync(entries);

        AssertSame(entries, log.Restart().Entries);
    }

    [Fact]
    public void A_conflicting_append_drops_the_stored_suffix()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 10));
        log.AppendAndSync(Range(2, 6, 8));

        var expected = Range(1, 1, 5).Concat(Range(2, 6, 8)).ToArray();
        AssertSame(expected, log.Restart().Entries);

        log.AppendAndSync(Range(2, 9, 9));
        AssertSame(expected.Concat(Range(2, 9, 9)), log.CrashAndRestart().Entries);
    }

    [Fact]
    public void A_conflict_reaching_back_across_segment_boundaries_drops_the_right_entries()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        log.AppendAndSync(Range(1, 1, 40, dataBytes: 100));
        Assert.True(log.SegmentFiles().Count >= 4, $"expected several segments, got {log.SegmentFiles().Count}");

        // Index 12 lives in the second segment; the new entries land in the last one.
        log.AppendAndSync(Range(2, 12, 15, dataBytes: 100));
        var expected = Range(1, 1, 11, dataBytes: 100).Concat(Range(2, 12, 15, dataBytes: 100)).ToList();
        AssertSame(expected, log.Restart().Entries);

        // And again, further back, after the restart and with more segments in between.
        log.AppendAndSync(Range(2, 16, 30, dataBytes: 100));
        log.AppendAndSync(Range(3, 3, 4, dataBytes: 100));
        expected = [.. Range(1, 1, 2, dataBytes: 100), .. Range(3, 3, 4, dataBytes: 100)];
        AssertSame(expected, log.CrashAndRestart().Entries);
    }

    [Fact]
    public void A_conflict_at_the_first_entry_of_a_segment_is_resolved()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        for (ulong i = 1; i <= 20; i++)
        {
            log.AppendAndSync(Make(1, i, 100));
        }
        // Find an entry that starts a segment: the one written right after a roll.
        var firstOfSecond = log.Restart().Entries.First(e => e.Index > 1 && SegmentHolding(log, e.Index) != SegmentHolding(log, e.Index - 1));
        log.AppendAndSync(Make(2, firstOfSecond.Index, 10));

        var entries = log.Restart().Entries;
        Assert.Equal(firstOfSecond.Index, entries[^1].Index);
        Assert.Equal(2ul, entries[^1].Term);
        AssertSame(Range(1, 1, firstOfSecond.Index - 1, 100), entries.Take(entries.Count - 1).ToList());
    }

    [Fact]
    public void One_sync_writes_a_whole_batch_with_one_fsync()
    {
        using var log = new SimLog();
        log.Store.Sync(); // the first segment's prologue and its name
        long storeFsyncs = log.Store.FsyncCount;
        long fileFsyncs = log.FileSystem.FileSyncCount;
        long directoryFsyncs = log.FileSystem.DirectorySyncCount;

        log.Store.Append(Range(1, 1, 100));
        log.Store.SetHardState(new HardState(1, 1, 100));
        log.Store.Sync();

        Assert.Equal(1, log.Store.FsyncCount - storeFsyncs);
        Assert.Equal(1, log.FileSystem.FileSyncCount - fileFsyncs);
        Assert.Equal(0, log.FileSystem.DirectorySyncCount - directoryFsyncs);

        log.Store.Sync();
        Assert.Equal(1, log.Store.FsyncCount - storeFsyncs);
    }

    [Fact]
    public void A_batch_crossing_a_segment_boundary_fsyncs_each_file_once_and_the_directory()
    {
        using var log = new SimLog(new LogStoreOptions { SegmentBytes = 4096 });
        log.Store.Sync();
        long before = log.Store.FsyncCount;
        long filesBefore = log.FileSystem.FileSyncCount;

        log.Store.Append(Range(1, 1, 50, dataBytes: 100)); // ~6 KB: two segments
        log.Store.Sync();

        Assert.Equal(2, log.SegmentFiles().Count);
        Assert.Equal(2, log.FileSystem.FileSyncCount - filesBefore);
        Assert.Equal(3, log.Store.FsyncCount - before);
        Assert.Equal(log.FileSystem.FileSyncCount + log.FileSystem.DirectorySyncCount, log.Store.FsyncCount);
    }

    [Fact]
    public void Segments_roll_at_the_size_limit()
    {
        var options = new LogStoreOptions { SegmentBytes = 2048 };
        using var log = new SimLog(options);
        for (ulong i = 1; i <= 100; i++)
        {
            log.AppendAndSync(Make(1, i, 100));
        }

        Assert.Equal(log.SegmentFiles().Count, log.Store.SegmentCount);
        foreach (string name in log.SegmentFiles())
        {
            Assert.InRange(log.FileSystem.FileLength(log.PathOf(name)), WalRecord.PrologueBytes, options.SegmentBytes);
        }
        AssertSame(Range(1, 1, 100, 100), log.Restart().Entries);
    }

    [Fact]
    public void An_entry_larger_than_a_segment_gets_a_segment_of_its_own()
    {
        using var log = new SimLog(new LogStoreOptions { SegmentBytes = 1024 });
        log.AppendAndSync(Make(1, 1, 10), Make(1, 2, 5000), Make(1, 3, 10));

        Assert.Equal(3, log.SegmentFiles().Count);
        AssertSame([Make(1, 1, 10), Make(1, 2, 5000), Make(1, 3, 10)], log.Restart().Entries);
    }

    [Fact]
    public void A_huge_batch_is_written_out_before_sync_in_bounded_chunks()
    {
        using var log = new SimLog(new LogStoreOptions { MaxBufferedBytes = 4096 });
        log.Store.Sync();
        long written = log.Store.BytesWritten;

        log.Store.Append(Range(1, 1, 100, dataBytes: 100));

        Assert.True(log.Store.BytesWritten - written >= 8192, "the buffer should have been written out");
        log.Store.Sync();
        AssertSame(Range(1, 1, 100, 100), log.Restart().Entries);
    }

    [Fact]
    public void Appending_past_the_end_is_refused_and_the_store_stays_usable()
    {
        using var log = new SimLog();
        log.AppendAndSync(Range(1, 1, 5));

        Assert.Throws<ArgumentException>(() => log.Store.Append(Range(1, 7, 8)));
        Assert.Throws<ArgumentException>(() => log.Store.Append([Make(1, 6), Make(1, 8)]));
        Assert.Throws<ArgumentException>(() => log.Store.Append([Make(2, 6), Make(1, 7)]));
        Assert.Throws<ArgumentException>(() => log.Store.Append([Make(1, 0)]));

        Assert.False(log.Store.IsFailed);
        log.AppendAndSync(Range(1, 6, 6));
        AssertSame(Range(1, 1, 6), log.Restart().Entries);
    }

    [Fact]
    public void An_entry_over_the_record_limit_is_refused()
    {
        using var log = new SimLog(new LogStoreOptions { MaxRecordBytes = 1000 });

        var error = Assert.Throws<ArgumentException>(() => log.Store.Append([Make(1, 1, 1000)]));
        Assert.Contains("MaxRecordBytes", error.Message);
        log.AppendAndSync(Make(1, 1, 1000 - WalRecord.HeaderBytes - WalRecord.EntryPrefixBytes));
        Assert.Single(log.Restart().Entries);
    }

    [Fact]
    public void Calls_out_of_order_are_refused()
    {
        var fileSystem = new Colony.Testing.Storage.SimFileSystem();
        using var store = new SegmentedLogStore(fileSystem, "wal");

        Assert.Throws<InvalidOperationException>(() => store.Append(Range(1, 1, 1)));
        Assert.Throws<InvalidOperationException>(() => store.Sync());
        store.Load();
        Assert.Throws<InvalidOperationException>(() => store.Load());
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Sync());
    }

    [Theory]
    [InlineData(0L, 1024, 8192)]
    [InlineData(1023L, 1024, 8192)]
    [InlineData(1024L, 255, 8192)]
    [InlineData(1024L, 1024, 1024)]
    public void Invalid_options_are_rejected(long segmentBytes, int maxRecordBytes, int maxBufferedBytes)
    {
        var options = new LogStoreOptions { SegmentBytes = segmentBytes, MaxRecordBytes = maxRecordBytes, MaxBufferedBytes = maxBufferedBytes };

        Assert.Throws<ArgumentException>(options.Validate);
        Assert.Throws<ArgumentException>(() => new SegmentedLogStore(new Colony.Testing.Storage.SimFileSystem(), "wal", options));
    }

    [Fact]
    public void Default_options_are_valid_and_documented_values()
    {
        var options = LogStoreOptions.Default;
        options.Validate();
        Assert.Equal(64L << 20, options.SegmentBytes);
        Assert.Equal(16 << 20, options.MaxRecordBytes);
        Assert.Equal(8 << 20, options.MaxBufferedBytes);
        Assert.Equal(1L << 30, options.MaxSnapshotBytes);
    }

    [Fact]
    public void The_commit_index_is_never_above_the_last_entry_returned()
    {
        using var log = new SimLog();
        log.Store.Append(Range(1, 1, 10));
        log.Store.SetHardState(new HardState(1, 1, 25));
        log.Store.Sync();

        var state = log.Restart();

        Assert.Equal(10ul, state.HardState.Commit);
        Assert.Equal(1ul, state.HardState.Term);
    }

    private static string SegmentHolding(SimLog log, ulong index)
    {
        // Entry records are found by their index bytes right after the record header; good enough
        // for test data whose indexes are unique and small.
        foreach (string name in log.SegmentFiles())
        {
            byte[] bytes = log.FileSystem.ReadAllBytes(log.PathOf(name));
            int offset = 0;
            while (WalRecord.TryRead(bytes.AsSpan(offset), 1 << 20, out var kind, out var payload, out int length) == WalReadStatus.Valid)
            {
                if (kind == WalRecordKind.Entry && System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(payload) == index)
                {
                    return name;
                }
                offset += length;
            }
        }
        throw new InvalidOperationException($"entry {index} is in no segment");
    }
}
