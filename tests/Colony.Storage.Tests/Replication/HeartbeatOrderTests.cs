using Colony.Core;
using Colony.Storage.Replication;

namespace Colony.Storage.Tests.Replication;

public sealed class HeartbeatOrderTests
{
    private static readonly NodeId One = new(1);

    [Fact]
    public void Heartbeats_of_one_process_are_taken_in_order_and_late_ones_are_stale()
    {
        var order = new HeartbeatOrder();
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, "a", 1));
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, "a", 3)); // 2 was given up on and has not arrived yet
        Assert.Equal(HeartbeatVerdict.Stale, order.Observe(One, "a", 2));
        Assert.Equal(HeartbeatVerdict.Stale, order.Observe(One, "a", 3)); // a duplicate
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, "a", 4));
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(new NodeId(2), "a", 1)); // counted per node
    }

    [Fact]
    public void A_new_boot_id_is_a_restart_and_a_late_heartbeat_of_the_old_process_is_stale()
    {
        var order = new HeartbeatOrder();
        order.Observe(One, "a", 50);
        Assert.Equal(HeartbeatVerdict.Restarted, order.Observe(One, "b", 1));
        Assert.Equal(HeartbeatVerdict.Stale, order.Observe(One, "a", 51));
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, "b", 2));
        Assert.Equal(HeartbeatVerdict.Restarted, order.Observe(One, "c", 1));
        Assert.Equal(HeartbeatVerdict.Stale, order.Observe(One, "b", 3));
        Assert.Equal(HeartbeatVerdict.Stale, order.Observe(One, "a", 52));
    }

    [Fact]
    public void A_process_never_heard_from_that_started_before_the_known_one_is_stale_not_a_restart()
    {
        var order = new HeartbeatOrder();
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, "b", 1, incarnation: 2_000));
        Assert.Equal(HeartbeatVerdict.Stale, order.Observe(One, "a", 40, incarnation: 1_000)); // late, from the process before
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, "b", 2, incarnation: 2_000));
        Assert.Equal(HeartbeatVerdict.Restarted, order.Observe(One, "c", 1, incarnation: 3_000));
        // A node that does not say when its process started is judged as before.
        Assert.Equal(HeartbeatVerdict.Restarted, order.Observe(One, "d", 1));
    }

    [Fact]
    public void A_node_that_names_no_process_is_taken_as_it_comes()
    {
        var order = new HeartbeatOrder();
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, null, 0));
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, null, 0));
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, "", 0));
        // The first heartbeat this leader hears from a process is fresh, whatever its count: a new leader knows no history.
        Assert.Equal(HeartbeatVerdict.Fresh, order.Observe(One, "a", 900));
    }
}
