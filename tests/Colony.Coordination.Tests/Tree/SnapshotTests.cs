using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

public sealed class SnapshotTests
{
    private static TreeDriver Populated()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CreateSession(0x0300_0000_0000_0003, 4000, [7, 7]), session: 0));
        driver.Auth = [Colony.Coordination.Security.DigestAuthentication.IdFor("bob:pw")];
        driver.CreateOk("/app", [1, 2, 3], acl: Acl.CreatorAll);
        driver.CreateOk("/app/e", mode: CreateMode.Ephemeral);
        driver.CreateOk("/app/s-", mode: CreateMode.PersistentSequential);
        driver.CreateOk("/c", mode: CreateMode.Container);
        driver.CreateOk("/c/x");
        driver.CreateOk("/t", null, mode: CreateMode.PersistentWithTtl, ttlMs: 60_000);
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.Create("/n", null, Acl.OpenUnsafe, CreateMode.Persistent)));
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/c/x"));
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/app", [9]));
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/other-e", mode: CreateMode.Ephemeral, session: 0x0300_0000_0000_0003));
        // Its client moved to node 9: owners differ between sessions.
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.MoveSession(0x0300_0000_0000_0003, [7, 7]), session: 0x0300_0000_0000_0003, origin: 9));
        return driver;
    }

    private static byte[] Bytes(DataTree tree)
    {
        var stream = new MemoryStream();
        tree.WriteSnapshot(stream);
        return stream.ToArray();
    }

    [Fact]
    public void A_capture_writes_the_state_as_it_was_when_captured_whatever_is_applied_after()
    {
        var driver = Populated();
        byte[] expected = Bytes(driver.Tree);
        var capture = driver.Tree.CaptureSnapshot();

        driver.CreateOk("/later");
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/app", [4, 4]));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CloseSession(0x0300_0000_0000_0003), session: 0));
        var stream = new MemoryStream();
        capture.WriteTo(stream);

        Assert.Equal(expected, stream.ToArray());
        Assert.NotEqual(expected, Bytes(driver.Tree));
    }

    [Fact]
    public void Round_trip_restores_everything()
    {
        var source = Populated().Tree;
        var bytes = Bytes(source);
        var restored = new DataTree();
        restored.Restore(new MemoryStream(bytes));

        Assert.Equal(bytes, Bytes(restored));
        Assert.Equal(source.LastZxid, restored.LastZxid);
        Assert.Equal(source.NodeCount, restored.NodeCount);
        Assert.Equal(source.ApproximateDataSize, restored.ApproximateDataSize);
        Assert.Equal(source.EphemeralCount, restored.EphemeralCount);
        Assert.Equal(source.Sessions.Select(s => (s.SessionId, s.TimeoutMs, s.EphemeralCount, s.Owner)), restored.Sessions.Select(s => (s.SessionId, s.TimeoutMs, s.EphemeralCount, s.Owner)));
        Assert.Equal(["/app/e"], restored.GetEphemerals(TreeDriver.DefaultSession));
        Assert.Equal(source.EmptyContainers(), restored.EmptyContainers());
        Assert.Equal(["/c"], restored.EmptyContainers());
        Assert.Equal(["/t"], restored.ExpiredTtlNodes(long.MaxValue));
        Assert.True(restored.CheckSessionPassword(0x0300_0000_0000_0003, [7, 7]));
        Assert.True(restored.TryGetSession(0x0300_0000_0000_0003, out var moved));
        Assert.Equal(9UL, moved.Owner);
        Assert.True(restored.TryGetSession(TreeDriver.DefaultSession, out var stayed));
        Assert.Equal(TreeDriver.Origin, stayed.Owner);
        foreach (var path in new[] { "/", "/app", "/app/e", "/app/s-0000000001", "/c", "/t", "/n", "/zookeeper/config" })
        {
            Assert.True(source.TryGetNode(path, out var a));
            Assert.True(restored.TryGetNode(path, out var b));
            Assert.Equal(a.Stat, b.Stat);
            Assert.Equal(a.Acl, b.Acl);
            Assert.Equal(a.Data?.ToArray(), b.Data?.ToArray());
        }
        Assert.True(restored.TryGetNode("/n", out var nullData));
        Assert.Null(nullData.Data);
        Assert.True(restored.TryGetChildren("/app", out var children));
        Assert.Equal(["e", "s-0000000001"], children);
    }

    [Fact]
    public void A_restored_tree_goes_on_exactly_like_the_original()
    {
        var original = Populated();
        var copy = new TreeDriver(openDefaultSession: false);
        copy.Tree.Restore(new MemoryStream(Bytes(original.Tree)));
        foreach (var driver in new[] { original, copy })
        {
            driver.Auth = original.Auth;
            TreeDriver.Expect(ErrorCode.Ok, driver.Create("/app/s-", mode: CreateMode.PersistentSequential));
            TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.CloseSession(TreeDriver.DefaultSession), session: 0));
            TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.DeleteContainer("/c"), session: 0));
            // The restored owner fences exactly as the original one does.
            TreeDriver.Expect(ErrorCode.SessionMoved, driver.Create("/from-7", session: 0x0300_0000_0000_0003));
            TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.Create("/from-9", null, Acl.OpenUnsafe, CreateMode.Persistent), session: 0x0300_0000_0000_0003, origin: 9));
        }
        Assert.Equal(Bytes(original.Tree), Bytes(copy.Tree));
    }

    [Fact]
    public void Restore_replaces_all_state()
    {
        var target = Populated();
        target.CreateOk("/only-here");
        var empty = new DataTree();
        target.Tree.Restore(new MemoryStream(Bytes(empty)));
        Assert.Equal(Bytes(empty), Bytes(target.Tree));
        Assert.False(target.Tree.Exists("/only-here"));
        Assert.Equal(0, target.Tree.SessionCount);
        Assert.Equal(0, target.Tree.LastZxid);
        Assert.Empty(target.Tree.EmptyContainers());
        Assert.Empty(target.Tree.ExpiredTtlNodes(long.MaxValue));
    }

    [Fact]
    public void Equal_states_reached_in_different_orders_write_equal_bytes()
    {
        // Same nodes and stats, created in different orders: zxids differ, so build them with edits instead.
        var a = new TreeDriver();
        a.CreateOk("/x");
        a.CreateOk("/y");
        var model = SnapshotEdit.Read(a.Tree);
        model.Nodes.Reverse();
        model.Nodes.Sort((l, r) => string.CompareOrdinal(l.Path, r.Path));
        Assert.Equal(Bytes(a.Tree), SnapshotEdit.Write(model));
        var b = SnapshotEdit.Load(SnapshotEdit.Write(model));
        Assert.Equal(Bytes(a.Tree), Bytes(b.Tree));
    }

    [Fact]
    public void Corrupt_snapshots_are_rejected_and_leave_the_state_alone()
    {
        var driver = Populated();
        var good = Bytes(driver.Tree);
        var model = SnapshotEdit.Read(good);

        var cases = new List<byte[]>
        {
            Array.Empty<byte>(),
            good[..^1],
            good.Append((byte)0).ToArray(),
            Replace(good, 0, 0),
            Edit(model, m => m with { LastZxid = -1 }),
            Edit(model, m => m with { Nodes = [.. m.Nodes.Where(n => n.Path != "/app")] }),
            Edit(model, m => m with { Nodes = [.. m.Nodes.Where(n => n.Path != "/zookeeper/config")] }),
            Edit(model, m => m with { Nodes = [.. m.Nodes.Where(n => n.Path != "/")] }),
            Edit(model, m => m with { Nodes = [.. m.Nodes, m.Nodes[^1]] }),
            Edit(model, m => m with { Nodes = [.. m.Nodes.AsEnumerable().Reverse()] }),
            Edit(model, m => m with { Sessions = [.. m.Sessions.Where(s => s.Id != TreeDriver.DefaultSession)] }),
            Edit(model, m => m with { Sessions = [.. m.Sessions.AsEnumerable().Reverse()] }),
            Edit(model, m => m with { Sessions = [.. m.Sessions, m.Sessions[^1]] }),
            Edit(model, m => m with { Sessions = [.. m.Sessions.Select(s => s with { TimeoutMs = 0 })] }),
            Replace(good, 0, 3),
            Edit(model, m => m with { Nodes = [.. m.Nodes.Select(n => n.Path == "/app/s-0000000001" ? n with { Path = "/app/s-\u0001" } : n)] }),
            Edit(model, m => m with { Nodes = [.. m.Nodes.Select(n => n.Path == "/app" ? n with { EphemeralOwner = TreeDriver.DefaultSession } : n)] }),
        };
        foreach (var bytes in cases)
        {
            Assert.Throws<InvalidDataException>(() => driver.Tree.Restore(new MemoryStream(bytes)));
            Assert.Equal(good, Bytes(driver.Tree));
        }
    }

    [Fact]
    public void A_snapshot_from_before_owners_loads_with_unowned_sessions_that_no_node_is_fenced_from()
    {
        var model = SnapshotEdit.Read(Populated().Tree);
        var driver = SnapshotEdit.Load(SnapshotEdit.Write(model, version: 1));

        Assert.All(driver.Tree.Sessions, s => Assert.Equal(0UL, s.Owner));
        Assert.Equal(model.Sessions.Select(s => (s.Id, s.TimeoutMs)), driver.Tree.Sessions.Select(s => (s.SessionId, s.TimeoutMs)));
        Assert.Equal(["/app/e"], driver.Tree.GetEphemerals(TreeDriver.DefaultSession));
        // Written back in the current layout, owners and all.
        Assert.Equal(SnapshotEdit.Write(model with { Sessions = [.. model.Sessions.Select(s => s with { Owner = 0 })] }), Bytes(driver.Tree));
        // Unowned: writes from any node pass until the client moves, which fences the others again.
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/from-7"));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.Create("/from-8", null, Acl.OpenUnsafe, CreateMode.Persistent), origin: 8));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.MoveSession(TreeDriver.DefaultSession, [1, 2, 3]), origin: 8));
        TreeDriver.Expect(ErrorCode.SessionMoved, driver.Create("/from-7-again"));
    }

    [Fact]
    public void Garbage_never_crashes_restore()
    {
        var good = Bytes(Populated().Tree);
        var random = new Colony.Core.SeededRandom(77);
        var tree = new DataTree();
        var before = Bytes(tree);
        for (int i = 0; i < 3000; i++)
        {
            var bytes = (byte[])good.Clone();
            for (int f = random.Next(1, 4); f > 0; f--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
            if (random.Next(4) == 0)
            {
                bytes = bytes[..random.Next(bytes.Length)];
            }
            try
            {
                tree.Restore(new MemoryStream(bytes));
                // A corruption that still restores must describe a consistent tree.
                Assert.Equal(bytes, Bytes(tree));
                tree.Restore(new MemoryStream(before));
            }
            catch (InvalidDataException)
            {
                Assert.Equal(before, Bytes(tree));
            }
        }
    }

    private static byte[] Replace(byte[] bytes, int index, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] Edit(SnapshotEdit.Model model, Func<SnapshotEdit.Model, SnapshotEdit.Model> edit) =>
        SnapshotEdit.Write(edit(model with { Nodes = [.. model.Nodes], Sessions = [.. model.Sessions] }));
}

