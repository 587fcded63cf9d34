using Colony.FaultTests.Workloads;

namespace Colony.FaultTests;

public sealed class LockCheckTests
{
    private static LockHold Hold(int hold, long token, long call, long granted, long released) =>
        new(hold, 0x100 + hold, token, call, granted, released, LostWhileHeld: false);

    private static FencedWrite Write(int hold, long token, bool accepted) => new(hold, token, accepted, 0);

    [Fact]
    public void Holders_one_after_another_with_growing_tokens_and_a_fenced_out_straggler_are_valid()
    {
        var holds = new[] { Hold(1, 10, 0, 1, 5), Hold(2, 20, 2, 6, 9), Hold(3, 30, 7, 10, 12) };
        // Hold 1 lost its lock without knowing and wrote after hold 2 had: turned away.
        var writes = new[] { Write(1, 10, true), Write(2, 20, true), Write(1, 10, false), Write(3, 30, true) };
        var verdicts = LockCheck.Check(holds, writes);
        Assert.All(verdicts, v => Assert.True(v.Valid, v.ToString()));
        Assert.Equal(0, LockCheck.StaleAccepted(writes));
    }

    [Fact]
    public void One_token_granted_to_two_holders_is_a_violation()
    {
        var verdicts = LockCheck.Check([Hold(1, 10, 0, 1, 5), Hold(2, 10, 0, 2, 6)], []);
        Assert.False(Assert.Single(verdicts, v => v.Checker.Contains("one holder", StringComparison.Ordinal)).Valid);
    }

    [Fact]
    public void A_hold_asked_for_after_another_was_granted_with_a_smaller_token_is_a_violation()
    {
        var verdicts = LockCheck.Check([Hold(1, 20, 0, 1, 5), Hold(2, 10, 6, 7, 8)], []);
        Assert.False(Assert.Single(verdicts, v => v.Checker.Contains("increase", StringComparison.Ordinal)).Valid);
    }

    [Fact]
    public void A_resource_that_accepted_a_stale_holders_write_is_reported()
    {
        // What an unfenced resource does: hold 1 writes after its successor, and is let in.
        var writes = new[] { Write(1, 10, true), Write(2, 20, true), Write(1, 10, true) };
        var verdicts = LockCheck.Check([Hold(1, 10, 0, 1, 5), Hold(2, 20, 2, 6, 9)], writes);
        var fence = Assert.Single(verdicts, v => v.Checker.Contains("stale", StringComparison.Ordinal));
        Assert.False(fence.Valid);
        Assert.Contains("token 10 accepted after token 20", fence.Detail, StringComparison.Ordinal);
        Assert.Equal(1, LockCheck.StaleAccepted(writes));
    }

    [Fact]
    public void The_fenced_resource_turns_away_tokens_below_the_greatest_it_has_seen()
    {
        var resource = new FencedResource();
        Assert.True(resource.Write(1, 10));
        Assert.True(resource.Write(1, 10));
        Assert.True(resource.Write(2, 20));
        Assert.False(resource.Write(1, 10));
        Assert.Equal([true, true, true, false], resource.Log().Select(w => w.Accepted));
    }
}
