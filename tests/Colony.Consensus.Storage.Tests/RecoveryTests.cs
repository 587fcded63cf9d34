using Colony.Consensus;
using Colony.Testing.Storage;
using static Colony.Consensus.Storage.Tests.TestEntries;

namespace Colony.Consensus.Storage.Tests;

public class RecoveryTests
{
    /// <summary>Entries 1..5 synced, then entry 6 synced: returns the log and where record 6 starts and ends.</summary>
    private static (SimLog Log, long Start, long End) LogWithLastRecord(int dataBytes = 40)
    {
        var log = new SimLog(SimLog.EndsAtLastRecord);
        log.Store.SetHardState(new HardState(1, 1, 3));
        log.AppendAndSync(Range(1, 1, 5, dataBytes));
        long start = log.FileSystem.FileLength(log.LastSegment());
        log.AppendAndSync(Make(1, 6, dataBytes));
        long end = log.FileSystem.FileLength(log.LastSegment());
        Assert.Equal(WalRecord.HeaderBytes + WalRecord.EntryPrefixBytes + dataBytes, end - start);
        return (log, start, end);
    }

    [Fact]
    public void A_last_record_torn_at_any_byte_is_cut_off_and_the_log_before_it_survives()
    {
        var (probe, start, end) = LogWithLastRecord();
        probe.Dispose();
        for (long cut = start; cut < end; cut++)
        {
            var (log, _, _) = LogWithLastRecord();
            using (log)
            {
                string segment = log.LastSegment();
                using (var file = log.FileSystem.Open(segment, FileOpenMode.ReadWrite))
                {
                    file.SetLength(cut);
                    file.Sync();
                }

                var state = log.Restart();

                AssertSame(Range(1, 1, 5, 40), state.Entries);
                Assert.Equal(new HardState(1, 1, 3), state.HardState);
                Assert.Equal(start, log.FileSystem.FileLength(segment));

                // The log goes on from the cut, and the old bytes never come back.
                log.AppendAndSync(Make(2, 6, 7));
                AssertSame([.. Range(1, 1, 5, 40), Make(2, 6, 7)], log.CrashAndRestart((ulong)cut).Entries);
            }
        }
    }

    [Fact]
    public void A_last_record_with_garbage_from_any_byte_on_is_cut_off()
    {
        var (probe, start, end) = LogWithLastRecord();
        probe.Dispose();
        for (long from = start; from < end; from++)
        {
            var (log, _, _) = LogWithLastRecord();
            using (log)
            {
                for (long at = from; at < end; at++)
                {
                    log.FileSystem.CorruptByte(log.LastSegment(), at, (byte)(0x5A ^ at));
                }

                AssertSame(Range(1, 1, 5, 40), log.Restart().Entries);
                Assert.Equal(start, log.FileSystem.FileLength(log.LastSegment()));
            }
        }
    }

    [Fact]
    public void A_corrupt_record_mid_segment_keeps_everything_before_it_and_nothing_after()
    {
        using var probe = new SimLog();
        var offsets = new List<long>();
        for (ulong i = 1; i <= 20; i++)
        {
            offsets.Add(probe.FileSystem.FileLength(probe.LastSegment()));
            probe.AppendAndSync(Make(1, i, 30));
        }
        offsets.Add(probe.FileSystem.FileLength(probe.LastSegment()));

        // Every byte of entry 10's record: header, index, term, type, data.
        for (long at = offsets[9]; at < offsets[10]; at++)
        {
            using var log = new SimLog();
            for (ulong i = 1; i <= 20; i++)
            {
                log.AppendAndSync(Make(1, i, 30));
            }
            log.FileSystem.CorruptByte(log.LastSegment(), at, 0x01);

            AssertSame(Range(1, 1, 9, 30), log.Restart().Entries);
            Assert.Equal(offsets[9], log.FileSystem.FileLength(log.LastSegment()));

            log.AppendAndSync(Range(2, 10, 12, 5));
            AssertSame([.. Range(1, 1, 9, 30), .. Range(2, 10, 12, 5)], log.CrashAndRestart((ulong)at).Entries);
        }
    }