/// <summary>Snapshots outlive releases: the layout of a new tree's snapshot is pinned byte for byte.</summary>
public sealed class SnapshotFormatTests
{
    [Fact]
    public void A_new_trees_snapshot_is_frozen()
    {
        const string openAcl = "01" + "3e" + "05776f726c64" + "06616e796f6e65";
        const string readAcl = "01" + "02" + "05776f726c64" + "06616e796f6e65";
        const string zeroTimes = "00000000";
        const string noOwner = "0000000000000000";
        // Versions are zigzag varints: "01" is −1, "03" is −2 (ZooKeeper's cversions of "/" and /zookeeper).
        static string Node(string pathHex, string acl, string cversion, string aversion) =>
            pathHex + "01" + acl + zeroTimes + "00" + cversion + aversion + noOwner + "00" + "00";
        string expected = "02" + "00" + "00" + "04"
            + Node("012f", openAcl, "01", "00")
            + Node("0a2f7a6f6f6b6565706572", openAcl, "03", "00")
            + Node("112f7a6f6f6b65657065722f636f6e666967", readAcl, "00", "01")
            + Node("102f7a6f6f6b65657065722f71756f7461", openAcl, "00", "00");
        var stream = new MemoryStream();
        new DataTree().WriteSnapshot(stream);
        Assert.Equal(expected, Convert.ToHexStringLower(stream.ToArray()));
    }

