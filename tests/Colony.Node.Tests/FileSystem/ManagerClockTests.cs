using Colony.Node.FileSystem;

namespace Colony.Node.Tests.FileSystem;

public sealed class ManagerClockTests
{
    /// <summary>A clock whose wall time and monotonic timestamp are set apart, as after a step of the system clock.</summary>
    private sealed class SteppedClock(DateTimeOffset wall, long timestamp, long frequency) : TimeProvider
    {
        public DateTimeOffset Wall { get; set; } = wall;

        public long Timestamp { get; set; } = timestamp;

        public override long TimestampFrequency => frequency;

        public override DateTimeOffset GetUtcNow() => Wall;

        public override long GetTimestamp() => Timestamp;
    }

    [Fact]
    public void Reads_milliseconds_of_the_monotonic_timestamp_at_any_frequency()
    {
        Assert.Equal(2_500, new SteppedClock(DateTimeOffset.UnixEpoch, 2_500_000_000, 1_000_000_000).MonotonicMs());
        Assert.Equal(2_500, new SteppedClock(DateTimeOffset.UnixEpoch, 25_000_000, TimeSpan.TicksPerSecond).MonotonicMs());
        // 120 days of nanosecond ticks, times 1,000, would overflow a long.
        long longRun = 86_400L * 1_000_000_000 * 120;
        Assert.Equal(86_400_000L * 120, new SteppedClock(DateTimeOffset.UnixEpoch, longRun, 1_000_000_000).MonotonicMs());
    }

    [Fact]
    public void A_step_of_the_wall_clock_does_not_move_it()
    {
        var clock = new SteppedClock(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 5_000_000_000, 1_000_000_000);
        long before = clock.MonotonicMs();

        clock.Wall += TimeSpan.FromMinutes(90);
        long afterForward = clock.MonotonicMs();
        clock.Wall -= TimeSpan.FromHours(3);

        Assert.Equal(before, afterForward);
        Assert.Equal(before, clock.MonotonicMs());
    }

    [Fact]
    public void A_data_node_that_stops_is_dead_after_the_silence_whatever_the_wall_clock_did()
    {
        var clock = new SteppedClock(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 5_000_000_000, 1_000_000_000);
        var liveness = new Colony.Storage.Replication.NodeLiveness(deadAfterMs: 4_000);
        var node = new Colony.Core.NodeId(2);

        // Heartbeats while the wall clock runs 86 s ahead, then it is set right and the node dies.
        clock.Wall += TimeSpan.FromSeconds(86);
        liveness.Heartbeat(node, clock.MonotonicMs(), rack: null, capacityBytes: 100, freeBytes: 50, transfersInFlight: 0);
        clock.Wall -= TimeSpan.FromSeconds(86);
        clock.Timestamp += 4_000_000_000;

        Assert.Equal(Colony.Storage.Placement.DataNodeState.Dead, liveness.StateOf(node, clock.MonotonicMs()));
    }
}
