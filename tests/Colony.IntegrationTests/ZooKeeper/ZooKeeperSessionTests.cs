using System.Diagnostics;
using System.Globalization;
using Colony.Coordination;
using Colony.Coordination.Protocol;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// Sessions across client faults, with real kazoo clients: a killed client's session expires and its
/// ephemerals go with it, while a live session survives losing its connection and moving to another node.
/// </summary>
[Collection(ZooKeeperClusterCollection.Name)]
public sealed class ZooKeeperSessionTests(ZooKeeperClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly string Root = ZooKeeperClusterFixture.Root;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_killed_clients_ephemerals_go_when_its_session_expires_and_a_live_clients_stay()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        const int TimeoutSeconds = 3;
        string root = $"{Root}/owners-{Guid.NewGuid():N}";
        ulong other = fixture.Cluster.Ids.First(id => id != fixture.Leader && id != fixture.Follower);

        // One owner on the leader and one on a follower are killed; one on the third node lives on.
        await using var onLeader = StartOwner(fixture.Leader, root, TimeoutSeconds);
        await using var onFollower = StartOwner(fixture.Follower, root, TimeoutSeconds);
        await using var survivor = StartOwner(other, root, TimeoutSeconds);
        var killed = new[] { await ReadyAsync(onLeader), await ReadyAsync(onFollower) };
        var living = await ReadyAsync(survivor);

        using var observer = await fixture.ConnectAsync(fixture.Leader);
        Assert.Equal(ErrorCode.Ok, await observer.SyncAsync(root));
        foreach (var (session, paths) in killed.Append(living))
        {
            foreach (var path in paths)
            {
                var (error, stat) = await observer.ExistsAsync(path);
                Assert.Equal(ErrorCode.Ok, error);
                Assert.Equal(session, stat.EphemeralOwner);
            }
        }

        var clock = Stopwatch.StartNew();
        onLeader.Kill();
        onFollower.Kill();
        var doomed = killed.SelectMany(k => k.Paths).ToList();
        await LocalCluster.WaitForAsync(
            async () => (int?)await CountExistingAsync(observer, doomed),
            n => n == 0, TimeSpan.FromSeconds(TimeoutSeconds + 6), "the killed clients' ephemerals to go");
        var gone = clock.Elapsed;
        output.WriteLine($"the killed clients' ephemerals went {gone.TotalMilliseconds:0} ms after the kill (session timeout {TimeoutSeconds} s)");
        // Not at the disconnect: a session outlives its connection until it expires.
        Assert.True(gone >= TimeSpan.FromSeconds(TimeoutSeconds / 2.0), $"the ephemerals went after {gone.TotalMilliseconds:0} ms, before the session could have expired");

        // The live client kept its session and ephemerals throughout.
        Assert.False(survivor.HasExited);
        Assert.Equal(ErrorCode.Ok, await observer.SyncAsync(root));
        foreach (var path in living.Paths)
        {
            var (error, stat) = await observer.ExistsAsync(path);
            Assert.True(error == ErrorCode.Ok, $"{path} of the live client: {error}");
            Assert.Equal(living.Session, stat.EphemeralOwner);
        }
        await observer.CloseSessionAsync();
        await fixture.AssertServesAsync(fixture.Follower);
        logs.Pass();
    }

    [Fact]
    public async Task A_session_resumed_on_another_node_keeps_its_ephemerals_until_it_is_closed()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        ulong nodeA = fixture.Follower;
        ulong nodeB = fixture.Cluster.Ids.First(id => id != fixture.Leader && id != nodeA);
        string path = $"{Root}/resumed-{Guid.NewGuid():N}";
        const int TimeoutMs = 2000;

        // Node A: a session with an ephemeral, then the TCP connection just drops (no closeSession).
        long sessionId;
        byte[] password;
        using (var first = await RawZooKeeperClient.ConnectAsync(fixture.Address(nodeA), TimeoutMs))
        {
            Assert.Equal(TimeoutMs, first.NegotiatedTimeoutMs);
            Assert.Equal(ErrorCode.Ok, (await first.CreateAsync(path, "mine"u8.ToArray(), CreateMode.Ephemeral)).Error);
            sessionId = first.SessionId;
            password = first.Password;
        }

        // The wrong password does not get the session.
        using (var impostor = await RawZooKeeperClient.OpenAsync(fixture.Address(nodeB)))
        {
            var refused = await impostor.HandshakeAsync(TimeoutMs, sessionId, new byte[password.Length]);
            Assert.True(refused is null or { TimeOut: <= 0 }, $"a wrong password resumed session {sessionId:x}: {refused}");
            await impostor.ReadUntilClosedAsync();
        }

        // Node B, through kazoo with the session's id and password.
        await using var kazoo = PythonScript.Start("resume.py", "--hosts", fixture.Address(nodeB),
            "--session", sessionId.ToString(CultureInfo.InvariantCulture), "--password", Convert.ToHexString(password),
            "--timeout", (TimeoutMs / 1000.0).ToString(CultureInfo.InvariantCulture), path);
        var resumed = (await kazoo.WaitForLineAsync(l => l.StartsWith("RESUMED ", StringComparison.Ordinal), StartTimeout, "kazoo to resume the session")).Split(' ');
        Assert.Equal(sessionId, long.Parse(resumed[1], CultureInfo.InvariantCulture));
        Assert.Equal(fixture.Address(nodeB), resumed[2]);
        var owner = (await kazoo.WaitForLineAsync(l => l.StartsWith("OWNER ", StringComparison.Ordinal), StartTimeout, "kazoo to read the ephemeral")).Split(' ');
        Assert.Equal(sessionId, long.Parse(owner[2], CultureInfo.InvariantCulture));

        // The session lives on through node B's pings, well past its timeout, as seen on the leader.
        using var observer = await fixture.ConnectAsync(fixture.Leader);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromMilliseconds(3 * TimeoutMs))
        {
            var (error, stat) = await observer.ExistsAsync(path);
            Assert.True(error == ErrorCode.Ok, $"the resumed session's ephemeral is gone ({error}) after {watch.ElapsedMilliseconds} ms");
            Assert.Equal(sessionId, stat.EphemeralOwner);
            await Task.Delay(200); // sampling an observation window, not waiting for a condition
        }
        Assert.DoesNotContain(kazoo.Output, l => l.StartsWith("STATE", StringComparison.Ordinal) && !l.EndsWith("CONNECTED", StringComparison.Ordinal));

        // Closing the resumed session removes the ephemeral.
        await kazoo.SendLineAsync("close");
        await kazoo.WaitForLineAsync(l => l == "CLOSED", StartTimeout, "kazoo to close the session");
        await LocalCluster.WaitForAsync(async () => (ErrorCode?)(await observer.ExistsAsync(path)).Error,
            e => e == ErrorCode.NoNode, TimeSpan.FromSeconds(5), "the closed session's ephemeral to go");
        await observer.CloseSessionAsync();
        logs.Pass();
    }

    /// <summary>
    /// A client resumed its session on node B, leaving a connection to node A behind, still open. Node A
    /// must no longer act for the session. What that guarantees, exactly: the old connection is closed
    /// without answering, and a write sent on it is never applied. Timing decides which way node A learns
    /// it, and both end the same. If A applies B's MoveSession first, it closes the old connection at
    /// once, and the write is dropped unread. If the write reaches A first, A proposes it; the move was
    /// committed before B answered the resume, so the write lands after it in the log and apply fences
    /// it with SessionMoved; A then closes the connection without a reply, as ZooKeeper does (it never
    /// sends SessionMoved to a client: the client reconnects and takes its session back).
    /// </summary>
    [Fact]
    public async Task A_session_resumed_on_another_node_fences_the_connection_it_left()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        ulong nodeA = fixture.Follower;
        ulong nodeB = fixture.Cluster.Ids.First(id => id != fixture.Leader && id != nodeA);
        string path = $"{Root}/moved-{Guid.NewGuid():N}";

        using var left = await fixture.ConnectAsync(nodeA);
        Assert.Equal(ErrorCode.Ok, (await left.CreateAsync(path, "before"u8.ToArray())).Error);
        Assert.Equal(ErrorCode.Ok, (await left.CreateAsync(path + "-e", [], CreateMode.Ephemeral)).Error);

        using var resumed = await RawZooKeeperClient.ConnectAsync(fixture.Address(nodeB), sessionId: left.SessionId, password: left.Password);
        Assert.Equal(left.SessionId, resumed.SessionId);

        try
        {
            await left.SendAsync(OpCode.SetData, new SetDataRequest(path, "stale"u8.ToArray(), -1));
        }
        catch (IOException)
        {
            // Node A had already closed the connection.
        }
        Assert.Empty(await left.ReadUntilClosedAsync());

        // Through node B, the stale write never happened, and the session goes on as before.
        Assert.Equal(ErrorCode.Ok, await resumed.SyncAsync(path));
        var (error, data, stat) = await resumed.GetDataAsync(path);
        Assert.Equal(ErrorCode.Ok, error);
        Assert.Equal("before"u8.ToArray(), data);
        Assert.Equal(0, stat.Version);
        var (ephemeralError, ephemeral) = await resumed.ExistsAsync(path + "-e");
        Assert.Equal(ErrorCode.Ok, ephemeralError);
        Assert.Equal(left.SessionId, ephemeral.EphemeralOwner);
        Assert.Equal(ErrorCode.Ok, (await resumed.SetDataAsync(path, "after"u8.ToArray(), 0)).Error);

        // Node A saw the move too: another client there reads what the session wrote through B.
        using var observer = await fixture.ConnectAsync(nodeA);
        Assert.Equal(ErrorCode.Ok, await observer.SyncAsync(path));
        var (_, seen, seenStat) = await observer.GetDataAsync(path);
        Assert.Equal("after"u8.ToArray(), seen);
        Assert.Equal(1, seenStat.Version);
        await observer.CloseSessionAsync();
        await resumed.CloseSessionAsync();
        await fixture.AssertServesAsync(nodeA);
        logs.Pass();
    }

    private PythonScript StartOwner(ulong node, string root, int timeoutSeconds) =>
        PythonScript.Start("owner.py", "--hosts", fixture.Address(node), "--root", root, "--count", "3",
            "--timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture));

    private static async Task<(long Session, string[] Paths)> ReadyAsync(PythonScript owner)
    {
        var fields = (await owner.WaitForLineAsync(l => l.StartsWith("READY ", StringComparison.Ordinal), StartTimeout, "the owner to create its ephemerals")).Split(' ');
        return (long.Parse(fields[1], CultureInfo.InvariantCulture), fields[2..]);
    }

    private static async Task<int> CountExistingAsync(RawZooKeeperClient client, IEnumerable<string> paths)
    {
        int count = 0;
        foreach (var path in paths)
        {
            if ((await client.ExistsAsync(path)).Error == ErrorCode.Ok)
            {
                count++;
            }
        }
        return count;
    }
}
