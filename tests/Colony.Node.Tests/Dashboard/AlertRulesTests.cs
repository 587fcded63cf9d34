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

    private static ClusterNodeView[] ThreeHealthy() => [Node(1, NodeHealth.Healthy), Node(2, NodeHealth.Healthy), Node(3, NodeHealth.Healthy)];

    [Fact]
    public void Healthy_blocks_and_no_failures_raise_nothing()
    {
        Assert.Empty(AlertRules.Evaluate(ThreeHealthy(), leader: 1, commit: 100, new BlockHealthCounts(0, 0, 0), []));
    }

    [Fact]
    public void Missing_and_corrupt_blocks_are_critical_and_under_replicated_ones_a_warning()
    {
        var alerts = AlertRules.Evaluate(ThreeHealthy(), leader: 1, commit: 100, new BlockHealthCounts(UnderReplicated: 4, Corrupt: 1, Missing: 2));
        Assert.Equal(
            [("critical", "blocks-missing"), ("critical", "blocks-corrupt"), ("warning", "blocks-under-replicated")],
            alerts.Select(a => (a.Severity, a.Kind)).ToArray());
        Assert.StartsWith("2 blocks have no replica", alerts[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("1 block has only corrupt replicas", alerts[1].Message, StringComparison.Ordinal);
        Assert.StartsWith("4 blocks have fewer replicas", alerts[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Block_alerts_come_after_a_dead_node_of_the_same_severity()
    {
        var nodes = new[] { Node(1, NodeHealth.Healthy), Node(2, NodeHealth.Healthy), Node(3, NodeHealth.Dead) };
        var alerts = AlertRules.Evaluate(nodes, leader: 1, commit: 100, new BlockHealthCounts(3, 0, 1));
        Assert.Equal(["node-dead", "blocks-missing", "blocks-under-replicated"], alerts.Select(a => a.Kind).ToArray());
    }

    [Fact]
    public void A_recently_failed_job_is_a_warning_with_its_error_and_an_old_failure_is_not()
    {
        var failures = new[]
        {
            new JobFailure("job-7", "wordcount", "map 3 failed 4 times: boom", SecondsAgo: 42),
            new JobFailure("job-2", "grep", null, SecondsAgo: AlertRules.RecentFailure.TotalSeconds + 1),
        };
        var alert = Assert.Single(AlertRules.Evaluate(ThreeHealthy(), leader: 1, commit: 100, failures: failures));
        Assert.Equal(("warning", "job-failed"), (alert.Severity, alert.Kind));
        Assert.Equal("job job-7 (wordcount) failed 42 s ago: map 3 failed 4 times: boom", alert.Message);
    }

    [Fact]
    public void Many_failed_jobs_name_the_latest_few_and_count_the_rest()
    {
        var failures = Enumerable.Range(1, 5).Select(i => new JobFailure($"job-{i}", "wc", null, SecondsAgo: 600 - i)).ToArray();
        var alerts = AlertRules.Evaluate(ThreeHealthy(), leader: 1, commit: 100, failures: failures);
        Assert.Equal(AlertRules.FailuresNamed + 1, alerts.Count);
        Assert.Contains("job job-5 (wc) failed 10 min ago", alerts[0].Message, StringComparison.Ordinal);
        Assert.Equal("2 more jobs failed in the last 15 minutes", alerts[^1].Message);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(5L << 30, "5 GiB")]
    public void Bytes_read_as_people_write_them(long bytes, string expected) => Assert.Equal(expected, AlertRules.Bytes(bytes));
}
