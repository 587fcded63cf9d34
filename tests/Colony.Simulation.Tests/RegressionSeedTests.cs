namespace Colony.Simulation.Tests;

/// <summary>
/// Seeds on which the simulator found real bugs, pinned once they were fixed. Each failed against the
/// Raft core before commit 23acbda and must keep passing. A seed stands for its scenario only while
/// <see cref="SwarmOptions"/> draws the same options from it, so the options that made the scenario
/// are asserted too: if the generator changes, re-pin the seeds rather than delete the tests. Options
/// drawn after these seeds were pinned are switched off, so each replays the run that found its bug.
/// </summary>
public class RegressionSeedTests
{
    [Theory]
    // A follower whose appends were lost in a crash stayed in Replicate forever once the leader had
    // compacted past its next index: heartbeats never resent anything (liveness).
    [InlineData(15UL, "Wal")]
    [InlineData(34UL, "Wal")]
    // A received snapshot was handed back by Compact before it was installed and saved as a local
    // snapshot past the end of the log: the WAL threw, and the model disk's contract check fired.
    [InlineData(734UL, "Wal")]
    [InlineData(777UL, "Memory")]
    public void A_seed_that_once_found_a_bug_passes(ulong seed, string storage)
    {
        Assert.Equal(Enum.Parse<StorageKind>(storage), SwarmOptions.ForSeed(seed).Storage);
        var result = Simulator.Run(new SimulationConfig(seed) { Adjust = AsPinned });
        Assert.True(result.Violation is null, $"seed {seed}: {result.Violation}");
    }

    private static SwarmOptions AsPinned(SwarmOptions options) =>
        options with { ForwardFraction = 0, IsolateNewLeaderProbability = 0, TrickleAppends = false, LeaderChurn = false };
}
