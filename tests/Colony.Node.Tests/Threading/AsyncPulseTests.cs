using Colony.Node.Threading;

namespace Colony.Node.Tests.Threading;

public sealed class AsyncPulseTests
{
    [Fact]
    public async Task A_pulse_wakes_every_waiter_that_took_the_task_before_it()
    {
        var pulse = new AsyncPulse();
        var first = pulse.Next;
        var second = pulse.Next;
        Assert.Same(first, second);
        Assert.False(first.IsCompleted);

        pulse.Pulse();

        Assert.True(await AsyncPulse.WaitAsync(first, Timeout.InfiniteTimeSpan, TimeProvider.System, CancellationToken.None));
        Assert.True(second.IsCompleted);
    }

    [Fact]
    public void A_task_taken_after_a_pulse_waits_for_the_next_one()
    {
        var pulse = new AsyncPulse();
        pulse.Pulse();

        var next = pulse.Next;

        Assert.False(next.IsCompleted);
        pulse.Pulse();
        Assert.True(next.IsCompleted);
    }

    [Fact]
    public async Task Waiting_without_a_pulse_ends_at_the_timeout_with_false()
    {
        var pulse = new AsyncPulse();
        Assert.False(await AsyncPulse.WaitAsync(pulse.Next, TimeSpan.FromMilliseconds(1), TimeProvider.System, CancellationToken.None));
    }

    [Fact]
    public async Task Cancelling_a_wait_throws()
    {
        var pulse = new AsyncPulse();
        using var cancel = new CancellationTokenSource();
        var waiting = AsyncPulse.WaitAsync(pulse.Next, Timeout.InfiniteTimeSpan, TimeProvider.System, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
