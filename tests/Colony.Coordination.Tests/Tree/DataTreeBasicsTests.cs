using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

public sealed class DataTreeBasicsTests
{
    [Fact]
    public void A_new_tree_has_zookeepers_initial_nodes()
    {
        var tree = new DataTree();
        Assert.Equal(0, tree.LastZxid);
        Assert.Equal(4, tree.NodeCount);
        Assert.True(tree.TryGetChildren("/", out var rootChildren));
        Assert.Equal(["zookeeper"], rootChildren);
        Assert.True(tree.TryGetChildren("/zookeeper", out var zkChildren));
        Assert.Equal(["config", "quota"], zkChildren);
        Assert.True(tree.TryGetNode("/", out var root));
        // ZooKeeper's fresh server: cversion −1 on "/", −2 on /zookeeper.
        Assert.Equal(new Stat(0, 0, 0, 0, 0, -1, 0, 0, 0, 1, 0), root.Stat);
        Assert.Equal(Acl.OpenUnsafe, root.Acl);
        Assert.True(tree.TryGetNode("/zookeeper/config", out var config));
        Assert.Equal(Acl.ReadUnsafe, config.Acl);
        Assert.Equal(-1, config.Stat.Aversion);
        Assert.True(tree.TryGetNode("/zookeeper", out var zk));
        Assert.Equal(2, zk.Stat.NumChildren);
        Assert.Equal(-2, zk.Stat.Cversion);
        // "/" + "/zookeeper" + "/zookeeper/quota" + "/zookeeper/config", no data.
        Assert.Equal(1 + 10 + 16 + 17, tree.ApproximateDataSize);
        Assert.Equal(3, tree.GetAllChildrenNumber("/"));
    }

    [Fact]
    public void Create_sets_zookeepers_stat_and_updates_the_parent()
    {
        var driver = new TreeDriver();
        driver.TimeMs = 5000;
        var result = driver.Create("/a", [1, 2, 3]);
        TreeDriver.Expect(ErrorCode.Ok, result);
        long zxid = result.Zxid;
        Assert.Equal(driver.Tree.LastZxid, zxid);
        Assert.Equal("/a", result.Op.Path);
        var expected = new Stat(zxid, zxid, 5000, 5000, 0, 0, 0, 0, 3, 0, zxid);
        Assert.Equal(expected, result.Op.Stat);
        Assert.Equal(expected, driver.StatOf("/a"));
        var root = driver.StatOf("/");
        Assert.Equal(0, root.Cversion); // −1 on a fresh tree, as on ZooKeeper
        Assert.Equal(zxid, root.Pzxid);
        Assert.Equal(2, root.NumChildren);
        Assert.Equal(0, root.Mzxid);
        Assert.Equal([new WatchTrigger("/a", EventType.NodeCreated), new WatchTrigger("/", EventType.NodeChildrenChanged)], result.Triggers);
        Assert.True(driver.Tree.TryGetNode("/a", out var node));
        Assert.Equal(new byte[] { 1, 2, 3 }, node.Data!.Value.ToArray());
    }

