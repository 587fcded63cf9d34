using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Xunit.Abstractions;

namespace Colony.IntegrationTests;

/// <summary>Grow a live cluster from 3 to 5 voters and shrink it back to 3, removing the leader, while a client writes.</summary>
public class MembershipTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Grow_from_3_to_5_and_shrink_back_to_3_removing_the_leader_while_writing()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
        using var client = new KeyValueClient(TimeSpan.FromSeconds(10), cluster.ClusterToken);
        await cluster.WaitForLeaderAsync();
        var writer = new BackgroundWriter(client, [.. cluster.Ids.Select(cluster.HttpAddress)]);
        var writing = writer.RunAsync();
        var total = Stopwatch.StartNew();

        // Grow: each new node starts with Join, is added as a learner, catches up, then becomes a voter.
        foreach (var _ in Enumerable.Range(0, 2))
        {
            ulong joined = cluster.StartJoiningNode();
            writer.Nodes = [.. cluster.Ids.Select(cluster.HttpAddress)];
            int before = writer.Acknowledged.Count;
            await ChangeAsync(cluster, client, joined, "learner",
                s => s.Learners.Contains(joined), $"node {joined} to be added as a learner");
            var learner = await LocalCluster.WaitForAsync(() => cluster.StatusAsync(joined),
                s => s.Role == "learner" && s.Leader != 0, StepTimeout, $"node {joined} to follow the leader as a learner");
            ulong leaderCommit = (await cluster.StatusAsync(learner.Leader))?.Commit ?? 0;
            await LocalCluster.WaitForAsync(() => cluster.StatusAsync(joined),
                s => s.Applied >= leaderCommit, StepTimeout, $"learner {joined} to catch up to {leaderCommit}");
            await ChangeAsync(cluster, client, joined, "voter",
                s => s.Voters.Contains(joined) && !s.Learners.Contains(joined), $"node {joined} to be promoted to voter");
            output.WriteLine($"node {joined} joined as learner and became a voter; {writer.Acknowledged.Count - before} writes acknowledged meanwhile");
        }
        var five = cluster.Ids.Order().ToArray();
        Assert.Equal(5, five.Length);
        await WaitForAgreementAsync(cluster, five);

        // Shrink: remove a node that does not lead, then the leader itself.
        ulong leader = await cluster.WaitForLeaderAsync();
        ulong follower = five.First(id => id != leader && id <= 3);
        int beforeShrink = writer.Acknowledged.Count;
        string followerAnswers = await RemoveAsync(cluster, client, follower);
        cluster.Retire(follower);
        writer.Nodes = [.. cluster.Ids.Select(cluster.HttpAddress)];

        leader = await cluster.WaitForLeaderAsync();
        var clock = Stopwatch.StartNew();
        string leaderAnswers = await RemoveAsync(cluster, client, leader);
        var remaining = cluster.Ids.Where(id => id != leader).Order().ToArray();
        ulong successor = await cluster.WaitForLeaderAsync(remaining, excluding: leader);
        output.WriteLine($"removed follower {follower}, then leader {leader}; node {successor} leads {clock.ElapsedMilliseconds} ms after the leader's removal was requested (answers: follower removal {followerAnswers}; leader removal {leaderAnswers})");
        cluster.Retire(leader);
        writer.Nodes = [.. remaining.Select(cluster.HttpAddress)];

        // A write after the shrink must commit on the three that are left.
        int afterShrink = writer.Acknowledged.Count;
        await LocalCluster.WaitForAsync(() => Task.FromResult<int?>(writer.Acknowledged.Count), n => n > afterShrink + 10,
            StepTimeout, "writes to commit on the shrunk cluster");
        writer.Stop();
        await writing;
        output.WriteLine($"{writer.Acknowledged.Count} writes acknowledged in {total.Elapsed.TotalSeconds:0.0} s ({writer.Acknowledged.Count - beforeShrink} during and after the shrink), {writer.Retries} retries");

        Assert.Equal(remaining, cluster.Ids.Order().ToArray());
        var agreed = await WaitForAgreementAsync(cluster, remaining);
        output.WriteLine($"remaining nodes {string.Join(", ", remaining)} agree on leader {agreed}");

        // Every acknowledged write reads back, through the leader and through each follower.
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(writer.Acknowledged.Select((write, i) => (write, i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, _) =>
        {
            var node = remaining[item.i % remaining.Length];
            var read = await ReadAsync(cluster, client, node, item.write.Key);
            if (read != item.write.Value)
            {
                missing.Add($"{item.write.Key} = {item.write.Value} read {read ?? "nothing"} on node {node}");
            }
        });
        Assert.True(missing.IsEmpty, $"{missing.Count} acknowledged writes did not read back: {string.Join("; ", missing.Take(10))}");
        logs.Pass();
    }

    /// <summary>Asks the leader for a membership change until <paramref name="done"/> holds on the leader.</summary>
    private async Task ChangeAsync(LocalCluster cluster, KeyValueClient client, ulong id, string role, Func<Colony.Node.Hosting.NodeStatus, bool> done, string what)
    {
        var deadline = Stopwatch.StartNew();
        var answers = new List<int>();
        while (deadline.Elapsed < StepTimeout)
        {
            ulong leader = await cluster.WaitForLeaderAsync();
            var status = await cluster.StatusAsync(leader);
            if (status is not null && status.Role == "leader" && done(status))
            {
                return;
            }
            var request = new HttpRequestMessage(HttpMethod.Post, $"{cluster.HttpAddress(leader)}/cluster/members")
            {
                Content = JsonContent.Create(new { id, peer = cluster.PeerAddress(id), http = cluster.HttpAddress(id), role }),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Convert.ToBase64String(cluster.Secret));
            var (code, _) = await client.SendAsync(request);
            answers.Add(code);
            if (code != 204)
            {
                // Not committed (another change in flight, a learner not caught up, a leader change): retry after a client back-off.
                await Task.Delay(200);
            }
        }
        throw new TimeoutException($"timed out waiting for {what}; answers: {string.Join(", ", answers)}");
    }

    /// <summary>Removes <paramref name="id"/> through the leader until the leader of the others no longer lists it.</summary>
    private async Task<string> RemoveAsync(LocalCluster cluster, KeyValueClient client, ulong id)
    {
        var others = cluster.Ids.Where(o => o != id).ToArray();
        var deadline = Stopwatch.StartNew();
        var answers = new List<int>();
        while (deadline.Elapsed < StepTimeout)
        {
            ulong leader = await cluster.WaitForLeaderAsync();
            var statuses = await Task.WhenAll(others.Select(cluster.StatusAsync));
            if (statuses.Any(s => s is not null && s.Role == "leader" && !s.Voters.Contains(id) && !s.Learners.Contains(id)))
            {
                return string.Join(", ", answers);
            }
            using var removal = new HttpRequestMessage(HttpMethod.Delete, $"{cluster.HttpAddress(leader)}/cluster/members/{id}");
            removal.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Convert.ToBase64String(cluster.Secret));
            var (code, _) = await client.SendAsync(removal);
            answers.Add(code);
            if (code == 204 && leader != id)
            {
                continue;
            }
            if (code == 204)
            {
                // The leader removed itself: the others must elect a leader that no longer lists it.
                await LocalCluster.WaitForAsync(
                    async () => (await Task.WhenAll(others.Select(cluster.StatusAsync))).FirstOrDefault(s => s?.Role == "leader"),
                    s => !s.Voters.Contains(id) && !s.Learners.Contains(id), StepTimeout, $"a leader without node {id}");
                return string.Join(", ", answers);
            }
            await Task.Delay(200); // client back-off before retrying a change that did not commit
        }
        throw new TimeoutException($"timed out removing node {id}; answers: {string.Join(", ", answers)}");
    }

    /// <summary>Waits until every node in <paramref name="ids"/> names the same leader and term and lists exactly <paramref name="ids"/> as voters.</summary>
    private static async Task<ulong> WaitForAgreementAsync(LocalCluster cluster, ulong[] ids)
    {
        var all = await LocalCluster.WaitForAsync(
            async () =>
            {
                var statuses = await Task.WhenAll(ids.Select(cluster.StatusAsync));
                return statuses.Any(s => s is null) ? null : statuses.Select(s => s!).ToArray();
            },
            statuses => statuses.All(s => s.Leader != 0 && s.Leader == statuses[0].Leader && s.Term == statuses[0].Term
                && s.Voters.Order().SequenceEqual(ids) && s.Learners.Count == 0)
                && statuses.Count(s => s.Role == "leader") == 1,
            StepTimeout, $"nodes {string.Join(", ", ids)} to agree on a leader and on voters {string.Join(", ", ids)}");
        return all[0].Leader;
    }

    private static async Task<string?> ReadAsync(LocalCluster cluster, KeyValueClient client, ulong node, string key)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var reply = await client.GetAsync(cluster.HttpAddress(node), key);
            if (reply.Kind is ReplyKind.Ok or ReplyKind.NotFound)
            {
                return reply.Value;
            }
            if (deadline.Elapsed > StepTimeout)
            {
                throw new TimeoutException($"node {node} did not answer a read of {key}: {reply}");
            }
            await Task.Delay(100); // client back-off before retrying a read that got no answer
        }
    }

    /// <summary>Writes unique keys one after another, through whichever node leads, until stopped.</summary>
    private sealed class BackgroundWriter(KeyValueClient client, string[] nodes)
    {
        private readonly CancellationTokenSource _stop = new();
        private volatile string[] _nodes = nodes;
        private readonly Random _random = new();

        public string[] Nodes { set => _nodes = value; }

        /// <summary>Acknowledged writes, in order. Read while running only for counts.</summary>
        public ConcurrentQueue<(string Key, string Value)> Acknowledged { get; } = new();

        public int Retries;

        public void Stop() => _stop.Cancel();

        public async Task RunAsync()
        {
            await Task.Yield();
            string target = _nodes[0];
            for (int n = 0; !_stop.IsCancellationRequested; n++)
            {
                string key = $"w{n}";
                string value = $"v{n}";
                while (!_stop.IsCancellationRequested)
                {
                    var reply = await client.PutAsync(target, key, value);
                    if (reply.Kind == ReplyKind.Ok)
                    {
                        Acknowledged.Enqueue((key, value));
                        break;
                    }
                    Interlocked.Increment(ref Retries);
                    var nodes = _nodes;
                    if (reply.Kind == ReplyKind.NotLeader && reply.Leader is { } leader && nodes.Contains(leader))
                    {
                        target = leader;
                    }
                    else
                    {
                        target = nodes[_random.Next(nodes.Length)];
                        await Task.Delay(50); // client back-off while there is no leader to write to
                    }
                }
            }
        }
    }
}
