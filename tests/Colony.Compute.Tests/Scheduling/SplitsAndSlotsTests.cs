using Colony.Compute.Jobs;
using Colony.Compute.Scheduling;
using Colony.Core;

namespace Colony.Compute.Tests.Scheduling;

public sealed class SplitsAndSlotsTests
{
    [Fact]
    public void OneSplitPerNonEmptyBlockInPathOrder()
    {
        var b = new InputFile("/in/b", 300, [new InputBlock(256, 44, [3]), new InputBlock(0, 256, [1, 2, 1])]);
        var a = new InputFile("/in/a", 10, [new InputBlock(0, 10, [])]);
        var empty = new InputFile("/in/empty", 0, [new InputBlock(0, 0, [1])]);
        var none = new InputFile("/in/none", 0, []);

        var splits = SplitPlanner.Plan([b, empty, a, none]);

        Assert.Equal(
            [
                new InputSplit("/in/a", 0, 10, []),
                new InputSplit("/in/b", 0, 256, [new NodeId(1), new NodeId(2)]),
                new InputSplit("/in/b", 256, 44, [new NodeId(3)]),
            ],
            splits);
    }

    [Theory]
    [InlineData(8, 32L << 30, 8, 4)]
    [InlineData(8, 3L << 30, 3, 1)]
    [InlineData(1, 64L << 30, 1, 1)]
    [InlineData(0, 0, 1, 1)]
    [InlineData(16, 16L << 30, 16, 8)]
    public void SlotsComeFromCoresBoundedByMemory(int cores, long memory, int maps, int reduces)
    {
        var slots = WorkerSlots.FromResources(5, "/r1", cores, memory);
        Assert.Equal(new WorkerSlots(5, "/r1", maps, reduces), slots);
    }

    [Fact]
    public void TheMemoryPerTaskIsAnOption()
    {
        var slots = WorkerSlots.FromResources(5, null, 8, 8L << 30, new SlotOptions { MemoryPerTaskBytes = 2L << 30 });
        Assert.Equal(4, slots.MapSlots);
        Assert.Equal(2, slots.ReduceSlots);
    }

    [Fact]
    public void DefaultOptionsAreTheDocumentedOnes()
    {
        var options = new SchedulerOptions();
        Assert.Equal(4, options.MaxAttempts);
        Assert.Equal(0.8, options.ReduceSlowStart);
        Assert.True(options.Speculation);
        Assert.Equal(10_000, options.SpeculativeMinRunMs);
        Assert.Equal(0.5, options.SpeculativeSlowFactor);
        Assert.Equal(60_000, options.ProgressTimeoutMs);
        Assert.Equal(4, JobsState.MaxAttempts);
    }
}
