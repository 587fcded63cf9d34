using Colony.Consensus;
using static Colony.Consensus.Storage.Tests.TestEntries;

namespace Colony.Consensus.Storage.Tests;

/// <summary>
/// Zeros written ahead of the records (<see cref="LogStoreOptions.PreallocateBytes"/>): appends overwrite them without
/// growing the file, and recovery reads them as the log's end, in the active segment and in sealed ones.
/// </summary>
public class PreallocationTests
{
    private static bool AllZero(byte[] bytes, long from) => bytes.AsSpan((int)from).IndexOfAnyExcept((byte)0) < 0;

    [Fact]
    public void Appends_inside_the_zeros_written_ahead_leave_the_file_as_long_as_it_was()
    {
        using var log = new SimLog(new LogStoreOptions { PreallocateBytes = 8192, SegmentBytes = 1 << 20 });
        log.AppendAndSync(Range(1, 1, 2, 100));
        string segment = log.LastSegment();
        long length = log.FileSystem.FileLength(segment);
        long logBytes = log.Store.BytesWritten;
        Assert.Equal(logBytes + 8192, length);

        for (ulong index = 3; index <= 40; index++)
        {
            log.AppendAndSync(Make(1, index, 100));
        }

        Assert.Equal(length, log.FileSystem.FileLength(segment));
        Assert.True(AllZero(log.FileSystem.ReadAllBytes(segment), log.Store.BytesWritten), "the bytes after the records are zeros");
        AssertSame(Range(1, 1, 40, 100), log.CrashAndRestart().Entries);
    }

    [Fact]
    public void Past_the_zeros_the_next_step_is_written_ahead_but_never_past_the_segment_size()
    {
        var options = new LogStoreOptions { PreallocateBytes = 1024, SegmentBytes = 4096, MaxBufferedBytes = 4096 };
        using var log = new SimLog(options);
        log.AppendAndSync(Range(1, 1, 100, 100));

        var segments = log.SegmentFiles();
        Assert.True(segments.Count > 2, $"{segments.Count} segments");
        // Every sealed segment was written ahead to its full size; the active one holds its records and at most a step more.
        Assert.All(segments.SkipLast(1), name => Assert.Equal(options.SegmentBytes, log.FileSystem.FileLength(log.PathOf(name))));
        Assert.InRange(log.FileSystem.FileLength(log.LastSegment()), WalRecord.PrologueBytes, options.SegmentBytes);
    }

    [Fact]
    public void Sealed_segments_with_zero_tails_read_back_whole_and_the_log_goes_on_after_a_restart()
    {
        var options = new LogStoreOptions { PreallocateBytes = 1 << 20, SegmentBytes = 2048, MaxBufferedBytes = 4096 };
        using var log = new SimLog(options);
        log.Store.SetHardState(new HardState(1, 1, 50));
        log.AppendAndSync(Range(1, 1, 50, 100));
        Assert.True(log.SegmentFiles().Count > 2, $"{log.SegmentFiles().Count} segments");

        AssertSame(Range(1, 1, 50, 100), log.Restart().Entries);
        log.AppendAndSync(Range(1, 51, 55, 100));
        var state = log.CrashAndRestart();

        AssertSame(Range(1, 1, 55, 100), state.Entries);
        Assert.Equal(new HardState(1, 1, 50), state.HardState);
    }

    [Fact]
    public void A_disk_too_full_for_the_zeros_fails_the_store_and_keeps_the_durable_log()
    {
        using var log = new SimLog(new LogStoreOptions { PreallocateBytes = 64 << 10, SegmentBytes = 1 << 20 });
        log.AppendAndSync(Range(1, 1, 5, 100));
        long length = log.FileSystem.FileLength(log.LastSegment());
        log.FileSystem.CapacityBytes = log.FileSystem.UsedBytes + 1000;

        // Past the zeros written so far: the next step of them does not fit.
        log.Store.Append(Range(1, 6, (ulong)(6 + (length / 100)), 100));
        var error = Assert.Throws<LogStoreFailedException>(log.Store.Sync);

        Assert.Contains("No space left on device", error.Message);
        log.FileSystem.CapacityBytes = long.MaxValue;
        AssertSame(Range(1, 1, 5, 100), log.CrashAndRestart().Entries);
    }
}
