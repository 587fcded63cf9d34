using Colony.Testing.Linearizability;
using static Colony.Testing.Linearizability.KeyValueModel;

namespace Colony.Testing.Tests.Linearizability;

public class LinearizabilityCheckerTests
{
    private static LinearizabilityResult<KeyValueInput, string?> Check(params Operation<KeyValueInput, string?>[] history) =>
        LinearizabilityChecker.Check(Instance, history);

    private static void AssertOk(params Operation<KeyValueInput, string?>[] history)
    {
        var result = Check(history);
        Assert.True(result.IsOk, result.Explanation);
    }

    private static LinearizabilityResult<KeyValueInput, string?> AssertIllegal(params Operation<KeyValueInput, string?>[] history)
    {
        var result = Check(history);
        Assert.True(result.Outcome == LinearizabilityOutcome.Illegal, $"expected Illegal, got {result.Outcome}: {result.Explanation}");
        return result;
    }

    [Fact]
    public void An_empty_history_is_linearizable() => AssertOk();

    [Fact]
    public void A_sequential_history_is_linearizable() => AssertOk(
        Get(1, "x", null, 0, 1),
        Put(1, "x", "1", 2, 3),
        Get(2, "x", "1", 4, 5),
        Put(2, "x", "2", 6, 7),
        Delete(1, "x", 8, 9),
        Get(1, "x", null, 10, 11));

    [Fact]
    public void Overlapping_operations_that_can_be_ordered_are_linearizable() => AssertOk(
        Put(1, "x", "1", 0, 10),
        Put(2, "x", "2", 5, 15),
        Get(3, "x", "2", 6, 8),      // put 2 took effect before put 1 finished...
        Get(4, "x", "1", 9, 20),     // ...and put 1 after it
        Get(5, "x", "1", 21, 22));

    [Fact]
    public void Reads_during_a_write_may_see_either_value() => AssertOk(
        Put(1, "x", "old", 0, 1),
        Put(2, "x", "new", 10, 30),
        Get(3, "x", "old", 12, 14),
        Get(4, "x", "new", 15, 17),
        Get(5, "x", "new", 31, 32));

    [Fact]
    public void A_stale_read_after_a_completed_write_is_illegal()
    {
        var result = AssertIllegal(
            Put(1, "x", "1", 0, 10),
            Get(2, "x", null, 20, 30));
        Assert.Equal("key \"x\"", result.Partition);
        Assert.Contains("get(\"x\") -> null", result.Explanation);
    }

    [Fact]
    public void A_read_of_a_write_that_started_after_the_read_returned_is_illegal() => AssertIllegal(
        Get(1, "x", "1", 0, 10),
        Put(2, "x", "1", 20, 30));

    [Fact]
    public void A_lost_write_is_illegal()
    {
        var result = AssertIllegal(
            Put(1, "x", "1", 0, 10),
            Put(2, "x", "2", 20, 30),
            Get(3, "x", "2", 40, 50),
            Get(3, "x", "1", 1000, 1010));
        Assert.Equal(3, result.LongestPrefix.Count);
        Assert.Equal("1", Assert.Single(result.Unplaced).Output);
        Assert.Equal(1010, result.Deadline!.Value.ReturnTime);
        Assert.Contains("state after it: \"2\"", result.Explanation);
    }

    [Fact]
    public void Reads_may_not_go_back_in_time() => AssertIllegal(
        Put(1, "x", "1", 0, 100),
        Get(2, "x", "1", 10, 20),
        Get(3, "x", null, 30, 40));

    [Fact]
    public void A_pending_write_may_have_taken_effect_or_not()
    {
        AssertOk(PendingPut(1, "x", "1", 0), Get(2, "x", "1", 10, 20));
        AssertOk(PendingPut(1, "x", "1", 0), Get(2, "x", null, 10, 20));
        AssertOk(PendingPut(1, "x", "1", 0), Get(2, "x", null, 10, 20), Get(2, "x", "1", 30, 40));
    }

    [Fact]
    public void A_pending_write_takes_effect_at_most_once()
    {
        AssertIllegal(PendingPut(1, "x", "1", 0), Get(2, "x", "1", 10, 20), Get(2, "x", null, 30, 40));
        AssertIllegal(
            PendingPut(1, "x", "1", 0),
            Put(2, "x", "2", 5, 6),
            Get(3, "x", "1", 10, 20),
            Get(3, "x", "2", 30, 40),
            Get(3, "x", "1", 50, 60));
    }

    [Fact]
    public void A_pending_write_cannot_take_effect_before_its_call() => AssertIllegal(
        Get(1, "x", "1", 0, 10),
        PendingPut(2, "x", "1", 20));

    [Fact]
    public void Two_pending_writes_may_land_in_either_order_but_each_only_once()
    {
        AssertOk(
            PendingPut(1, "x", "1", 0),
            PendingPut(2, "x", "2", 0),
            Get(3, "x", "2", 10, 20),
            Get(3, "x", "1", 30, 40));
        AssertIllegal(
            PendingPut(1, "x", "1", 0),
            PendingPut(2, "x", "2", 0),
            Get(3, "x", "2", 10, 20),
            Get(3, "x", "1", 30, 40),
            Get(3, "x", "2", 50, 60));
    }

