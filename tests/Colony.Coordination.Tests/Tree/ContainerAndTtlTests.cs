using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

public sealed class ContainerAndTtlTests
{
    private static CoordinationResult Cleanup(TreeDriver driver, Op op) => driver.Run(op, session: 0);

    [Fact]
    public void Owner_encoding_mirrors_zookeeper()
    {
        Assert.Equal(unchecked((long)0x8000_0000_0000_0000UL), EphemeralOwner.Container);
        Assert.Equal(unchecked((long)0xFF00_0000_0000_1388UL), EphemeralOwner.ForTtl(5000));
        Assert.Equal(NodeKind.Persistent, EphemeralOwner.KindOf(0));
        Assert.Equal(NodeKind.Container, EphemeralOwner.KindOf(long.MinValue));
        Assert.Equal(NodeKind.Ttl, EphemeralOwner.KindOf(EphemeralOwner.ForTtl(1)));
        Assert.Equal(NodeKind.Ephemeral, EphemeralOwner.KindOf(0x0100_0000_0000_0001));
        Assert.Equal(5000, EphemeralOwner.TtlOf(EphemeralOwner.ForTtl(5000)));
        Assert.Equal((1L << 40) - 1, EphemeralOwner.MaxTtlMs);
        Assert.Equal(0, EphemeralOwner.TtlOf(12345));
    }

