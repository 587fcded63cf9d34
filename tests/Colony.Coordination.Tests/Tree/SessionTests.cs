using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

public sealed class SessionTests
{
    private const long Other = 0x0200_0000_0000_0002;

    [Fact]
    public void Sessions_are_replicated_with_timeout_and_password()
    {
        var driver = new TreeDriver();
        Assert.True(driver.Tree.SessionExists(TreeDriver.DefaultSession));
        Assert.True(driver.Tree.TryGetSession(TreeDriver.DefaultSession, out var info));
        Assert.Equal(30_000, info.TimeoutMs);
        Assert.Equal(new byte[] { 1, 2, 3 }, info.Password.ToArray());
        Assert.True(driver.Tree.CheckSessionPassword(TreeDriver.DefaultSession, [1, 2, 3]));
        Assert.False(driver.Tree.CheckSessionPassword(TreeDriver.DefaultSession, [1, 2, 4]));
        Assert.False(driver.Tree.CheckSessionPassword(Other, [1, 2, 3]));
        Assert.False(driver.Tree.TryGetSession(Other, out _));
        Assert.Equal([TreeDriver.DefaultSession], driver.Tree.Sessions.Select(s => s.SessionId));
    }

    [Fact]
    public void Create_session_fails_for_a_taken_or_unusable_id()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Run(new Op.CreateSession(TreeDriver.DefaultSession, 10, [9]), session: 0));
        Assert.True(driver.Tree.TryGetSession(TreeDriver.DefaultSession, out var info));
        Assert.Equal(30_000, info.TimeoutMs);
        // 0, the container marker and the TTL range would make ephemerals look like other kinds.
        foreach (long id in new[] { 0L, long.MinValue, unchecked((long)0xFF00_0000_0000_0001UL) })
        {
            TreeDriver.Expect(ErrorCode.BadArguments, driver.Run(new Op.CreateSession(id, 10, []), session: 0));
        }
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Run(new Op.CreateSession(Other, 0, []), session: 0));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CreateSession(Other, 1, []), session: 0));
        Assert.Equal(2, driver.Tree.SessionCount);
    }

    [Fact]
    public void Operations_of_an_unknown_session_fail_with_session_expired()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/a");
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Create("/b", session: Other));
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Run(new Op.Delete("/a"), session: Other));
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Run(new Op.SetData("/a", []), session: Other));
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Run(new Op.SetAcl("/a", Acl.OpenUnsafe), session: Other));
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Run(new Op.Check("/a"), session: Other));
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Run(new Op.Sync("/"), session: Other));
        var multi = driver.Run(new Op.Multi([new Op.Check("/a")]), session: Other);
        TreeDriver.Expect(ErrorCode.SessionExpired, multi);
        Assert.Equal([ErrorCode.SessionExpired], multi.Multi.Select(r => r.Error));
        Assert.True(driver.Tree.Exists("/a"));
        Assert.False(driver.Tree.Exists("/b"));
        // The cluster itself (session 0) needs no session, except to own an ephemeral.
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/c", session: 0));
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Create("/d", mode: CreateMode.Ephemeral, session: 0));
    }

    [Fact]
    public void Ephemerals_record_their_owner_and_are_indexed_per_session()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/app");
        driver.CreateOk("/app/e1", mode: CreateMode.Ephemeral);
        driver.CreateOk("/x", mode: CreateMode.Ephemeral);
        string seq = driver.CreateOk("/app/s-", mode: CreateMode.EphemeralSequential);
        Assert.Equal(TreeDriver.DefaultSession, driver.StatOf("/x").EphemeralOwner);
        Assert.Equal(["/app/e1", seq, "/x"], driver.Tree.GetEphemerals(TreeDriver.DefaultSession));
        Assert.Equal(["/app/e1", seq, "/x"], driver.Tree.GetEphemerals(TreeDriver.DefaultSession, "/"));
        Assert.Equal(["/app/e1", seq, "/x"], driver.Tree.GetEphemerals(TreeDriver.DefaultSession, "  "));
        Assert.Equal(["/app/e1", seq], driver.Tree.GetEphemerals(TreeDriver.DefaultSession, "/app"));
        Assert.Equal(["/app/s-0000000001"], driver.Tree.GetEphemerals(TreeDriver.DefaultSession, "/app/s"));
        Assert.Empty(driver.Tree.GetEphemerals(Other));
        Assert.Equal(3, driver.Tree.EphemeralCount);
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/x"));
        Assert.Equal(["/app/e1", seq], driver.Tree.GetEphemerals(TreeDriver.DefaultSession));
    }

    [Fact]
    public void Close_session_deletes_every_ephemeral_at_one_zxid_and_reports_each()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CreateSession(Other, 5000, []), session: 0));
        driver.CreateOk("/app");
        driver.CreateOk("/app/b", mode: CreateMode.Ephemeral);
        driver.CreateOk("/app/a", mode: CreateMode.Ephemeral);
        driver.CreateOk("/z", mode: CreateMode.Ephemeral);
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/app/theirs", mode: CreateMode.Ephemeral, session: Other));
        int nodes = driver.Tree.NodeCount;

        var result = driver.Run(new Op.CloseSession(TreeDriver.DefaultSession), session: 0);

        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.Equal(driver.Tree.LastZxid, result.Zxid);
        Assert.Equal(["/app/a", "/app/b", "/z"], result.DeletedPaths);
        Assert.Equal(
            [
                new WatchTrigger("/app/a", EventType.NodeDeleted), new WatchTrigger("/app", EventType.NodeChildrenChanged),
                new WatchTrigger("/app/b", EventType.NodeDeleted), new WatchTrigger("/app", EventType.NodeChildrenChanged),
                new WatchTrigger("/z", EventType.NodeDeleted), new WatchTrigger("/", EventType.NodeChildrenChanged),
            ],
            result.Triggers);
        Assert.Equal(nodes - 3, driver.Tree.NodeCount);
        Assert.Equal(result.Zxid, driver.StatOf("/app").Pzxid);
        Assert.Equal(result.Zxid, driver.StatOf("/").Pzxid);
        Assert.False(driver.Tree.SessionExists(TreeDriver.DefaultSession));
        Assert.True(driver.Tree.Exists("/app/theirs"));
        Assert.Empty(driver.Tree.GetEphemerals(TreeDriver.DefaultSession));

        // Closing again, or anything else from the closed session, finds it gone.
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Run(new Op.CloseSession(TreeDriver.DefaultSession), session: 0));
        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Create("/late", mode: CreateMode.Ephemeral));
    }

    [Fact]
    public void Touch_reports_and_changes_nothing()
    {
        var driver = new TreeDriver();
        var before = SnapshotEdit.Read(driver.Tree);
        var result = driver.Run(new Op.TouchSessions([TreeDriver.DefaultSession, Other]), session: 0);
        TreeDriver.Expect(ErrorCode.Ok, result);
        Assert.Empty(result.Triggers);
        Assert.Equal(SnapshotEdit.Write(before), SnapshotEdit.Write(SnapshotEdit.Read(driver.Tree)));
    }

    [Fact]
    public void A_session_belongs_to_the_node_that_created_it()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CreateSession(Other, 5000, [4]), session: Other, origin: 3));
        Assert.True(driver.Tree.TryGetSession(TreeDriver.DefaultSession, out var first));
        Assert.Equal(TreeDriver.Origin, first.Owner);
        Assert.True(driver.Tree.TryGetSession(Other, out var second));
        Assert.Equal(3UL, second.Owner);
    }

    [Fact]
    public void Writes_proposed_by_a_node_that_does_not_own_the_session_fail_with_session_moved_and_change_nothing()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/a", [1]);
        var before = SnapshotEdit.Read(driver.Tree);
        const ulong Elsewhere = 8;

        Op[] writes =
        [
            new Op.Create("/b", [], Acl.OpenUnsafe, CreateMode.Persistent),
            new Op.Create("/e", [], Acl.OpenUnsafe, CreateMode.Ephemeral),
            new Op.Delete("/a"),
            new Op.SetData("/a", [2]),
            new Op.SetAcl("/a", Acl.ReadUnsafe),
            new Op.Check("/a"),
        ];
        foreach (var write in writes)
        {
            var result = driver.Run(write, origin: Elsewhere);
            TreeDriver.Expect(ErrorCode.SessionMoved, result);
            Assert.Empty(result.Triggers);
        }
        // As in ZooKeeper, the first operation of a multi meets the check; the rest are not tried.
        var multi = driver.Run(new Op.Multi([new Op.Check("/a"), new Op.SetData("/a", [3]), new Op.Delete("/a")]), origin: Elsewhere);
        TreeDriver.Expect(ErrorCode.SessionMoved, multi);
        Assert.Equal([ErrorCode.SessionMoved, ErrorCode.RuntimeInconsistency, ErrorCode.RuntimeInconsistency], multi.Multi.Select(r => r.Error));
        // A sync is checked too (ZooKeeper's leader checks the owner of a sync), and takes no zxid.
        var sync = driver.Run(new Op.Sync("/"), origin: Elsewhere);
        TreeDriver.Expect(ErrorCode.SessionMoved, sync);
        Assert.Equal(driver.Tree.LastZxid, sync.Zxid);

        // Failed writes take their zxids, as ZooKeeper's error transactions do; nothing else changed.
        var after = SnapshotEdit.Read(driver.Tree);
        Assert.Equal(before.LastZxid + writes.Length + 1, after.LastZxid);
        Assert.Equal(SnapshotEdit.Write(before with { LastZxid = after.LastZxid }), SnapshotEdit.Write(after));
        // The owner's own writes still pass.
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/a", [4]));
    }

    [Fact]
    public void Move_session_makes_the_proposer_the_owner_without_taking_a_zxid_and_fences_the_old_owner()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/a");
        driver.CreateOk("/e", mode: CreateMode.Ephemeral);
        long zxid = driver.Tree.LastZxid;

        var moved = driver.Run(new Op.MoveSession(TreeDriver.DefaultSession, [1, 2, 3]), origin: 8);

        TreeDriver.Expect(ErrorCode.Ok, moved);
        Assert.Equal(zxid, moved.Zxid);
        Assert.Equal(zxid, driver.Tree.LastZxid);
        Assert.Empty(moved.Triggers);
        Assert.True(driver.Tree.TryGetSession(TreeDriver.DefaultSession, out var info));
        Assert.Equal(8UL, info.Owner);
        Assert.Equal(["/e"], driver.Tree.GetEphemerals(TreeDriver.DefaultSession));
        TreeDriver.Expect(ErrorCode.SessionMoved, driver.SetData("/a", [1]));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.SetData("/a", [2]), origin: 8));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.Create("/e2", [], Acl.OpenUnsafe, CreateMode.Ephemeral), origin: 8));

        // Moving back, or again to where it is, is just as good.
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.MoveSession(TreeDriver.DefaultSession, [1, 2, 3]), origin: 8));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.MoveSession(TreeDriver.DefaultSession, [1, 2, 3])));
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/a", [3]));
        TreeDriver.Expect(ErrorCode.SessionMoved, driver.Run(new Op.SetData("/a", [4]), origin: 8));
    }

    [Fact]
    public void Move_session_fails_for_a_gone_session_a_wrong_password_and_node_0_and_moves_nothing()
    {
        var driver = new TreeDriver();
        var before = SnapshotEdit.Write(SnapshotEdit.Read(driver.Tree));

        TreeDriver.Expect(ErrorCode.SessionExpired, driver.Run(new Op.MoveSession(Other, [1, 2, 3]), session: Other, origin: 8));
        TreeDriver.Expect(ErrorCode.AuthFailed, driver.Run(new Op.MoveSession(TreeDriver.DefaultSession, [1, 2, 4]), origin: 8));
        TreeDriver.Expect(ErrorCode.AuthFailed, driver.Run(new Op.MoveSession(TreeDriver.DefaultSession, []), origin: 8));
        TreeDriver.Expect(ErrorCode.BadArguments, driver.Run(new Op.MoveSession(TreeDriver.DefaultSession, [1, 2, 3]), origin: 0));

        Assert.Equal(before, SnapshotEdit.Write(SnapshotEdit.Read(driver.Tree)));
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/still-mine"));
    }

    [Fact]
    public void Session_level_and_cluster_operations_are_not_fenced()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CreateSession(Other, 5000, [4]), session: Other));
        driver.CreateOk("/c", mode: CreateMode.Container);
        driver.CreateOk("/c/x");
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/c/x"));
        driver.CreateOk("/t", mode: CreateMode.PersistentWithTtl, ttlMs: 10);
        foreach (long id in new[] { TreeDriver.DefaultSession, Other })
        {
            TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.MoveSession(id, id == Other ? [4] : [1, 2, 3]), session: id, origin: 8));
        }
        driver.TimeMs += 1000;

        // Node 7 is neither session's owner now; the cluster's own work comes from whichever node leads.
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.TouchSessions([TreeDriver.DefaultSession, Other]), session: 0));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.DeleteContainer("/c"), session: 0));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.DeleteExpiredTtl("/t"), session: 0));
        // Expiry, proposed by the leader.
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CloseSession(Other), session: 0));
        // A client's own closeSession from the node it left ends the session, as in ZooKeeper, which
        // leaves closes unchecked because expiry comes from a node that is not the owner either.
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CloseSession(TreeDriver.DefaultSession)));
        Assert.Equal(0, driver.Tree.SessionCount);
    }
}
