using System.Diagnostics;
using System.Globalization;
using Colony.Client;
using Colony.Client.Recipes;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Recipes;

/// <summary>
/// Five `colony elect` contenders take turns leading while a nemesis kills cluster nodes with
/// SIGKILL and restarts them. Each leader records when it started and stopped believing it leads,
/// with its token: the intervals never overlap, the tokens grow, and an observer sees the leaders in the order they led and catches up with the last.
/// </summary>
public class ElectionTests(ITestOutputHelper output)
{
    private const int Contenders = 5;
    private static readonly TimeSpan Churn = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    /// <summary>
    /// A leader's term: record the start, lead for a while, record the end (also when told to stop). The end
    /// is written once: a TERM that arrives while (or after) the end is being written is ignored, as is a
    /// second TERM while the trap writes it.
    /// </summary>
    private const string Lead =
        """now() { date +%s%N; }; echo "start $NAME $COLONY_FENCING_TOKEN $(now)" >> log; trap 'trap "" TERM; echo "end $NAME $COLONY_FENCING_TOKEN $(now)" >> log; exit 0' TERM; i=0; while [ $i -lt 15 ]; do sleep 0.1; i=$((i+1)); done; trap '' TERM; echo "end $NAME $COLONY_FENCING_TOKEN $(now)" >> log""";

    [Fact]
    public async Task Contenders_lead_one_at_a_time_with_growing_tokens_while_nodes_are_killed_and_every_leader_is_observed()
    {
        await using var cluster = new LocalCluster(3, coordination: new Dictionary<string, object> { ["TickTimeMs"] = RecipeCluster.TickTimeMs });
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 40);
        await cluster.WaitForLeaderAsync();
        await cluster.WaitUntilZooKeeperServesAsync();
        using var work = new Workspace();

        await using var observerClient = await ZooKeeperClient.ConnectAsync(cluster.ConnectString, new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(30), SessionTimeout = TimeSpan.FromSeconds(10) });
        using var stopObserving = new CancellationTokenSource();
        var observed = new Observations();
        var observer = ObserveAsync(new LeaderElection(observerClient, "/election"), observed, stopObserving.Token);

        using var stop = new CancellationTokenSource();
        var exits = new List<int>();
        var contenders = Enumerable.Range(1, Contenders).Select(n => ContendAsync(cluster, work, $"c{n}", exits, stop.Token)).ToList();
        int kills = await RunNemesisAsync(cluster, new Random(Environment.TickCount));

        // The faults are over: the observer must catch up with the leader of the moment. Only then are
        // the contenders stopped, and what the observer saw up to here is checked against the terms. While
        // they stop, a waiter can hold the lowest node for an instant without ever leading (it was told
        // to stop first), so what comes after the stop is not part of the order check.
        string current = await LocalCluster.WaitForAsync(
            () => Task.FromResult(OpenTerm(work) is { } open && observed.Latest == open ? open : null),
            _ => true, Generous, "the observer to see the current leader once the faults stopped");
        var seen = observed.Leaders();
        stop.Cancel();
        await Task.WhenAll(contenders);
        // With every contender gone the observer must report that nobody leads.
        await LocalCluster.WaitForAsync(() => Task.FromResult<object?>(observed.SawNobody ? true : null), _ => true, Generous,
            "the observer to see that nobody leads once every contender stopped");
        stopObserving.Cancel();
        await observer;

        var terms = Terms(work.Lines("log"));
        output.WriteLine($"{kills} node kills, {terms.Count} terms; exit codes before the stop: {string.Join(' ', exits)}");
        foreach (var term in terms)
        {
            output.WriteLine($"{term.Name} token {term.Token}: {term.Start} – {term.End}");
        }
        output.WriteLine($"observed until the stop: {string.Join(' ', seen)} (leading then: {current})");

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
        // sees must be real leaders, in the order they led.
        int next = 0;
        foreach (string name in seen)
        {
            while (next < terms.Count && terms[next].Name != name)
            {
                next++;
            }
            Assert.True(next < terms.Count, $"the observer saw {name} lead out of order, or when it never led: {string.Join(' ', seen)}");
            next++;
        }
        Assert.True(seen.Count * 2 >= terms.Count, $"the observer saw only {seen.Count} of {terms.Count} terms");
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

    private static async Task ObserveAsync(LeaderElection election, Observations observed, CancellationToken stop)
    {
        try
        {
            await foreach (Leader? leader in election.ObserveAsync(stop))
            {
                observed.Add(leader?.Identifier);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>What the observer reported, shared between its loop and the test.</summary>
    private sealed class Observations
    {
        private readonly List<string> _leaders = [];
        private string? _latest;
        private bool _sawNobody;

        public void Add(string? leader)
        {
            lock (_leaders)
            {
                _latest = leader;
                _sawNobody = leader is null;
                if (leader is not null)
                {
                    _leaders.Add(leader);
                }
            }
        }

        public string? Latest { get { lock (_leaders) { return _latest; } } }

        public bool SawNobody { get { lock (_leaders) { return _sawNobody; } } }

        public List<string> Leaders() { lock (_leaders) { return [.. _leaders]; } }
    }

    /// <summary>The contender leading now by the log (a start without its end), or null between terms.</summary>
    private static string? OpenTerm(Workspace work)
    {
        string text = work.Read("log");
        // A line being appended may be read half-written: only whole lines count.
        string[] lines = text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var open = new Dictionary<string, string>();
        foreach (string[] f in lines.Select(line => line.Split(' ')))
        {
            if (f[0] == "start")
            {
                open[f[2]] = f[1];
            }
            else
            {
                open.Remove(f[2]);
            }
        }
        return open.Count == 1 ? open.Values.Single() : null;
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
                Assert.True(starts.Remove(token, out var start), $"an end without a start: {line}; the whole log:\n{string.Join('\n', log)}");
                terms.Add(new Term(start.Name, token, start.At, at));
            }
        }
        Assert.Empty(starts);
        return [.. terms.OrderBy(t => t.Start)];
    }
}
