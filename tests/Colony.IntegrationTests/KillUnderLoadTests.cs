using System.Diagnostics;
using Colony.Testing.Linearizability;
using Xunit.Abstractions;

namespace Colony.IntegrationTests;

/// <summary>
/// Concurrent clients write and read a few keys while a nemesis SIGKILLs and restarts random nodes;
/// the real history, with unknown outcomes as pending operations, must be linearizable, and nothing
/// acknowledged may be lost across a final restart of the whole cluster.
/// </summary>
public class KillUnderLoadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(60);
    private const int Clients = 4;
    private static readonly string[] Keys = ["a", "b", "c", "d", "e"];

    [Fact]
    public async Task Kill_9_under_load_keeps_the_history_linearizable_and_loses_no_acknowledged_write()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 80);
        var ids = cluster.Ids.ToArray();
        await cluster.WaitForLeaderAsync();

        var recorder = new HistoryRecorder<KeyValueInput, string?>();
        var written = new HashSet<string>(StringComparer.Ordinal);
        var counts = new Counts();
        using var client = new KeyValueClient(TimeSpan.FromSeconds(10), cluster.ClusterToken);
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");

        var load = Stopwatch.StartNew();
        var nemesis = RunNemesisAsync(cluster, ids, new Random(seed), load);
        var clients = Enumerable.Range(1, Clients)
            .Select(c => RunClientAsync(c, cluster, ids, client, recorder, written, counts, new Random(seed + c), load))
            .ToArray();
        await Task.WhenAll(clients);
        var faults = await nemesis;

        output.WriteLine($"load: {load.Elapsed.TotalSeconds:0.0} s, {faults.Kills} kills ({faults.LeaderKills} of the leader), failover after a leader kill: {Describe(faults.FailoverMs)}");
        output.WriteLine($"puts: {counts.PutsOk} acknowledged, {counts.PutsPending} unknown outcome, {counts.PutsRedirected} redirected (not proposed); gets: {counts.GetsOk} answered, {counts.GetsFailed} failed (dropped)");
        Assert.Equal(0, counts.Unexpected);
        Assert.True(counts.PutsOk > 100, $"only {counts.PutsOk} writes were acknowledged: the cluster made too little progress to test anything");
        Assert.True(faults.Kills >= 5, $"only {faults.Kills} kills");

        var history = Snapshot(recorder);
        CheckLinearizable(history, "the history under kill -9");

        // Read every key back, restart the whole cluster from disk, and read them again.
        var before = await ReadAllAsync(cluster, client, recorder, clientId: 100);
        foreach (var id in ids)
        {
            cluster.Kill(id);
        }
        foreach (var id in ids)
        {
            cluster.Start(id);
        }
        var after = await ReadAllAsync(cluster, client, recorder, clientId: 101);
        foreach (var key in Keys)
        {
            output.WriteLine($"key {key}: {before[key] ?? "(none)"} before the full restart, {after[key] ?? "(none)"} after");
            Assert.Equal(before[key], after[key]);
            Assert.True(after[key] is null || written.Contains(after[key]!), $"key {key} holds {after[key]}, which no client wrote");
        }
        var whole = Snapshot(recorder);
        CheckLinearizable(whole, "the history with the reads after the full restart");

        // The check has teeth: the same history with one stale read appended (an acknowledged value of a
        // key that was overwritten before the final reads) must be found illegal.
        var stale = whole.First(o => !o.IsPending && o.Input.Kind == KeyValueOperationKind.Put && o.Input.Value != after[o.Input.Key]);
        long end = whole.Where(o => !o.IsPending).Max(o => o.ReturnTime) + 1;
        var doctored = whole.Append(KeyValueModel.Get(102, stale.Input.Key, stale.Input.Value, end, end + 1)).ToList();
        var verdict = LinearizabilityChecker.Check(KeyValueModel.Instance, doctored, new CheckBudget { MaxStepsPerPartition = 20_000_000 });
        Assert.Equal(LinearizabilityOutcome.Illegal, verdict.Outcome);
        logs.Pass();
    }

    private async Task RunClientAsync(
        int clientId, LocalCluster cluster, ulong[] ids, KeyValueClient client,
        HistoryRecorder<KeyValueInput, string?> recorder, HashSet<string> written, Counts counts, Random random, Stopwatch load)
    {
        await Task.Yield();
        ulong target = ids[random.Next(ids.Length)];
        int sequence = 0;
        while (load.Elapsed < LoadDuration)
        {
            string key = Keys[random.Next(Keys.Length)];
            bool failed;
            if (random.Next(2) == 0)
            {
                string value = $"c{clientId}-{sequence++}";
                lock (written)
                {
                    written.Add(value);
                }
                int operation = Invoke(recorder, clientId, KeyValueInput.Put(key, value));
                var reply = await client.PutAsync(cluster.HttpAddress(target), key, value);
                failed = reply.Kind != ReplyKind.Ok;
                switch (reply.Kind)
                {
                    case ReplyKind.Ok:
                        Complete(recorder, operation, null);
                        Interlocked.Increment(ref counts.PutsOk);
                        break;
                    case ReplyKind.NotLeader:
                        // Refused before it was proposed: certainly no effect.
                        lock (recorder)
                        {
                            recorder.Discard(operation);
                        }
                        Interlocked.Increment(ref counts.PutsRedirected);
                        ulong leader = cluster.IdOf(reply.Leader);
                        if (leader != 0)
                        {
                            target = leader;
                            failed = false;
                        }
                        break;
                    case ReplyKind.Unexpected:
                        Interlocked.Increment(ref counts.Unexpected);
                        Interlocked.Increment(ref counts.PutsPending);
                        break;
                    default:
                        // 503 or no answer: it may or may not take effect, so it stays pending.
                        Interlocked.Increment(ref counts.PutsPending);
                        break;
                }
            }
            else
            {
                // Reads go to any node half the time: followers serve them through ReadIndex.
                ulong node = random.Next(2) == 0 ? target : ids[random.Next(ids.Length)];
                int operation = Invoke(recorder, clientId, KeyValueInput.Get(key));
                var reply = await client.GetAsync(cluster.HttpAddress(node), key);
                failed = reply.Kind is not (ReplyKind.Ok or ReplyKind.NotFound);
                if (!failed)
                {
                    Complete(recorder, operation, reply.Kind == ReplyKind.Ok ? reply.Value : null);
                    Interlocked.Increment(ref counts.GetsOk);
                }
                else
                {
                    // A read that failed changed nothing.
                    lock (recorder)
                    {
                        recorder.Discard(operation);
                    }
                    Interlocked.Increment(ref counts.GetsFailed);
                    if (reply.Kind == ReplyKind.Unexpected)
                    {
                        Interlocked.Increment(ref counts.Unexpected);
                    }
                }
            }
            if (failed)
            {
                // Try another node after a short client back-off, so a client does not spin while there is no leader.
                target = ids[random.Next(ids.Length)];
                await Task.Delay(20);
            }
        }
    }

    private static async Task<Faults> RunNemesisAsync(LocalCluster cluster, ulong[] ids, Random random, Stopwatch load)
    {
        await Task.Yield();
        var faults = new Faults();
        // Leave the last seconds of the load without faults, so that the clients finish on a whole cluster.
        while (load.Elapsed < LoadDuration - TimeSpan.FromSeconds(4))
        {
            // The fault schedule: a kill every 2–4 s.
            await Task.Delay(random.Next(2000, 4000));
            ulong victim = ids[random.Next(ids.Length)];
            var status = await cluster.StatusAsync(victim);
            bool wasLeader = status?.Role == "leader";
            var clock = Stopwatch.StartNew();
            cluster.Kill(victim);
            faults.Kills++;
            if (wasLeader)
            {
                faults.LeaderKills++;
                await cluster.WaitForLeaderAsync(ids.Where(id => id != victim), excluding: victim);
                faults.FailoverMs.Add(clock.ElapsedMilliseconds);
            }
            else
            {
                // A follower stays down for a random while: the fault schedule, not a wait for anything.
                await Task.Delay(random.Next(0, 1500));
            }
            cluster.Start(victim);
            await LocalCluster.WaitForAsync(() => cluster.StatusAsync(victim), _ => true, TimeSpan.FromSeconds(60), $"node {victim} to answer after its restart");
        }
        return faults;
    }

    /// <summary>Reads every key through the leader until each read gets an answer; the reads join the history.</summary>
    private static async Task<Dictionary<string, string?>> ReadAllAsync(
        LocalCluster cluster, KeyValueClient client, HistoryRecorder<KeyValueInput, string?> recorder, int clientId)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in Keys)
        {
            var deadline = Stopwatch.StartNew();
            while (!values.ContainsKey(key))
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"no node answered a read of {key} within 60 s");
                }
                ulong leader = await cluster.WaitForLeaderAsync();
                int operation = Invoke(recorder, clientId, KeyValueInput.Get(key));
                var reply = await client.GetAsync(cluster.HttpAddress(leader), key);
                if (reply.Kind is ReplyKind.Ok or ReplyKind.NotFound)
                {
                    string? value = reply.Kind == ReplyKind.Ok ? reply.Value : null;
                    Complete(recorder, operation, value);
                    values[key] = value;
                }
                else
                {
                    lock (recorder)
                    {
                        recorder.Discard(operation);
                    }
                }
            }
        }
        return values;
    }

    /// <summary>
    /// Checks with a budget that grows until the checker decides; fails if it still cannot, since an
    /// undecided check proves nothing.
    /// </summary>
    private void CheckLinearizable(IReadOnlyList<Operation<KeyValueInput, string?>> history, string what)
    {
        var clock = Stopwatch.StartNew();
        LinearizabilityResult<KeyValueInput, string?>? result = null;
        foreach (long steps in new[] { 1_000_000L, 20_000_000L, 200_000_000L })
        {
            result = LinearizabilityChecker.Check(KeyValueModel.Instance, history, new CheckBudget { MaxStepsPerPartition = steps });
            if (result.Outcome != LinearizabilityOutcome.Unknown)
            {
                break;
            }
        }
        int pending = history.Count(o => o.IsPending);
        output.WriteLine($"{what}: {history.Count} operations ({pending} pending) over {Keys.Length} keys, {result!.Steps} search steps, {clock.ElapsedMilliseconds} ms: {result.Outcome}");
        Assert.True(result.IsOk, $"{what} is not shown linearizable: {result.Explanation}");
    }

    private static IReadOnlyList<Operation<KeyValueInput, string?>> Snapshot(HistoryRecorder<KeyValueInput, string?> recorder)
    {
        lock (recorder)
        {
            return recorder.ToHistory();
        }
    }

    private static int Invoke(HistoryRecorder<KeyValueInput, string?> recorder, int clientId, KeyValueInput input)
    {
        lock (recorder)
        {
            return recorder.Invoke(clientId, input, Stopwatch.GetTimestamp());
        }
    }

    private static void Complete(HistoryRecorder<KeyValueInput, string?> recorder, int operation, string? output)
    {
        lock (recorder)
        {
            recorder.Complete(operation, output, Stopwatch.GetTimestamp());
        }
    }

    private static string Describe(List<long> milliseconds) =>
        milliseconds.Count == 0 ? "n/a" : $"{string.Join(", ", milliseconds)} ms (max {milliseconds.Max()} ms)";

    private sealed class Counts
    {
        public int PutsOk;
        public int PutsPending;
        public int PutsRedirected;
        public int GetsOk;
        public int GetsFailed;
        public int Unexpected;
    }

    private sealed class Faults
    {
        public int Kills;
        public int LeaderKills;
        public List<long> FailoverMs { get; } = [];
    }
}