    [Fact]
    public void Corruption_in_an_early_segment_deletes_the_later_segments()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        for (ulong i = 1; i <= 60; i++)
        {
            log.AppendAndSync(Make(1, i, 100));
        }
        var segments = log.SegmentFiles();
        Assert.True(segments.Count >= 5);
        string second = log.PathOf(segments[1]);
        log.FileSystem.CorruptByte(second, WalRecord.PrologueBytes + 40);

        var entries = log.Restart().Entries;

        // The second segment's first entry is lost with everything after it.
        Assert.NotEmpty(entries);
        AssertSame(Range(1, 1, entries[^1].Index, 100), entries);
        Assert.True(entries[^1].Index < 20, $"kept up to {entries[^1].Index}");
        Assert.Equal(segments.Take(2), log.SegmentFiles());
        Assert.Equal(WalRecord.PrologueBytes, log.FileSystem.FileLength(second));
    }

    [Fact]
    public void A_gap_in_the_indexes_ends_the_log()
    {
        using var log = new SimLog(SimLog.EndsAtLastRecord);
        log.AppendAndSync(Range(1, 1, 5));
        string segment = log.LastSegment();
        long validLength = log.FileSystem.FileLength(segment);
        log.Dispose();

        // A well-formed, checksummed entry 8 after entry 5.
        var stray = Make(1, 8);
        var record = new byte[WalRecord.EntryRecordBytes(stray)];
        WalRecord.WriteEntry(record.AsSpan(WalRecord.HeaderBytes), stray);
        WalRecord.Seal(record, WalRecordKind.Entry);
        using (var file = log.FileSystem.Open(segment, FileOpenMode.ReadWrite))
        {
            file.Write(validLength, record);
            file.Sync();
        }

        AssertSame(Range(1, 1, 5), log.Restart().Entries);
        Assert.Equal(validLength, log.FileSystem.FileLength(segment));
    }

    [Fact]
    public void A_zero_filled_tail_ends_the_log_and_the_next_records_go_over_it()
    {
        using var log = new SimLog(SimLog.EndsAtLastRecord);
        log.AppendAndSync(Range(1, 1, 5));
        string segment = log.LastSegment();
        long validLength = log.FileSystem.FileLength(segment);
        using (var file = log.FileSystem.Open(segment, FileOpenMode.ReadWrite))
        {
            file.SetLength(validLength + 4096);
            file.Sync();
        }

        AssertSame(Range(1, 1, 5), log.Restart().Entries);
        Assert.Equal(validLength + 4096, log.FileSystem.FileLength(segment));
        log.AppendAndSync(Make(1, 6));
        AssertSame(Range(1, 1, 6), log.CrashAndRestart().Entries);
        Assert.Equal(validLength + 4096, log.FileSystem.FileLength(segment));
    }

    [Fact]
    public void A_torn_record_in_front_of_zeros_is_cut_with_them()
    {
        using var log = new SimLog(SimLog.EndsAtLastRecord);
        log.AppendAndSync(Range(1, 1, 5));
        string segment = log.LastSegment();
        long validLength = log.FileSystem.FileLength(segment);
        using (var file = log.FileSystem.Open(segment, FileOpenMode.ReadWrite))
        {
            file.Write(validLength, [17, 0, 0, 0, 1, 2, 3, 4, 1]); // a header promising 17 bytes, then zeros
            file.SetLength(validLength + 4096);
            file.Sync();
        }

        AssertSame(Range(1, 1, 5), log.Restart().Entries);
        Assert.Equal(validLength, log.FileSystem.FileLength(segment));
    }

    [Fact]
    public void A_segment_whose_prologue_is_torn_is_deleted()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        log.AppendAndSync(Range(1, 1, 8, 100));
        var segments = log.SegmentFiles();
        string last = log.LastSegment();
        using (var file = log.FileSystem.Open(last, FileOpenMode.ReadWrite))
        {
            file.SetLength(WalRecord.PrologueBytes - 1);
            file.Sync();
        }

        var entries = log.Restart().Entries;

        Assert.DoesNotContain(segments[^1], log.FileSystem.ListFiles(log.Directory).Take(segments.Count - 1));
        AssertSame(Range(1, 1, entries[^1].Index, 100), entries);
        log.AppendAndSync(Make(1, entries[^1].Index + 1, 100));
        Assert.Equal(entries.Count + 1, log.Restart().Entries.Count);
    }

    [Fact]
    public void Unsynced_writes_are_lost_in_a_crash_and_synced_ones_kept()
    {
        using var log = new SimLog(new LogStoreOptions { MaxBufferedBytes = 4096 });
        log.FileSystem.TornWriteProbability = 0;
        log.Store.SetHardState(new HardState(2, 1, 10));
        log.AppendAndSync(Range(2, 1, 10, 100));

        log.Store.Append(Range(2, 11, 60, 100)); // over the buffer limit: written, not synced
        log.Store.SetHardState(new HardState(3, 3, 60));
        Assert.True(log.FileSystem.FileLength(log.LastSegment()) > 10 * 100 + 4096);

        var state = log.CrashAndRestart();

        AssertSame(Range(2, 1, 10, 100), state.Entries);
        Assert.Equal(new HardState(2, 1, 10), state.HardState);
    }

    [Fact]
    public void A_torn_crash_keeps_the_synced_log_and_at_most_a_prefix_of_the_rest()
    {
        var outcomes = new HashSet<int>();
        var synced = Range(1, 1, 30, 150);
        var written = Range(1, 1, 24, 150).Concat(Range(2, 25, 60, 150)).ToArray();
        for (ulong seed = 0; seed < 200; seed++)
        {
            using var log = new SimLog(new LogStoreOptions { MaxBufferedBytes = 4096 });
            log.FileSystem.TornWriteProbability = 1;
            log.AppendAndSync(synced);
            log.Store.Append(Range(2, 25, 60, 150)); // a conflict, partly written out, not synced

            var entries = log.CrashAndRestart(seed).Entries;

            // Each prefix of the records is a log the node had: the synced one, or the synced one
            // cut at 24 followed by some of the new entries.
            if (entries.Count > 0 && entries[^1].Term == 1)
            {
                AssertSame(synced, entries);
            }
            else
            {
                Assert.InRange(entries.Count, 25, written.Length);
                AssertSame(written.Take(entries.Count), entries);
            }
            outcomes.Add(entries.Count);
        }
        Assert.True(outcomes.Count > 5, $"tears should land at many places, got {string.Join(",", outcomes)}");
    }

    [Fact]
    public void An_older_segment_left_behind_by_an_interrupted_compaction_is_ignored()
    {
        using var log = new SimLog(SimLog.SmallSegments);
        for (ulong i = 1; i <= 60; i++)
        {
            log.AppendAndSync(Make(1, i, 100));
        }
        string first = log.PathOf(log.SegmentFiles()[0]);
        byte[] firstBytes = log.FileSystem.ReadAllBytes(first);
        log.Store.SaveSnapshot(new Snapshot(new SnapshotMetadata(40, 1, Membership.OfVoters(1)), new byte[] { 1 }));
        Assert.False(log.FileSystem.FileExists(first));

        // Only the oldest deleted segment comes back: a gap separates it from the live ones.
        using (var file = log.FileSystem.Open(first, FileOpenMode.CreateNew))
        {
            file.Write(0, firstBytes);
            file.Sync();
        }
        log.FileSystem.SyncDirectory(log.Directory);

        var state = log.Restart();

        Assert.Equal(40ul, state.Snapshot.Metadata.Index);
        AssertSame(Range(1, 41, 60, 100), state.Entries);
        Assert.False(log.FileSystem.FileExists(first));
    }

    [Fact]
    public void A_checksummed_record_that_does_not_decode_fails_loudly_instead_of_being_cut()
    {
        using var log = new SimLog(SimLog.EndsAtLastRecord);
        log.AppendAndSync(Range(1, 1, 3));
        string segment = log.LastSegment();
        long length = log.FileSystem.FileLength(segment);
        var record = new byte[WalRecord.HeaderBytes + 5];
        WalRecord.Seal(record, (WalRecordKind)99);
        using (var file = log.FileSystem.Open(segment, FileOpenMode.ReadWrite))
        {
            file.Write(length, record);
            file.Sync();
        }
        log.Dispose();

        using var store = new SegmentedLogStore(log.FileSystem, log.Directory);
        var error = Assert.Throws<LogStoreFailedException>(() => store.Load());
        Assert.IsType<InvalidDataException>(error.InnerException);
        Assert.Equal(length + record.Length, log.FileSystem.FileLength(segment));
    }
}
