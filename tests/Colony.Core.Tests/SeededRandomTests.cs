using Colony.Core;

namespace Colony.Core.Tests;

public class SeededRandomTests
{
    [Fact]
    public void Same_seed_gives_same_sequence()
    {
        var a = new SeededRandom(42);
        var b = new SeededRandom(42);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(a.NextUInt64(), b.NextUInt64());
        }
    }

    [Fact]
    public void Different_seeds_give_different_sequences()
    {
        var a = new SeededRandom(1);
        var b = new SeededRandom(2);
        Assert.NotEqual(Enumerable.Range(0, 8).Select(_ => a.NextUInt64()), Enumerable.Range(0, 8).Select(_ => b.NextUInt64()));
    }

    // Pins the generator: recorded simulator seeds must replay the same way forever.
    [Fact]
    public void Sequence_is_frozen()
    {
        var r = new SeededRandom(0);
        Assert.Equal(0x99EC5F36CB75F2B4UL, r.NextUInt64());
    }

    [Fact]
    public void Next_stays_in_range_and_covers_it()
    {
        var r = new SeededRandom(7);
        var seen = new bool[10];
        for (int i = 0; i < 10_000; i++)
        {
            int v = r.Next(10);
            Assert.InRange(v, 0, 9);
            seen[v] = true;
            double d = r.NextDouble();
            Assert.True(d >= 0 && d < 1);
        }
        Assert.All(seen, Assert.True);
    }
}