    [Fact]
    public void Null_data_stays_null()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.Create("/n", null, Acl.OpenUnsafe, CreateMode.Persistent)));
        Assert.True(driver.Tree.TryGetNode("/n", out var node));
        Assert.Null(node.Data);
        Assert.Equal(0, node.Stat.DataLength);
    }

    [Fact]
    public void Every_command_takes_the_next_zxid_failures_too_but_sync_and_touch_do_not()
    {
        var driver = new TreeDriver();
        long start = driver.Tree.LastZxid;
        var ok = driver.Create("/a");
        var failed = driver.Create("/a");
        TreeDriver.Expect(ErrorCode.NodeExists, failed);
        Assert.Equal(start + 1, ok.Zxid);
        Assert.Equal(start + 2, failed.Zxid);
        var sync = driver.Run(new Op.Sync("/"));
        var touch = driver.Run(new Op.TouchSessions([TreeDriver.DefaultSession]), session: 0);
        Assert.Equal(start + 2, sync.Zxid);
        Assert.Equal(start + 2, touch.Zxid);
        Assert.Equal(start + 2, driver.Tree.LastZxid);
        Assert.Equal(start + 3, driver.Create("/b").Zxid);
    }

    [Fact]
    public void Create_errors_follow_zookeeper()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.NoNode, driver.Create("/missing/child"));
        driver.CreateOk("/a");
        TreeDriver.Expect(ErrorCode.NodeExists, driver.Create("/a"));
        TreeDriver.Expect(ErrorCode.NodeExists, driver.Create("/"));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("a"));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("/a/"));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("/a/."));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("/a\u0001"));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("/a\0b"));
        // ZooKeeper looks the parent up before it validates the whole path.
        TreeDriver.Expect(ErrorCode.NoNode, driver.Create("/a//b"));
        driver.CreateOk("/e", mode: CreateMode.Ephemeral);
        TreeDriver.Expect(ErrorCode.NoChildrenForEphemerals, driver.Create("/e/child"));
        TreeDriver.Expect(ErrorCode.NoChildrenForEphemerals, driver.Create("/e/child", mode: CreateMode.PersistentSequential));
        TreeDriver.Expect(ErrorCode.NodeExists, driver.Create("/e"));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Run(new Op.Create("/bad-mode", [], Acl.OpenUnsafe, (CreateMode)9)));
    }

    [Fact]
    public void Data_limit_is_bad_arguments()
    {
        var driver = new TreeDriver(new TreeLimits { MaxDataBytes = 10 });
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/a", new byte[10]));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("/b", new byte[11]));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.SetData("/a", new byte[11]));
        Assert.False(driver.Tree.Exists("/b"));
        Assert.Equal(1024 * 1024, TreeLimits.Default.MaxDataBytes);
    }

    [Fact]
    public void Path_limit_is_bad_arguments_and_counts_the_sequential_suffix()
    {
        var driver = new TreeDriver(new TreeLimits { MaxPathLength = 12 });
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/" + new string('a', 11)));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("/" + new string('b', 12)));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("/ss", mode: CreateMode.PersistentSequential));
        Assert.Equal("/0000000001", driver.CreateOk("/", mode: CreateMode.PersistentSequential));
    }

    [Fact]
    public void The_sequential_suffix_counts_creates_while_cversion_also_counts_deletes()
    {
        // As Apache ZooKeeper 3.8 reports them (see the compatibility goldens).
        var driver = new TreeDriver();
        driver.CreateOk("/q");
        Assert.Equal("/q/n-0000000000", driver.CreateOk("/q/n-", mode: CreateMode.PersistentSequential));
        Assert.Equal("/q/n-0000000001", driver.CreateOk("/q/n-", mode: CreateMode.PersistentSequential));
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/q/n-0000000000"));
        Assert.Equal(3, driver.StatOf("/q").Cversion);
        Assert.Equal("/q/n-0000000002", driver.CreateOk("/q/n-", mode: CreateMode.PersistentSequential));
        Assert.Equal(4, driver.StatOf("/q").Cversion);

        var result = driver.Run(new Op.Multi([new Op.Delete("/q/n-0000000001"),
            new Op.Create("/q/n-", null, Acl.OpenUnsafe, CreateMode.PersistentSequential)]));
        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.Equal("/q/n-0000000003", result.Multi[1].Path);
        Assert.Equal(6, driver.StatOf("/q").Cversion);
    }

    [Fact]
    public void Delete_removes_the_node_and_updates_the_parents_pzxid_and_cversion()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/p");
        driver.CreateOk("/p/c", [1, 2]);
        var before = driver.StatOf("/p");
        long size = driver.Tree.ApproximateDataSize;
        var result = driver.Delete("/p/c");
        TreeDriver.Expect(ErrorCode.Ok, result);
        var after = driver.StatOf("/p");
        Assert.Equal(before.Cversion + 1, after.Cversion);
        Assert.Equal(result.Zxid, after.Pzxid);
        Assert.Equal(0, after.NumChildren);
        Assert.False(driver.Tree.Exists("/p/c"));
        Assert.Equal(size - "/p/c".Length - 2, driver.Tree.ApproximateDataSize);
        Assert.Equal([new WatchTrigger("/p/c", EventType.NodeDeleted), new WatchTrigger("/p", EventType.NodeChildrenChanged)], result.Triggers);
    }

    [Fact]
    public void Delete_errors_follow_zookeeper()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/p");
        driver.CreateOk("/p/c");
        TreeDriver.Expect(ErrorCode.NotEmpty, driver.Delete("/p"));
        TreeDriver.Expect(ErrorCode.NoNode, driver.Delete("/p/missing"));
        TreeDriver.Expect(ErrorCode.NoNode, driver.Delete("/missing/x"));
        TreeDriver.Expect(ErrorCode.BadVersion, driver.Delete("/p/c", 1));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Delete("p"));
        foreach (var special in new[] { "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config" })
        {
            TreeDriver.Expect(ErrorCode.BadArguments, driver.Delete(special));
        }
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/p/c", 0));
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/p"));
    }

    [Fact]
    public void SetData_bumps_version_mtime_and_mzxid()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/a", [1]);
        var created = driver.StatOf("/a");
        driver.TimeMs += 100;
        var result = driver.SetData("/a", [1, 2], 0);
        TreeDriver.Expect(ErrorCode.Ok, result);
        var stat = driver.StatOf("/a");
        Assert.Equal(stat, result.Op.Stat);
        Assert.Equal(1, stat.Version);
        Assert.Equal(driver.TimeMs, stat.Mtime);
        Assert.Equal(created.Ctime, stat.Ctime);
        Assert.Equal(result.Zxid, stat.Mzxid);
        Assert.Equal(created.Czxid, stat.Czxid);
        Assert.Equal(created.Pzxid, stat.Pzxid);
        Assert.Equal(2, stat.DataLength);
        Assert.Equal([new WatchTrigger("/a", EventType.NodeDataChanged)], result.Triggers);
        TreeDriver.Expect(ErrorCode.BadVersion, driver.SetData("/a", [], 0));
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/a", [], -1));
        Assert.Equal(2, driver.StatOf("/a").Version);
        TreeDriver.Expect(ErrorCode.NoNode, driver.SetData("/b", []));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.SetData("/a/", []));
    }

    [Fact]
    public void SetAcl_bumps_aversion_and_fires_nothing()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/a");
        Acl[] readAdmin = [new Acl(Perms.Read | Perms.Admin, Id.Anyone)];
        var result = driver.Run(new Op.SetAcl("/a", readAdmin, 0));
        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.Equal(1, result.Op.Stat!.Value.Aversion);
        Assert.Empty(result.Triggers);
        Assert.True(driver.Tree.TryGetNode("/a", out var node));
        Assert.Equal(readAdmin, node.Acl);
        Assert.Equal(0, node.Stat.Version);
        Assert.Equal(0, node.Stat.Mzxid - node.Stat.Czxid);
        TreeDriver.Expect(ErrorCode.BadVersion, driver.Run(new Op.SetAcl("/a", Acl.OpenUnsafe, 0)));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.SetAcl("/a", Acl.ReadUnsafe, 1)));
        // Without ADMIN the ACL can no longer be changed.
        TreeDriver.Expect(ErrorCode.NoAuth, driver.Run(new Op.SetAcl("/a", Acl.OpenUnsafe)));
        TreeDriver.Expect(ErrorCode.NoNode, driver.Run(new Op.SetAcl("/b", Acl.OpenUnsafe)));
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Run(new Op.SetAcl("/a", [])));
        // ZooKeeper checks the new ACL before it looks for the node.
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Run(new Op.SetAcl("/b", [])));
    }

    [Fact]
    public void Check_compares_the_version_and_changes_nothing()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/a");
        long zxid = driver.Tree.LastZxid;
        var ok = driver.Run(new Op.Check("/a", 0));
        TreeDriver.Expect(ErrorCode.Ok, ok);
        Assert.Equal(zxid + 1, ok.Zxid);
        Assert.Empty(ok.Triggers);
        TreeDriver.Expect(ErrorCode.BadVersion, driver.Run(new Op.Check("/a", 1)));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.Check("/a", -1)));
        TreeDriver.Expect(ErrorCode.NoNode, driver.Run(new Op.Check("/b", -1)));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Run(new Op.Check("b", -1)));
    }

    [Fact]
    public void Sequential_nodes_take_the_parents_cversion_as_a_ten_digit_suffix()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/q");
        Assert.Equal("/q/n-0000000000", driver.CreateOk("/q/n-", mode: CreateMode.PersistentSequential));
        driver.CreateOk("/q/plain");
        Assert.Equal("/q/n-0000000002", driver.CreateOk("/q/n-", mode: CreateMode.EphemeralSequential));
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/q/n-0000000000"));
        // Deletes leave cversion alone, so numbers never repeat.
        Assert.Equal("/q/0000000003", driver.CreateOk("/q/", mode: CreateMode.PersistentSequential));
        driver.CreateOk("/q/n-0000000005");
        // A sequential create collides with a node someone named by hand, and failing does not advance the counter.
        TreeDriver.Expect(ErrorCode.NodeExists, driver.Create("/q/n-", mode: CreateMode.PersistentSequential));
        TreeDriver.Expect(ErrorCode.NodeExists, driver.Create("/q/n-", mode: CreateMode.PersistentSequential));
        Assert.Equal("/q/m-0000000005", driver.CreateOk("/q/m-", mode: CreateMode.PersistentSequential));
    }

    [Theory]
    [InlineData(0, "0000000000")]
    [InlineData(42, "0000000042")]
    [InlineData(int.MaxValue, "2147483647")]
    [InlineData(-1, "-000000001")]
    [InlineData(-42, "-000000042")]
    [InlineData(int.MinValue, "-2147483648")]
    public void Sequential_suffix_formats_as_javas_percent_010d(int cversion, string suffix) =>
        Assert.Equal(suffix, DataTree.SequentialSuffix(cversion));

    [Fact]
    public void Children_are_listed_in_ordinal_order_and_counted_at_all_depths()
    {
        var driver = new TreeDriver();
        foreach (var path in new[] { "/b", "/a", "/a/z", "/a/B", "/a/z/1", "/ab" })
        {
            driver.CreateOk(path);
        }
        Assert.True(driver.Tree.TryGetChildren("/", out var children));
        Assert.Equal(["a", "ab", "b", "zookeeper"], children);
        Assert.True(driver.Tree.TryGetChildren("/a", out var aChildren));
        Assert.Equal(["B", "z"], aChildren);
        Assert.False(driver.Tree.TryGetChildren("/nope", out _));
        Assert.Equal(3, driver.Tree.GetAllChildrenNumber("/a"));
        Assert.Equal(0, driver.Tree.GetAllChildrenNumber("/b"));
        Assert.Equal(0, driver.Tree.GetAllChildrenNumber("/nope"));
        Assert.Equal(9, driver.Tree.GetAllChildrenNumber("/"));
        Assert.Equal(2, driver.Tree.GetAllChildrenNumber("/zookeeper"));
        Assert.Equal(10, driver.Tree.NodeCount);
    }

    [Fact]
    public void Versions_wrap_like_zookeepers_but_skip_minus_one()
    {
        // Reach the wrap through an edited snapshot rather than 4 billion writes.
        var driver = new TreeDriver();
        driver.CreateOk("/v");
        var d2 = SnapshotEdit.Load(SnapshotEdit.WithNode(driver.Tree, "/v", n => n with { Version = int.MaxValue }));
        TreeDriver.Expect(ErrorCode.Ok, d2.SetData("/v", [], int.MaxValue));
        Assert.Equal(int.MinValue, d2.StatOf("/v").Version);
        var d3 = SnapshotEdit.Load(SnapshotEdit.WithNode(d2.Tree, "/v", n => n with { Version = -2 }));
        TreeDriver.Expect(ErrorCode.Ok, d3.SetData("/v", [], -1));
        Assert.Equal(0, d3.StatOf("/v").Version);
    }
}