    /// <summary>One session in each layout: version 2 adds the owner node (varint) after the password.</summary>
    [Fact]
    public void Session_records_are_frozen_in_both_layouts()
    {
        var tree = new DataTree();
        tree.Apply(new CoordinationCommand(300, 0, 0, 0, [], new Op.CreateSession(0x0100_0000_0000_0001, 5000, [0xAA, 0xBB])));
        var stream = new MemoryStream();
        tree.WriteSnapshot(stream);
        string hex = Convert.ToHexStringLower(stream.ToArray());
        const string session = "0100000000000001" + "904e" + "02" + "aabb";
        const string owner = "ac02";
        // Version 2, zxid 1, one session, its owner; then the four initial nodes, as in a new tree.
        Assert.StartsWith("02" + "02" + "01" + session + owner + "04", hex);

        // The same session in version 1 (no owner) still loads, owned by no node.
        string v1 = "01" + hex[2..].Replace(session + owner, session, StringComparison.Ordinal);
        var restored = new DataTree();
        restored.Restore(new MemoryStream(Convert.FromHexString(v1)));
        Assert.True(restored.TryGetSession(0x0100_0000_0000_0001, out var info));
        Assert.Equal((5000, 0UL), (info.TimeoutMs, info.Owner));
        Assert.True(restored.CheckSessionPassword(0x0100_0000_0000_0001, [0xAA, 0xBB]));
    }
}
