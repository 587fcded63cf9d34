using System.Diagnostics;
using System.Globalization;
using Colony.Client;
using Colony.Client.Recipes;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Recipes;

/// <summary>
/// Five `colony elect` contenders take turns leading while a nemesis kills cluster nodes with
/// SIGKILL and restarts them. Each leader records when it started and stopped believing it leads,
/// with its token: the intervals never overlap, the tokens grow, and an observer sees every leader.
/// </summary>
public class ElectionTests(ITestOutputHelper output)
{
    private const int Contenders = 5;
    private static readonly TimeSpan Churn = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    /// <summary>A leader's term: record the start, lead for a while, record the end (also when told to stop).</summary>
    private const string Lead =
        """now() { date +%s%N; }; echo "start $NAME $COLONY_FENCING_TOKEN $(now)" >> log; trap 'echo "end $NAME $COLONY_FENCING_TOKEN $(now)" >> log; exit 0' TERM; i=0; while [ $i -lt 15 ]; do sleep 0.1; i=$((i+1)); done; echo "end $NAME $COLONY_FENCING_TOKEN $(now)" >> log""";

    [Fact]
    public async Task Contenders_lead_one_at_a_time_with_growing_tokens_while_nodes_are_killed_and_every_leader_is_observed()
    {
        await using var cluster = new LocalCluster(3, coordination: new Dictionary<string, object> { ["TickTimeMs"] = RecipeCluster.TickTimeMs });
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 40);
        await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync();
        using var work = new Workspace();

        await using var observerClient = await ZooKeeperClient.ConnectAsync(cluster.ConnectString, new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(30), SessionTimeout = TimeSpan.FromSeconds(10) });
        using var stop = new CancellationTokenSource();
        var observed = new List<string>();
        var observer = ObserveAsync(new LeaderElection(observerClient, "/election"), observed, stop.Token);

        var exits = new List<int>();
        var contenders = Enumerable.Range(1, Contenders).Select(n => ContendAsync(cluster, work, $"c{n}", exits, stop.Token)).ToList();
        int kills = await RunNemesisAsync(cluster, new Random(Environment.TickCount));
        stop.Cancel();
        await Task.WhenAll(contenders);
        // The observer needs a moment to see the last leader's node go; it ends on cancellation anyway.
        await observer;

        var terms = Terms(work.Lines("log"));
        output.WriteLine($"{kills} node kills, {terms.Count} terms; exit codes before the stop: {string.Join(' ', exits)}");
        foreach (var term in terms)
        {
            output.WriteLine($"{term.Name} token {term.Token}: {term.Start} – {term.End}");
        }
        output.WriteLine($"observed: {string.Join(' ', observed)}");

        Assert.True(terms.Count >= 5, $"only {terms.Count} terms: too little churn to test anything");
        Assert.True(kills >= 3, $"only {kills} node kills");
        Assert.All(exits, code => Assert.True(code is 0 or 76, $"a contender exited {code}"));
        for (int i = 1; i < terms.Count; i++)
        {
            Assert.True(terms[i].Start >= terms[i - 1].End, $"{terms[i].Name} started leading before {terms[i - 1].Name} stopped");
            Assert.True(terms[i].Token > terms[i - 1].Token, $"{terms[i].Name}'s token {terms[i].Token} is not above {terms[i - 1].Name}'s {terms[i - 1].Token}");
        }
        // An observer sees leaders through watches: one whose whole term fell inside the observer's own
        // reconnection (a node was killed under it) can go unseen, as with any ZooKeeper client. What it
        // sees must be real leaders, in the order they led, and the last one.
        int next = 0;
        foreach (string name in observed)
        {
            while (next < terms.Count && terms[next].Name != name)
            {
                next++;
            }
            Assert.True(next < terms.Count, $"the observer saw {name} lead out of order, or when it never led: {string.Join(' ', observed)}");
            next++;
        }
        Assert.Equal(terms[^1].Name, observed[^1]);
        Assert.True(observed.Count * 2 >= terms.Count, $"the observer saw only {observed.Count} of {terms.Count} terms");
        logs.Pass();
    }

    /// <summary>Campaigns again and again until stopped, each time as a fresh `colony elect` process.</summary>
    private static async Task ContendAsync(LocalCluster cluster, Workspace work, string name, List<int> exits, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await using var elect = ChildProcess.Colony(cluster.ConnectString, work.Directory, new Dictionary<string, string> { ["NAME"] = name },
                "elect", "/election", "--name", name, "--session-timeout", "8", "--", "sh", "-c", Lead);
            Task<int> exit = elect.ExitCodeAsync(Generous);
            try
            {
                await exit.WaitAsync(stop);
            }
            catch (OperationCanceledException)
            {
                // Stopping: a waiting contender goes now (130), a leader ends its term first: SIGTERM
                // to `colony elect` is forwarded to its command (143).
                if (!elect.HasExited)
                {
                    elect.Signal(ChildProcess.SigTerm);
                }
                Assert.Contains(await exit, new[] { 0, 130, 143 });
                return;
            }
            int code = await exit;
            lock (exits)
            {
                exits.Add(code);
            }
        }
    }

    private async Task<int> RunNemesisAsync(LocalCluster cluster, Random random)
    {
        var ids = cluster.Ids.ToArray();
        var churn = Stopwatch.StartNew();
        int kills = 0;
        while (churn.Elapsed < Churn)
        {
            await Task.Delay(TimeSpan.FromSeconds(1 + random.NextDouble() * 2));
            ulong victim = ids[random.Next(ids.Length)];
            cluster.Kill(victim);
            kills++;
            output.WriteLine($"{churn.Elapsed.TotalSeconds:0.0} s: killed node {victim}");
            await Task.Delay(TimeSpan.FromSeconds(1 + random.NextDouble()));
            cluster.Start(victim);
            await cluster.WaitUntilZooKeeperServesAsync(victim);
            await cluster.WaitForLeaderAsync();
        }
        return kills;
    }

    private static async Task ObserveAsync(LeaderElection election, List<string> observed, CancellationToken stop)
    {
        try
        {
            await foreach (Leader? leader in election.ObserveAsync(stop))
            {
                if (leader is not null)
                {
                    observed.Add(leader.Identifier);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private sealed record Term(string Name, long Token, long Start, long End);

    private static List<Term> Terms(string[] log)
    {
        var starts = new Dictionary<long, (string Name, long At)>();
        var terms = new List<Term>();
        foreach (string line in log)
        {
            string[] f = line.Split(' ');
            long token = long.Parse(f[2], CultureInfo.InvariantCulture), at = long.Parse(f[3], CultureInfo.InvariantCulture);
            if (f[0] == "start")
            {
                starts.Add(token, (f[1], at));
            }
            else
            {
                Assert.True(starts.Remove(token, out var start), $"an end without a start: {line}");
                terms.Add(new Term(start.Name, token, start.At, at));
            }
        }
        Assert.Empty(starts);
        return [.. terms.OrderBy(t => t.Start)];
    }
}