    [Fact]
    public void Container_and_ttl_nodes_show_their_marker_in_the_stat()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/c", mode: CreateMode.Container);
        driver.CreateOk("/t", mode: CreateMode.PersistentWithTtl, ttlMs: 5000);
        string seq = driver.CreateOk("/ts-", mode: CreateMode.PersistentSequentialWithTtl, ttlMs: 1);
        Assert.Equal(EphemeralOwner.Container, driver.StatOf("/c").EphemeralOwner);
        Assert.Equal(EphemeralOwner.ForTtl(5000), driver.StatOf("/t").EphemeralOwner);
        Assert.Equal(EphemeralOwner.ForTtl(1), driver.StatOf(seq).EphemeralOwner);
        // Neither kind is ephemeral: both may have children, and no session owns them.
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/c/child"));
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/t/child"));
        Assert.Equal(0, driver.Tree.EphemeralCount);
    }

    [Theory]
    [InlineData(CreateMode.PersistentWithTtl, 0)]
    [InlineData(CreateMode.PersistentWithTtl, -1)]
    [InlineData(CreateMode.PersistentWithTtl, 1L << 40)]
    [InlineData(CreateMode.PersistentSequentialWithTtl, 0)]
    [InlineData(CreateMode.Persistent, 0)]
    [InlineData(CreateMode.Persistent, 100)]
    [InlineData(CreateMode.Ephemeral, 100)]
    [InlineData(CreateMode.Container, 100)]
    public void Ttl_only_with_ttl_modes_and_in_range(CreateMode mode, long ttl)
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Create("/x", mode: mode, ttlMs: ttl));
        Assert.False(driver.Tree.Exists("/x"));
    }

    [Fact]
    public void Largest_ttl_is_accepted()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/x", mode: CreateMode.PersistentWithTtl, ttlMs: (1L << 40) - 1));
    }

    [Fact]
    public void Empty_containers_are_those_that_had_children()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/fresh", mode: CreateMode.Container);
        driver.CreateOk("/used", mode: CreateMode.Container);
        driver.CreateOk("/busy", mode: CreateMode.Container);
        driver.CreateOk("/plain");
        driver.CreateOk("/used/c");
        driver.CreateOk("/busy/c");
        driver.CreateOk("/plain/c");
        Assert.Empty(driver.Tree.EmptyContainers());
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/used/c"));
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/plain/c"));
        Assert.Equal(["/used"], driver.Tree.EmptyContainers());
    }

    [Fact]
    public void Delete_container_applies_only_while_the_node_still_qualifies()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/fresh", mode: CreateMode.Container);
        driver.CreateOk("/used", mode: CreateMode.Container);
        driver.CreateOk("/plain");
        driver.CreateOk("/plain/c");
        driver.CreateOk("/used/c");
        TreeDriver.Expect(ErrorCode.NotEmpty, Cleanup(driver, new Op.DeleteContainer("/used")));
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/used/c"));
        TreeDriver.Expect(ErrorCode.BadVersion, Cleanup(driver, new Op.DeleteContainer("/fresh")));
        TreeDriver.Expect(ErrorCode.NotEmpty, Cleanup(driver, new Op.DeleteContainer("/plain")));
        TreeDriver.Expect(ErrorCode.BadVersion, Cleanup(driver, new Op.DeleteContainer("/plain/c")));
        TreeDriver.Expect(ErrorCode.NoNode, Cleanup(driver, new Op.DeleteContainer("/gone")));
        TreeDriver.Expect(ErrorCode.BadArguments, Cleanup(driver, new Op.DeleteContainer("/zookeeper")));

        // A client's restrictive ACL does not stop the cluster's cleanup.
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.SetAcl("/", Acl.ReadUnsafe), session: 0));
        var result = Cleanup(driver, new Op.DeleteContainer("/used"));
        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.False(driver.Tree.Exists("/used"));
        Assert.Equal([new WatchTrigger("/used", EventType.NodeDeleted), new WatchTrigger("/", EventType.NodeChildrenChanged)], result.Triggers);
        Assert.Empty(driver.Tree.EmptyContainers());
        TreeDriver.Expect(ErrorCode.NoNode, Cleanup(driver, new Op.DeleteContainer("/used")));
    }

    [Fact]
    public void Ttl_nodes_expire_strictly_after_their_ttl_since_the_last_change()
    {
        var driver = new TreeDriver();
        driver.TimeMs = 10_000;
        driver.CreateOk("/t", mode: CreateMode.PersistentWithTtl, ttlMs: 1000);
        driver.CreateOk("/parent", mode: CreateMode.PersistentWithTtl, ttlMs: 1000);
        driver.CreateOk("/parent/c");
        driver.CreateOk("/plain");
        Assert.Empty(driver.Tree.ExpiredTtlNodes(11_000));
        Assert.Equal(["/t"], driver.Tree.ExpiredTtlNodes(11_001));

        driver.TimeMs = 10_500;
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/t", [1]));
        Assert.Empty(driver.Tree.ExpiredTtlNodes(11_001));
        Assert.Equal(["/t"], driver.Tree.ExpiredTtlNodes(11_501));
    }

    [Fact]
    public void Delete_expired_ttl_checks_expiry_at_the_commands_time()
    {
        var driver = new TreeDriver();
        driver.TimeMs = 10_000;
        driver.CreateOk("/t", mode: CreateMode.PersistentWithTtl, ttlMs: 1000);
        driver.CreateOk("/busy", mode: CreateMode.PersistentWithTtl, ttlMs: 1);
        driver.CreateOk("/busy/c");
        driver.CreateOk("/plain");

        driver.TimeMs = 11_000;
        TreeDriver.Expect(ErrorCode.BadVersion, Cleanup(driver, new Op.DeleteExpiredTtl("/t")));
        driver.TimeMs = 20_000;
        TreeDriver.Expect(ErrorCode.NotEmpty, Cleanup(driver, new Op.DeleteExpiredTtl("/busy")));
        TreeDriver.Expect(ErrorCode.BadVersion, Cleanup(driver, new Op.DeleteExpiredTtl("/plain")));
        TreeDriver.Expect(ErrorCode.NoNode, Cleanup(driver, new Op.DeleteExpiredTtl("/nope")));
        TreeDriver.Expect(ErrorCode.BadArguments, Cleanup(driver, new Op.DeleteExpiredTtl("/")));
        var result = Cleanup(driver, new Op.DeleteExpiredTtl("/t"));
        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.False(driver.Tree.Exists("/t"));
        Assert.Equal(2, result.Triggers.Count);
    }
}
