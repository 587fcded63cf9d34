using Colony.FaultTests.Workloads;

namespace Colony.FaultTests;

public sealed class SessionCheckTests
{
    private const string K = "/register/k0";
    private const string J = "/register/k1";

    private static SessionObservation Op(long session, ObservationKind kind, string key, int version, long zxid, long call) =>
        new(session, kind, key, version, zxid, call, call + 1);

    [Fact]
    public void A_lagging_node_may_serve_another_sessions_old_value_but_a_session_never_goes_back()
    {
        var (ryw, sequential, _) = SessionCheck.Check(
        [
            Op(1, ObservationKind.Write, K, 1, 10, 0),
            // Session 2 is on a node that has not applied zxid 10 yet: allowed without sync.
            Op(2, ObservationKind.PlainRead, K, 0, 5, 2),
            Op(2, ObservationKind.PlainRead, K, 1, 10, 4),
            Op(1, ObservationKind.PlainRead, K, 1, 10, 6),
        ]);
        Assert.True(ryw);
        Assert.True(sequential);
    }

    [Fact]
    public void A_read_older_than_the_sessions_own_acknowledged_write_breaks_read_your_writes()
    {
        var (ryw, sequential, detail) = SessionCheck.Check(
        [
            Op(1, ObservationKind.PlainRead, K, 0, 5, 0),
            Op(1, ObservationKind.Write, K, 1, 10, 2),
            Op(1, ObservationKind.PlainRead, K, 0, 5, 4),
        ]);
        Assert.False(ryw);
        Assert.False(sequential);
        Assert.Contains("after its own write of v1", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_going_back_within_a_session_is_a_violation()
    {
        var (ryw, sequential, _) = SessionCheck.Check(
        [
            Op(3, ObservationKind.Write, K, 1, 10, 0),
            Op(1, ObservationKind.PlainRead, K, 1, 10, 2),
            Op(1, ObservationKind.PlainRead, K, 0, 5, 4),
        ]);
        Assert.True(ryw);
        Assert.False(sequential);
    }

    [Fact]
    public void Having_seen_past_another_znodes_write_a_session_must_see_it_too()
    {
        // Session 1 saw zxid 20 (on J), which is after K's v1 at zxid 10: its view includes v1.
        var (_, sequential, detail) = SessionCheck.Check(
        [
            Op(2, ObservationKind.Write, K, 1, 10, 0),
            Op(2, ObservationKind.Write, J, 1, 20, 2),
            Op(1, ObservationKind.PlainRead, J, 1, 20, 4),
            Op(1, ObservationKind.PlainRead, K, 0, 5, 6),
        ]);
        Assert.False(sequential);
        Assert.Contains("past v1", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_write_ordered_before_something_the_session_already_saw_is_a_violation()
    {
        var (_, sequential, _) = SessionCheck.Check(
        [
            Op(1, ObservationKind.PlainRead, J, 3, 30, 0),
            Op(1, ObservationKind.Write, K, 1, 10, 2),
        ]);
        Assert.False(sequential);
    }

    [Fact]
    public void A_new_session_starts_with_no_past()
    {
        var (ryw, sequential, _) = SessionCheck.Check(
        [
            Op(1, ObservationKind.Write, K, 1, 10, 0),
            Op(2, ObservationKind.PlainRead, K, 0, 5, 2),
        ]);
        Assert.True(ryw);
        Assert.True(sequential);
    }
}
