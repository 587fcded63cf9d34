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
}
