using System.Diagnostics;
using System.Globalization;
using System.Text;
using Colony.Coordination;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// kill -9 of the leader, then of a follower, under a write load from real kazoo clients: the clients
/// reconnect to another node within their session timeout and keep their sessions, no acknowledged
/// write is lost, and the ephemerals of the live sessions survive.
/// </summary>
public sealed class ZooKeeperFaultTests(ITestOutputHelper output)
{
    private const int Clients = 6;
    private const double SessionTimeoutSeconds = 8;
    private const string Root = "/faults";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Killing_the_leader_then_a_follower_under_load_loses_no_acknowledged_write_nor_a_live_session()
    {
        await using var cluster = new LocalCluster(3, coordination: new Dictionary<string, object> { ["TickTimeMs"] = 500 });
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
        var ids = cluster.Ids.ToArray();
        await cluster.WaitForLeaderAsync();

        // Client i starts on node ids[i % 3] (the script does not shuffle the list it is given).
        await using var load = PythonScript.Start("load.py", "--hosts", cluster.ConnectString, "--root", Root,
            "--clients", Clients.ToString(CultureInfo.InvariantCulture), "--timeout", SessionTimeoutSeconds.ToString(CultureInfo.InvariantCulture));
        await load.WaitForOutputAsync(lines => Ephemerals(lines).Count == Clients, Bound, "every client's ephemeral");
        await WaitForProgressAsync(load, "the load to start");

        // 1. The leader dies.
        ulong leader = await cluster.WaitForLeaderAsync();
        var clock = Stopwatch.StartNew();
        cluster.Kill(leader);
        var survivors = ids.Where(id => id != leader).ToList();
        ulong next = await cluster.WaitForLeaderAsync(survivors, excluding: leader);
        output.WriteLine($"leader {leader} killed; node {next} leads after {clock.ElapsedMilliseconds} ms");
        await WaitForProgressAsync(load, "every client to write again after the leader's death");
        output.WriteLine($"every client wrote again {clock.ElapsedMilliseconds} ms after the kill");

        // 2. It comes back and catches up, so that a quorum remains when a follower dies.
        cluster.Start(leader);
        await WaitCaughtUpAsync(cluster, leader, next);
        ulong follower = survivors.First(id => id != next);
        clock.Restart();
        cluster.Kill(follower);
        output.WriteLine($"follower {follower} killed");
        await WaitForProgressAsync(load, "every client to write again after the follower's death");
        output.WriteLine($"every client wrote again {clock.ElapsedMilliseconds} ms after the kill");
        cluster.Start(follower);
        ulong finalLeader = await cluster.WaitForLeaderAsync();
        await WaitCaughtUpAsync(cluster, follower, finalLeader);

        // 3. Stop writing; every client reports the session it holds now.
        await load.SendLineAsync("pause");
        await load.WaitForLineAsync(l => l == "PAUSED", Bound, "the load to pause");
        var lines = load.Output;
        var ephemerals = Ephemerals(lines);
        var acks = lines.Where(l => l.StartsWith("ACK ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
        int unknown = lines.Count(l => l.StartsWith("UNKNOWN ", StringComparison.Ordinal));
        output.WriteLine($"{acks.Count} acknowledged writes, {unknown} with unknown outcome");
        foreach (var line in lines.Where(l => l.StartsWith("STATE ", StringComparison.Ordinal) || l.StartsWith("FINAL ", StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }

        // No client lost its session; each reconnected within its session timeout and kept its id.
        Assert.DoesNotContain(lines, l => l.StartsWith("STATE ", StringComparison.Ordinal) && l.Split(' ')[2] == "LOST");
        foreach (var final in lines.Where(l => l.StartsWith("FINAL ", StringComparison.Ordinal)).Select(l => l.Split(' ')))
        {
            int client = int.Parse(final[1], CultureInfo.InvariantCulture);
            Assert.Equal(ephemerals[client].Session, long.Parse(final[2], CultureInfo.InvariantCulture));
            Assert.Equal("CONNECTED", final[3]);
        }
        Assert.Equal(Clients, lines.Count(l => l.StartsWith("FINAL ", StringComparison.Ordinal)));
        var leaderIndex = Array.IndexOf(ids, leader);
        for (int client = 0; client < Clients; client++)
        {
            var states = lines.Select(l => l.Split(' ')).Where(f => f[0] == "STATE" && f[1] == client.ToString(CultureInfo.InvariantCulture)).ToList();
            if (client % ids.Length == leaderIndex)
            {
                Assert.Contains(states, f => f[2] == "SUSPENDED"); // it was on the killed leader
            }
            for (int i = 0; i < states.Count; i++)
            {
                if (states[i][2] != "SUSPENDED")
                {
                    continue;
                }
                var back = states.Skip(i + 1).FirstOrDefault(f => f[2] == "CONNECTED");
                Assert.True(back is not null, $"client {client} never reconnected after {string.Join(' ', states[i])}");
                double away = double.Parse(back![3], CultureInfo.InvariantCulture) - double.Parse(states[i][3], CultureInfo.InvariantCulture);
                Assert.True(away < SessionTimeoutSeconds, $"client {client} was disconnected for {away:0.0} s");
            }
        }

        // A fresh client on every node sees every acknowledged write and every live ephemeral, owned
        // by the session that created it; nothing exists that no client tried to write.
        var attempted = lines.Where(l => l.StartsWith("ACK ", StringComparison.Ordinal) || l.StartsWith("UNKNOWN ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')).Select(f => $"{Root}/w-{f[1]}-{int.Parse(f[2], CultureInfo.InvariantCulture):D6}").ToHashSet(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            using var client = await RawZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(id));
            Assert.Equal(ErrorCode.Ok, await client.SyncAsync(Root));
            foreach (var ack in acks)
            {
                var (error, data, _) = await client.GetDataAsync(ack[3]);
                Assert.True(error == ErrorCode.Ok, $"node {id}: acknowledged write {ack[3]} reads as {error}");
                Assert.Equal(ack[2], Encoding.UTF8.GetString(data!));
            }
            foreach (var (_, (path, session)) in ephemerals)
            {
                var (error, stat) = await client.ExistsAsync(path);
                Assert.True(error == ErrorCode.Ok, $"node {id}: the live ephemeral {path} reads as {error}");
                Assert.Equal(session, stat.EphemeralOwner);
            }
            var (childrenError, children) = await client.GetChildrenAsync(Root);
            Assert.Equal(ErrorCode.Ok, childrenError);
            var phantoms = children.Where(c => c.StartsWith("w-", StringComparison.Ordinal)).Select(c => $"{Root}/{c}").Where(p => !attempted.Contains(p)).ToList();
            Assert.True(phantoms.Count == 0, $"node {id} holds writes no client made: {string.Join(", ", phantoms)}");
            await client.CloseSessionAsync();
        }

        // Closing the sessions removes their ephemerals.
        await load.SendLineAsync("stop");
        await load.WaitForLineAsync(l => l == "STOPPED", Bound, "the load to stop");
        Assert.Equal(0, await load.WaitForExitAsync(Bound));
        using (var client = await RawZooKeeperClient.ConnectAsync(cluster.ZooKeeperAddress(finalLeader)))
        {
            var (_, children) = await client.GetChildrenAsync(Root);
            Assert.DoesNotContain(children, c => c.StartsWith("live-", StringComparison.Ordinal));
            await client.CloseSessionAsync();
        }
        logs.Pass();
    }

    /// <summary>client index → its ephemeral's path and the session that owns it, from the EPHEMERAL lines.</summary>
    private static Dictionary<int, (string Path, long Session)> Ephemerals(IEnumerable<string> lines) =>
        lines.Where(l => l.StartsWith("EPHEMERAL ", StringComparison.Ordinal)).Select(l => l.Split(' '))
            .ToDictionary(f => int.Parse(f[1], CultureInfo.InvariantCulture), f => (f[2], long.Parse(f[3], CultureInfo.InvariantCulture)));

    private static Dictionary<int, int> AckCounts(IEnumerable<string> lines)
    {
        var counts = Enumerable.Range(0, Clients).ToDictionary(c => c, _ => 0);
        foreach (var fields in lines.Where(l => l.StartsWith("ACK ", StringComparison.Ordinal)).Select(l => l.Split(' ')))
        {
            counts[int.Parse(fields[1], CultureInfo.InvariantCulture)]++;
        }
        return counts;
    }

    /// <summary>Waits until every client has had at least three more writes acknowledged.</summary>
    private static async Task WaitForProgressAsync(PythonScript load, string what)
    {
        var before = AckCounts(load.Output);
        await load.WaitForOutputAsync(lines =>
        {
            var now = AckCounts(lines);
            return now.All(c => c.Value >= before[c.Key] + 3);
        }, Bound, what);
    }

    private static async Task WaitCaughtUpAsync(LocalCluster cluster, ulong node, ulong leader)
    {
        var leaderStatus = await LocalCluster.WaitForAsync(() => cluster.StatusAsync(leader), s => s.Role == "leader", Bound, $"node {leader} to lead");
        await LocalCluster.WaitForAsync(() => cluster.StatusAsync(node), s => s.Healthy && s.Applied >= leaderStatus.Commit, Bound, $"node {node} to catch up");
    }
}