    [Fact]
    public void A_pending_read_constrains_nothing() => AssertOk(
        Put(1, "x", "1", 0, 10),
        PendingGet(2, "x", 20),
        PendingDelete(3, "y", 0));

    [Fact]
    public void Touching_intervals_overlap() => AssertOk(
        Put(1, "x", "1", 0, 10),
        Get(2, "x", null, 10, 20));

    [Fact]
    public void Keys_are_checked_independently_and_the_illegal_one_is_named()
    {
        var result = AssertIllegal(
            Put(1, "a", "1", 0, 10),
            Put(2, "b", "1", 0, 10),
            Get(1, "a", "1", 20, 30),
            Get(2, "b", "1", 20, 30),
            Get(3, "b", "9", 40, 50));
        Assert.Equal("key \"b\"", result.Partition);
        Assert.Contains("key \"b\"", result.Explanation);
        Assert.Contains("contradicts the state", result.Explanation);
    }

    [Fact]
    public void A_history_whose_first_operation_fits_nowhere_explains_that()
    {
        var result = AssertIllegal(Get(1, "x", "ghost", 0, 10));
        Assert.Empty(result.LongestPrefix);
        Assert.Contains("no operation can be linearized first", result.Explanation);
    }

    [Fact]
    public void A_return_before_its_call_is_refused() =>
        Assert.Throws<ArgumentException>(() => Get(1, "x", null, 10, 5));

    [Fact]
    public void The_verdict_and_step_count_are_deterministic()
    {
        Operation<KeyValueInput, string?>[] history =
        [
            PendingPut(1, "x", "1", 0),
            PendingPut(2, "x", "2", 0),
            Put(4, "x", "3", 0, 100),
            Get(3, "x", "2", 10, 20),
            Get(3, "x", "1", 30, 40),
            Get(3, "x", "2", 50, 60),
        ];
        var first = Check(history);
        var second = Check(history);
        Assert.Equal(first.Steps, second.Steps);
        Assert.Equal(first.Explanation, second.Explanation);
    }

    [Fact]
    public void A_pathological_history_exhausts_the_budget_instead_of_hanging()
    {
        // Twenty-four writes that all overlap, and a read of a value none of them wrote: proving that
        // means trying every subset of the writes before the read.
        var history = new List<Operation<KeyValueInput, string?>> { Get(0, "x", "never", 0, 1000) };
        for (int i = 0; i < 24; i++)
        {
            history.Add(Put(i + 1, "x", $"v{i}", 0, 1000));
        }
        var budget = new CheckBudget { MaxStepsPerPartition = 100_000 };
        var result = LinearizabilityChecker.Check(Instance, history, budget);
        Assert.Equal(LinearizabilityOutcome.Unknown, result.Outcome);
        Assert.InRange(result.Steps, 100_000, 100_001);
        Assert.Contains("key \"x\"", result.Explanation);
    }

    [Fact]
    public void A_history_whose_memo_outgrows_its_memory_budget_is_undecided_long_before_the_step_budget()
    {
        var history = new List<Operation<KeyValueInput, string?>> { Get(0, "x", "never", 0, 1000) };
        for (int i = 0; i < 24; i++)
        {
            history.Add(Put(i + 1, "x", $"v{i}", 0, 1000));
        }
        // An entry here is two 8-byte bit sets and 32 bytes of bookkeeping: 64 KiB holds 1,365 of them.
        var budget = new CheckBudget { MaxStepsPerPartition = 100_000_000, MaxMemoBytes = 64 * 1024 };
        var result = LinearizabilityChecker.Check(Instance, history, budget);
        Assert.Equal(LinearizabilityOutcome.Unknown, result.Outcome);
        Assert.InRange(result.Steps, 1_365, 100_000);
    }

    [Fact]
    public void An_illegal_partition_wins_over_an_undecided_one()
    {
        var history = new List<Operation<KeyValueInput, string?>> { Get(0, "a", "never", 0, 1000) };
        for (int i = 0; i < 24; i++)
        {
            history.Add(Put(i + 1, "a", $"v{i}", 0, 1000));
        }
        history.Add(Put(1, "b", "1", 0, 10));
        history.Add(Get(2, "b", null, 20, 30));
        var result = LinearizabilityChecker.Check(Instance, history, new CheckBudget { MaxStepsPerPartition = 10_000 });
        Assert.Equal(LinearizabilityOutcome.Illegal, result.Outcome);
        Assert.Equal("key \"b\"", result.Partition);
    }

    [Fact]
    public void Cancellation_stops_the_search()
    {
        var history = new List<Operation<KeyValueInput, string?>> { Get(0, "x", "never", 0, 1000) };
        for (int i = 0; i < 30; i++)
        {
            history.Add(Put(i + 1, "x", $"v{i}", 0, 1000));
        }
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var budget = new CheckBudget { MaxStepsPerPartition = long.MaxValue, Cancellation = cancelled.Token };
        Assert.Equal(LinearizabilityOutcome.Unknown, LinearizabilityChecker.Check(Instance, history, budget).Outcome);
    }
}
