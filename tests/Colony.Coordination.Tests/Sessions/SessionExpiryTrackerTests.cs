using Colony.Coordination.Sessions;

namespace Colony.Coordination.Tests.Sessions;

public sealed class SessionExpiryTrackerTests
{
    private const int Interval = 1000;

    private readonly SessionExpiryTracker _tracker = new(Interval);

    private long[] Expired(long nowMs) => _tracker.Expired(nowMs).ToArray();

    private long Deadline(long sessionId) => _tracker.TryGetDeadline(sessionId, out long deadline) ? deadline : -1;

    [Fact]
    public void A_session_expires_at_the_interval_boundary_after_its_timeout()
    {
        _tracker.Touch(1, timeoutMs: 3000, nowMs: 0);

        Assert.Equal(4000, Deadline(1));
        Assert.Empty(Expired(3999));
        Assert.Equal([1L], Expired(4000));
    }

    [Theory]
    [InlineData(0, 3000, 4000)]
    [InlineData(1, 3000, 4000)]
    [InlineData(999, 3000, 4000)]
    [InlineData(1000, 3000, 5000)]
    [InlineData(2500, 3000, 6000)]
    [InlineData(2999, 3000, 6000)]
    [InlineData(3000, 3000, 7000)]
    [InlineData(500, 0, 1000)]
    [InlineData(1000, 1, 2000)]
    public void Deadlines_round_up_to_the_next_interval(long nowMs, int timeoutMs, long deadline)
    {
        _tracker.Touch(1, timeoutMs, nowMs);

        Assert.Equal(deadline, Deadline(1));
        Assert.Empty(Expired(deadline - 1));
        Assert.Equal([1L], Expired(deadline));
    }

    [Fact]
    public void Buckets_list_in_due_order_with_their_sessions_and_keep_an_emptied_one_until_due()
    {
        _tracker.Touch(7, timeoutMs: 3000, nowMs: 0);
        _tracker.Touch(3, timeoutMs: 3000, nowMs: 500);
        _tracker.Touch(5, timeoutMs: 1000, nowMs: 0);
        _tracker.Touch(5, timeoutMs: 1000, nowMs: 1500); // moves from the 2000 bucket to 3000: 2000 stays, empty

        Assert.Equal(["2000:", "3000:5", "4000:3,7"], _tracker.Buckets().Select(b => $"{b.DeadlineMs}:{string.Join(',', b.Sessions)}"));

        Assert.Empty(Expired(2000)); // the emptied bucket goes when due
        Assert.Equal([3000L, 4000L], _tracker.Buckets().Select(b => b.DeadlineMs));
    }

    [Fact]
    public void A_touch_extends_the_deadline()
    {
        _tracker.Touch(1, 3000, nowMs: 0);
        _tracker.Touch(1, 3000, nowMs: 2000);

        Assert.Empty(Expired(5999));
        Assert.Equal([1L], Expired(6000));
        _tracker.CheckConsistency();
    }

    [Fact]
    public void A_touch_within_the_same_bucket_keeps_the_deadline()
    {
        _tracker.Touch(1, 3000, nowMs: 100);
        _tracker.Touch(1, 3000, nowMs: 900);

        Assert.Equal(4000, Deadline(1));
        Assert.Equal(1, _tracker.Count);
        _tracker.CheckConsistency();
    }

    [Fact]
    public void A_touch_with_a_shorter_timeout_brings_the_deadline_forward()
    {
        _tracker.Touch(1, 10_000, nowMs: 0);
        _tracker.Touch(1, 2000, nowMs: 0);

        Assert.Equal([1L], Expired(3000));
        Assert.Empty(Expired(11_000));
    }

    [Fact]
    public void An_expired_session_is_reported_once_and_leaves_the_tracker()
    {
        _tracker.Touch(1, 3000, 0);

        Assert.Equal([1L], Expired(5000));
        Assert.Empty(Expired(5000));
        Assert.Empty(Expired(100_000));
        Assert.Equal(0, _tracker.Count);
        Assert.False(_tracker.TryGetDeadline(1, out _));
        Assert.False(_tracker.Remove(1));
    }

    [Fact]
    public void A_session_touched_after_expiring_is_tracked_again()
    {
        _tracker.Touch(1, 3000, 0);
        Assert.Equal([1L], Expired(4000));

        _tracker.Touch(1, 3000, 4500);

        Assert.Empty(Expired(7999));
        Assert.Equal([1L], Expired(8000));
    }

