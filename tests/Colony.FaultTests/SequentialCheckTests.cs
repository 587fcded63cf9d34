using Colony.FaultTests.Workloads;

namespace Colony.FaultTests;

public sealed class SequentialCheckTests
{
    [Fact]
    public void Distinct_numbers_in_real_time_order_are_valid_and_concurrent_creates_may_go_either_way()
    {
        var (valid, _) = SequentialCheck.Check([new(0, 10, 2), new(0, 10, 1), new(11, 12, 3), new(13, 14, 7)]);
        Assert.True(valid);
    }

    [Fact]
    public void A_number_handed_out_twice_is_a_violation()
    {
        var (valid, detail) = SequentialCheck.Check([new(0, 1, 1), new(2, 3, 2), new(4, 5, 2)]);
        Assert.False(valid);
        Assert.Contains("twice: 2", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_smaller_number_after_a_create_that_had_already_been_answered_is_a_violation()
    {
        var (valid, _) = SequentialCheck.Check([new(0, 1, 5), new(2, 3, 4)]);
        Assert.False(valid);
    }
}
