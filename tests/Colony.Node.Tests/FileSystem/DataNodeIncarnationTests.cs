using Colony.Node.FileSystem;

namespace Colony.Node.Tests.FileSystem;

public sealed class DataNodeIncarnationTests
{
    private sealed class WallClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Each_start_counts_above_the_last_even_when_the_clock_steps_back_and_a_wiped_directory_takes_the_clock()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"colony-incarnation-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var clock = new WallClock(DateTimeOffset.FromUnixTimeMilliseconds(5_000_000));
            long first = DataNodeIncarnation.Next(dir, clock);
            Assert.Equal(5_000_000, first);

            clock.Now = DateTimeOffset.FromUnixTimeMilliseconds(1_000); // stepped far back
            long second = DataNodeIncarnation.Next(dir, clock);
            Assert.Equal(first + 1, second);

            clock.Now = DateTimeOffset.FromUnixTimeMilliseconds(9_000_000);
            Assert.Equal(9_000_000, DataNodeIncarnation.Next(dir, clock));

            // A directory wiped (or a file that cannot be read) starts from the clock, above the old processes' counts.
            File.WriteAllText(Path.Combine(dir, DataNodeIncarnation.FileName), "not a number");
            clock.Now = DateTimeOffset.FromUnixTimeMilliseconds(9_500_000);
            Assert.Equal(9_500_000, DataNodeIncarnation.Next(dir, clock));
            Assert.Equal("9500000", File.ReadAllText(Path.Combine(dir, DataNodeIncarnation.FileName)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, 10L, 10L)]
    [InlineData(41L, 10L, 42L)]
    [InlineData(41L, 100L, 100L)]
    public void Advance_is_one_above_the_last_and_never_below_the_clock(long? stored, long now, long expected) =>
        Assert.Equal(expected, DataNodeIncarnation.Advance(stored, now));
}