    [Fact]
    public void A_removed_session_never_expires()
    {
        _tracker.Touch(1, 3000, 0);
        _tracker.Touch(2, 3000, 0);

        Assert.True(_tracker.Remove(1));
        Assert.False(_tracker.Remove(1));
        Assert.False(_tracker.Remove(99));
        Assert.Equal([2L], Expired(10_000));
        _tracker.CheckConsistency();
    }

    [Fact]
    public void Sessions_due_together_come_out_ascending_and_late_checks_catch_up_on_every_due_bucket()
    {
        _tracker.Touch(30, 3000, 0);
        _tracker.Touch(-5, 3000, 10);
        _tracker.Touch(7, 5000, 0);
        _tracker.Touch(2, 9000, 0);
        _tracker.Touch(11, 3000, 900);

        Assert.Equal([-5L, 7, 11, 30], Expired(6000));
        Assert.Equal([2L], Expired(10_000));
        Assert.Equal(0, _tracker.Count);
        _tracker.CheckConsistency();
    }

    [Fact]
    public void Next_check_is_the_earliest_bucket()
    {
        Assert.Equal(long.MaxValue, _tracker.NextCheckMs);
        _tracker.Touch(1, 5000, 0);
        _tracker.Touch(2, 3000, 0);
        Assert.Equal(4000, _tracker.NextCheckMs);

        Expired(4000);
        Assert.Equal(6000, _tracker.NextCheckMs);
    }

    [Fact]
    public void A_new_leader_gives_every_session_a_full_timeout_and_forgets_the_rest()
    {
        _tracker.Touch(1, 3000, 0);
        _tracker.Touch(2, 3000, 0);
        _tracker.Touch(3, 3000, 0);

        _tracker.ResetAll([(1, 3000), (2, 10_000), (4, 2000)], nowMs: 3900);

        Assert.Equal(3, _tracker.Count);
        Assert.False(_tracker.TryGetDeadline(3, out _));
        Assert.Empty(Expired(5999));
        Assert.Equal([4L], Expired(6000));
        Assert.Equal([1L], Expired(7000));
        Assert.Equal([2L], Expired(14_000));
        _tracker.CheckConsistency();
    }

    [Fact]
    public void Reset_with_nothing_empties_the_tracker()
    {
        _tracker.Touch(1, 3000, 0);
        _tracker.ResetAll([], 0);

        Assert.Equal(0, _tracker.Count);
        Assert.Equal(long.MaxValue, _tracker.NextCheckMs);
        Assert.Empty(Expired(long.MaxValue));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionExpiryTracker(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionExpiryTracker(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tracker.Touch(1, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tracker.Touch(1, 1000, -1));
        Assert.Equal(0, _tracker.Count);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Matches_a_plain_deadline_table(int seed)
    {
        var random = new Random(seed);
        var deadlines = new Dictionary<long, long>();
        long now = 0;
        for (int step = 0; step < 20_000; step++)
        {
            long sessionId = random.Next(1, 40);
            switch (random.Next(100))
            {
                case < 60:
                    int timeout = random.Next(0, 8000);
                    _tracker.Touch(sessionId, timeout, now);
                    deadlines[sessionId] = ((now + timeout) / Interval + 1) * Interval;
                    break;
                case < 70:
                    Assert.Equal(deadlines.Remove(sessionId), _tracker.Remove(sessionId));
                    break;
                case < 99:
                    now += random.Next(0, 700);
                    var due = deadlines.Where(d => d.Value <= now).Select(d => d.Key).Order().ToArray();
                    foreach (long id in due)
                    {
                        deadlines.Remove(id);
                    }

                    Assert.Equal(due, Expired(now));
                    break;
                default:
                    var sessions = deadlines.Keys.Where(_ => random.Next(4) > 0).Select(id => (id, 3000)).ToList();
                    _tracker.ResetAll(sessions, now);
                    deadlines = sessions.ToDictionary(s => s.id, _ => ((now + 3000) / Interval + 1) * Interval);
                    break;
            }

            Assert.Equal(deadlines.Count, _tracker.Count);
            if (step % 500 == 0)
            {
                _tracker.CheckConsistency();
            }
        }
    }
}
