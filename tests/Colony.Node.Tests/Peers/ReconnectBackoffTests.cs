using Colony.Core;
using Colony.Node.Peers;

namespace Colony.Node.Tests.Peers;

public class ReconnectBackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(5);

    [Fact]
    public void Without_jitter_the_delay_doubles_up_to_the_cap()
    {
        var random = new SeededRandom(1);
        var delays = Enumerable.Range(1, 9).Select(n => ReconnectBackoff.Delay(n, Initial, Max, 0, random).TotalMilliseconds);
        Assert.Equal([100.0, 200, 400, 800, 1600, 3200, 5000, 5000, 5000], delays);
        Assert.Equal(Max, ReconnectBackoff.Delay(int.MaxValue, Initial, Max, 0, random));
    }

    [Fact]
    public void Jitter_shortens_each_delay_by_up_to_its_fraction()
    {
        var random = new SeededRandom(2);
        var seen = new HashSet<TimeSpan>();
        for (int i = 0; i < 1000; i++)
        {
            var delay = ReconnectBackoff.Delay(3, Initial, Max, 0.5, random);
            Assert.InRange(delay, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400));
            seen.Add(delay);
        }
        Assert.True(seen.Count > 150, "jitter barely varies the delay");
        Assert.All(seen, delay => Assert.Equal(0, delay.Ticks % TimeSpan.TicksPerMillisecond));
    }

    [Fact]
    public void The_same_seed_gives_the_same_delays()
    {
        var a = new SeededRandom(3);
        var b = new SeededRandom(3);
        for (int n = 1; n < 20; n++)
        {
            Assert.Equal(ReconnectBackoff.Delay(n, Initial, Max, 0.5, a), ReconnectBackoff.Delay(n, Initial, Max, 0.5, b));
        }
    }
}
