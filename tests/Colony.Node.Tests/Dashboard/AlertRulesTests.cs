using Colony.Node.Dashboard;

namespace Colony.Node.Tests.Dashboard;

public sealed class AlertRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static NodeSummary Summary(ulong id, ulong applied = 100, long total = 100_000, long free = 50_000) => new(
        id, "1.0.0", ["voter"], "follower", 3, 1, applied, applied, true, Now, "http://n", null, new DiskView(total, free), 0, 0, 4, 0, 0);

    private static ClusterNodeView Node(ulong id, string health, bool voter = true, NodeSummary? summary = null) =>
        new(id, "http://n" + id, voter, health, health == NodeHealth.Unknown ? null : Now, health == NodeHealth.Dead ? 12 : 0.5, 0, summary ?? Summary(id));

    [Fact]
    public void A_healthy_cluster_has_no_alerts()
    {
        var nodes = new[] { Node(1, NodeHealth.Healthy), Node(2, NodeHealth.Healthy), Node(3, NodeHealth.Healthy) };
        Assert.Empty(AlertRules.Evaluate(nodes, leader: 1, commit: 100));
    }

    [Fact]
    public void A_dead_node_is_critical_and_names_the_node()
    {
        var nodes = new[] { Node(1, NodeHealth.Healthy), Node(2, NodeHealth.Healthy), Node(3, NodeHealth.Dead) };
        var alert = Assert.Single(AlertRules.Evaluate(nodes, leader: 1, commit: 100));
        Assert.Equal(("critical", "node-dead"), (alert.Severity, alert.Kind));
        Assert.Contains("node 3", alert.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Losing_a_majority_of_voters_raises_quorum_lost_first()
    {
        var nodes = new[] { Node(1, NodeHealth.Healthy), Node(2, NodeHealth.Dead), Node(3, NodeHealth.Dead), Node(4, NodeHealth.Healthy, voter: false) };
        var alerts = AlertRules.Evaluate(nodes, leader: 0, commit: 100);
        Assert.Equal("quorum-lost", alerts[0].Kind);
        Assert.Contains("1 of 3 voters", alerts[0].Message, StringComparison.Ordinal);
        Assert.Equal(2, alerts.Count(a => a.Kind == "node-dead"));
        Assert.DoesNotContain(alerts, a => a.Kind == "no-leader"); // the quorum alert already says why
    }

    [Fact]
    public void No_leader_with_a_quorum_up_is_its_own_alert()
    {
        var nodes = new[] { Node(1, NodeHealth.Unhealthy), Node(2, NodeHealth.Unhealthy), Node(3, NodeHealth.Unhealthy) };
        var alerts = AlertRules.Evaluate(nodes, leader: 0, commit: 100);
        Assert.Equal("no-leader", alerts[0].Kind);
        Assert.Equal(3, alerts.Count(a => a.Kind == "node-unhealthy" && a.Severity == AlertRules.Warning));
    }

    [Theory]
    [InlineData(9_000, "warning")]
    [InlineData(4_000, "critical")]
    public void A_nearly_full_disk_is_reported_by_how_full_it_is(long free, string severity)
    {
        var nodes = new[] { Node(1, NodeHealth.Healthy, summary: Summary(1, total: 100_000, free: free)), Node(2, NodeHealth.Healthy), Node(3, NodeHealth.Healthy) };
        var alert = Assert.Single(AlertRules.Evaluate(nodes, leader: 1, commit: 100));
        Assert.Equal(("disk-full", severity), (alert.Kind, alert.Severity));
    }

    [Fact]
    public void A_node_far_behind_the_commit_index_is_lagging()
    {
        var nodes = new[] { Node(1, NodeHealth.Healthy, summary: Summary(1, applied: 5)), Node(2, NodeHealth.Healthy, summary: Summary(2, applied: 20_000)), Node(3, NodeHealth.Healthy, summary: Summary(3, applied: 20_000)) };
        var alert = Assert.Single(AlertRules.Evaluate(nodes, leader: 2, commit: 20_000));
        Assert.Equal("node-lagging", alert.Kind);
        Assert.Contains("19995", alert.Message.Replace(",", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(5L << 30, "5 GiB")]
    public void Bytes_read_as_people_write_them(long bytes, string expected) => Assert.Equal(expected, AlertRules.Bytes(bytes));
}
