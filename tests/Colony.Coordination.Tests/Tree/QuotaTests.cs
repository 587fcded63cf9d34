using System.Text;
using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

public sealed class QuotaTests
{
    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Sets a quota on <paramref name="target"/> the way zkCli's setquota does: stats node, then limits node.</summary>
    private static void SetQuota(TreeDriver driver, string target, string limits)
    {
        string quota = DataTree.QuotaPath + target;
        string current = DataTree.QuotaPath;
        foreach (string part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current += "/" + part;
            if (!driver.Tree.Exists(current))
            {
                driver.CreateOk(current);
            }
        }
        driver.CreateOk(quota + "/zookeeper_stats", Text("count=0,bytes=0"));
        driver.CreateOk(quota + "/zookeeper_limits", Text(limits));
    }

    private static string Usage(TreeDriver driver, string target)
    {
        Assert.True(driver.Tree.TryGetNode(DataTree.QuotaPath + target + "/zookeeper_stats", out var node));
        return Encoding.UTF8.GetString(node.Data!.Value.Span);
    }

    [Fact]
    public void Usage_counts_the_subtree_when_the_quota_is_set_and_follows_every_change()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/app", Text("12345"));
        driver.CreateOk("/app/a", Text("xy"));
        SetQuota(driver, "/app", "count=10,bytes=100");
        Assert.Equal("count=2,bytes=7", Usage(driver, "/app"));

        driver.CreateOk("/app/b", Text("abc"));
        Assert.Equal("count=3,bytes=10", Usage(driver, "/app"));
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/app/a", Text("x")));
        Assert.Equal("count=3,bytes=9", Usage(driver, "/app"));
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/app/b"));
        Assert.Equal("count=2,bytes=6", Usage(driver, "/app"));
        // Elsewhere in the tree nothing is counted.
        driver.CreateOk("/other", Text("zzzz"));
        Assert.Equal("count=2,bytes=6", Usage(driver, "/app"));
    }

    [Fact]
    public void A_hard_count_limit_refuses_the_excess_and_changes_nothing()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/app");
        SetQuota(driver, "/app", "count=-1,bytes=-1,countHardLimit=3,byteHardLimit=-1");
        driver.CreateOk("/app/1");
        driver.CreateOk("/app/2");
        var refused = driver.Create("/app/3");
        TreeDriver.Expect(ErrorCode.QuotaExceeded, refused);
        Assert.False(driver.Tree.Exists("/app/3"));
        Assert.Equal("count=3,bytes=0", Usage(driver, "/app"));
        // Deleting makes room again.
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/app/2"));
        driver.CreateOk("/app/3");
    }

    [Fact]
    public void A_hard_byte_limit_refuses_growth_but_not_shrinking()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/app", Text("1234"));
        SetQuota(driver, "/app", "count=-1,bytes=-1,countHardLimit=-1,byteHardLimit=10");
        TreeDriver.Expect(ErrorCode.QuotaExceeded, driver.SetData("/app", Text("12345678901")));
        TreeDriver.Expect(ErrorCode.QuotaExceeded, driver.Create("/app/big", Text("1234567")));
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/app", Text("12")));
        driver.CreateOk("/app/fits", Text("12345678"));
        Assert.Equal("count=2,bytes=10", Usage(driver, "/app"));
    }

    [Fact]
    public void A_multi_is_measured_as_a_whole_and_refused_atomically()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/app");
        SetQuota(driver, "/app", "count=-1,bytes=-1,countHardLimit=3,byteHardLimit=-1");
        var open = Acl.OpenUnsafe;
        var multi = driver.Run(new Op.Multi([
            new Op.Create("/app/1", [], open, CreateMode.Persistent, -1),
            new Op.Create("/app/2", [], open, CreateMode.Persistent, -1),
            new Op.Create("/app/3", [], open, CreateMode.Persistent, -1)]));
        TreeDriver.Expect(ErrorCode.QuotaExceeded, multi);
        Assert.Equal([ErrorCode.Ok, ErrorCode.Ok, ErrorCode.QuotaExceeded], multi.Multi.Select(r => r.Error));
        Assert.False(driver.Tree.Exists("/app/1"));
        Assert.Equal("count=1,bytes=0", Usage(driver, "/app"));
    }

    [Fact]
    public void A_soft_limit_lets_the_change_through_and_reports_it()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/app");
        SetQuota(driver, "/app", "count=2,bytes=-1");
        Assert.Empty(driver.Create("/app/1").SoftQuotaExceeded);
        var over = driver.Create("/app/2");
        TreeDriver.Expect(ErrorCode.Ok, over);
        Assert.Equal(["/app"], over.SoftQuotaExceeded);
    }

    [Fact]
    public void The_deepest_quota_counts_and_removing_the_limits_node_ends_the_quota()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/a");
        driver.CreateOk("/a/b");
        SetQuota(driver, "/a/b", "count=-1,bytes=-1,countHardLimit=1,byteHardLimit=-1");
        TreeDriver.Expect(ErrorCode.QuotaExceeded, driver.Create("/a/b/c"));
        driver.CreateOk("/a/c"); // outside /a/b
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete(DataTree.QuotaPath + "/a/b/zookeeper_limits"));
        driver.CreateOk("/a/b/c");
        Assert.False(driver.Tree.TryGetQuota("/a/b", out _, out _, out _));
    }

    [Fact]
    public void Quotas_come_back_from_a_snapshot_with_their_usage()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/app", Text("abc"));
        SetQuota(driver, "/app", "count=-1,bytes=-1,countHardLimit=2,byteHardLimit=-1");
        driver.CreateOk("/app/1");
        using var stream = new MemoryStream();
        driver.Tree.WriteSnapshot(stream);

        var restored = new TreeDriver(openDefaultSession: false);
        restored.Tree.Restore(new MemoryStream(stream.ToArray()));
        Assert.True(restored.Tree.TryGetQuota("/app", out var limits, out long count, out long bytes));
        Assert.Equal((2L, 2L, 3L), (limits.CountHardLimit, count, bytes));
        TreeDriver.Expect(ErrorCode.QuotaExceeded, restored.Create("/app/2"));
    }

    [Theory]
    [InlineData("count=5,bytes=100", 5, 100, -1, -1)]
    [InlineData("count=-1,bytes=-1,countHardLimit=10,byteHardLimit=2048", -1, -1, 10, 2048)]
    [InlineData("bytes=7, count=3, something=9", 3, 7, -1, -1)]
    [InlineData("count=oops", -1, -1, -1, -1)]
    [InlineData("", -1, -1, -1, -1)]
    public void Limits_read_zookeepers_stats_track_text(string text, long count, long bytes, long countHard, long byteHard) =>
        Assert.Equal(new QuotaNumbers(count, bytes, countHard, byteHard), QuotaNumbers.Parse(Text(text)));
}
