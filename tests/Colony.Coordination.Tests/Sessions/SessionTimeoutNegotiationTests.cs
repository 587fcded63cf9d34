using Colony.Coordination.Sessions;

namespace Colony.Coordination.Tests.Sessions;

public sealed class SessionTimeoutNegotiationTests
{
    [Fact]
    public void Defaults_are_two_and_twenty_ticks()
    {
        var negotiation = new SessionTimeoutNegotiation();

        Assert.Equal(2000, negotiation.TickTimeMs);
        Assert.Equal(4000, negotiation.MinSessionTimeoutMs);
        Assert.Equal(40_000, negotiation.MaxSessionTimeoutMs);
    }

    [Theory]
    [InlineData(0, 4000)]
    [InlineData(-30_000, 4000)]
    [InlineData(3999, 4000)]
    [InlineData(4000, 4000)]
    [InlineData(30_000, 30_000)]
    [InlineData(40_000, 40_000)]
    [InlineData(40_001, 40_000)]
    [InlineData(int.MaxValue, 40_000)]
    public void A_request_is_clamped_into_the_bounds(int requested, int negotiated) =>
        Assert.Equal(negotiated, new SessionTimeoutNegotiation(2000).Negotiate(requested));

    [Fact]
    public void Explicit_bounds_replace_the_defaults()
    {
        var negotiation = new SessionTimeoutNegotiation(tickTimeMs: 500, minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 90_000);

        Assert.Equal(6000, negotiation.Negotiate(1000));
        Assert.Equal(60_000, negotiation.Negotiate(60_000));
        Assert.Equal(90_000, negotiation.Negotiate(120_000));
    }

    [Fact]
    public void One_explicit_bound_leaves_the_other_at_its_default()
    {
        Assert.Equal(20_000, new SessionTimeoutNegotiation(1000, minSessionTimeoutMs: 500).MaxSessionTimeoutMs);
        Assert.Equal(2000, new SessionTimeoutNegotiation(1000, maxSessionTimeoutMs: 5000).MinSessionTimeoutMs);
    }

    [Fact]
    public void Equal_bounds_fix_the_timeout()
    {
        var negotiation = new SessionTimeoutNegotiation(1000, 7000, 7000);

        Assert.Equal(7000, negotiation.Negotiate(1));
        Assert.Equal(7000, negotiation.Negotiate(100_000));
    }

    [Fact]
    public void Inconsistent_settings_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new SessionTimeoutNegotiation(1000, minSessionTimeoutMs: 10_000, maxSessionTimeoutMs: 5000));
        Assert.Throws<ArgumentException>(() => new SessionTimeoutNegotiation(1000, minSessionTimeoutMs: 30_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionTimeoutNegotiation(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionTimeoutNegotiation(1000, minSessionTimeoutMs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionTimeoutNegotiation(1000, maxSessionTimeoutMs: -2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionTimeoutNegotiation(int.MaxValue / 10));
    }
}
