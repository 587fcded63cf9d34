using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

public sealed class MultiTests
{
    private static Op.Create Create(string path, CreateMode mode = CreateMode.Persistent) => new(path, [], Acl.OpenUnsafe, mode);

    [Fact]
    public void A_successful_multi_applies_every_op_at_one_zxid_and_reports_each()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/old", [1]);
        long zxid = driver.Tree.LastZxid + 1;
        var result = driver.Run(new Op.Multi(
        [
            Create("/a"),
            Create("/a/s-", CreateMode.PersistentSequential),
            new Op.Check("/a", 0),
            new Op.SetData("/old", [2], 0),
            new Op.Delete("/old", 1),
        ]));
        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.Equal(zxid, result.Zxid);
        Assert.Equal(zxid, driver.Tree.LastZxid);
        Assert.Equal(5, result.Multi.Count);
        Assert.All(result.Multi, r => Assert.Equal(ErrorCode.Ok, r.Error));
        Assert.Equal("/a", result.Multi[0].Path);
        Assert.Equal("/a/s-0000000000", result.Multi[1].Path);
        Assert.Equal(zxid, result.Multi[1].Stat!.Value.Czxid);
        Assert.Equal(1, result.Multi[3].Stat!.Value.Version);
        Assert.Equal(zxid, result.Multi[3].Stat!.Value.Mzxid);
        Assert.False(driver.Tree.Exists("/old"));
        Assert.Equal(zxid, driver.StatOf("/a").Czxid);
        Assert.Equal(1, driver.StatOf("/a").NumChildren);
        Assert.Equal(
            [
                new WatchTrigger("/a", EventType.NodeCreated), new WatchTrigger("/", EventType.NodeChildrenChanged),
                new WatchTrigger("/a/s-0000000000", EventType.NodeCreated), new WatchTrigger("/a", EventType.NodeChildrenChanged),
                new WatchTrigger("/old", EventType.NodeDataChanged),
                new WatchTrigger("/old", EventType.NodeDeleted), new WatchTrigger("/", EventType.NodeChildrenChanged),
            ],
            result.Triggers);
    }

    [Fact]
    public void A_failing_op_leaves_the_tree_untouched_and_marks_every_op()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/x", [1]);
        var before = Snapshot(driver.Tree);
        var result = driver.Run(new Op.Multi(
        [
            Create("/a"),
            new Op.SetData("/x", [2]),
            new Op.Check("/x", 0),
            Create("/b"),
        ]));
        // The check sees the setData before it: version 1, not 0.
        TreeDriver.Expect(ErrorCode.BadVersion, result);
        Assert.Equal(
            [ErrorCode.Ok, ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency],
            result.Multi.Select(r => r.Error));
        Assert.Empty(result.Triggers);
        Assert.False(driver.Tree.Exists("/a"));
        // Only the zxid moved.
        var after = SnapshotEdit.Read(driver.Tree);
        Assert.Equal(before.LastZxid + 1, after.LastZxid);
        Assert.Equal(SnapshotEdit.Write(before with { LastZxid = after.LastZxid }), SnapshotEdit.Write(after));
    }

    [Fact]
    public void Later_ops_see_earlier_ones()
    {
        var driver = new TreeDriver();
        var result = driver.Run(new Op.Multi(
        [
            Create("/p"),
            Create("/p/c"),
            new Op.Delete("/p"),
        ]));
        TreeDriver.Expect(ErrorCode.NotEmpty, result);
        Assert.Equal([ErrorCode.Ok, ErrorCode.Ok, ErrorCode.NotEmpty], result.Multi.Select(r => r.Error));

        var recreate = driver.Run(new Op.Multi([Create("/q"), new Op.Delete("/q"), Create("/q"), new Op.Check("/q", 0)]));
        TreeDriver.Expect(ErrorCode.Ok, recreate);
        Assert.True(driver.Tree.Exists("/q"));

        var doubled = driver.Run(new Op.Multi([Create("/r"), Create("/r")]));
        TreeDriver.Expect(ErrorCode.NodeExists, doubled);
        Assert.False(driver.Tree.Exists("/r"));
    }

    [Fact]
    public void Sequential_names_in_one_multi_count_up()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/q");
        var result = driver.Run(new Op.Multi([Create("/q/n-", CreateMode.PersistentSequential), Create("/q/n-", CreateMode.EphemeralSequential)]));
        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.Equal(["/q/n-0000000000", "/q/n-0000000001"], result.Multi.Select(r => r.Path));
        Assert.Equal(2, driver.StatOf("/q").Cversion);
    }

    [Fact]
    public void A_multi_delete_then_create_of_a_child_updates_the_parent_once_per_op()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/p");
        driver.CreateOk("/p/a");
        var result = driver.Run(new Op.Multi([new Op.Delete("/p/a"), Create("/p/b")]));
        TreeDriver.Expect(ErrorCode.Ok, result);
        var parent = driver.StatOf("/p");
        Assert.Equal(3, parent.Cversion);
        Assert.Equal(1, parent.NumChildren);
        Assert.Equal(result.Zxid, parent.Pzxid);
    }

    [Fact]
    public void An_empty_multi_succeeds()
    {
        var driver = new TreeDriver();
        var result = driver.Run(new Op.Multi([]));
        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.Empty(result.Multi);
    }

    [Fact]
    public void Too_many_ops_reject_the_whole_multi()
    {
        var driver = new TreeDriver(new TreeLimits { MaxMultiOps = 2 });
        var result = driver.Run(new Op.Multi([Create("/a"), Create("/b"), Create("/c")]));
        TreeDriver.Expect(ErrorCode.BadArguments, result);
        Assert.Empty(result.Multi);
        Assert.False(driver.Tree.Exists("/a"));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.Multi([Create("/a"), Create("/b")])));
    }

    [Fact]
    public void A_non_multi_op_built_by_hand_fails_its_slot()
    {
        var driver = new TreeDriver();
        var result = driver.Run(new Op.Multi([Create("/a"), new Op.Sync("/")]));
        TreeDriver.Expect(ErrorCode.BadArguments, result);
        Assert.Equal([ErrorCode.Ok, ErrorCode.BadArguments], result.Multi.Select(r => r.Error));
        Assert.False(driver.Tree.Exists("/a"));
    }

    private static SnapshotEdit.Model Snapshot(DataTree tree) => SnapshotEdit.Read(tree);
}
