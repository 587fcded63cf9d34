using System.Globalization;
using Colony.Client.Jobs;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Compute;

/// <summary>A worker that has run a job keeps a warmed-up executor for the next one.</summary>
public sealed class WarmExecutorTests(ITestOutputHelper output)
{
    private static JobRequest WordCount(string input, string output) => ComputeCluster.WordCount(input, output, reducers: 2);

    [Fact]
    public async Task The_next_job_runs_in_the_standby_executor_and_a_killed_standby_costs_nothing()
    {
        await using var cluster = new ComputeCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        byte[] text = Corpus.Text(3 * ComputeCluster.Block, seed: 5, ComputeCluster.Block);
        await cluster.PutAsync("/in/text", text);
        var expected = ComputeCluster.Expected(text);

        // A node that has run no job keeps no executor.
        Assert.All(cluster.Cluster.Ids, node => Assert.Empty(Standbys(cluster, node)));

        var first = await cluster.WaitAsync(await cluster.Jobs.SubmitAsync(WordCount("/in/text", "/out-1")));
        Assert.True(first.Job.State == JobStates.Succeeded, first.Job.Error);

        // Every node that ran some of it now keeps a standby.
        var standbys = await WaitForStandbysAsync(cluster, Ran(first), "a standby executor on every worker that ran the first job");

        string second = await cluster.Jobs.SubmitAsync(WordCount("/in/text", "/out-2"));
        var done = await cluster.WaitAsync(second);
        Assert.True(done.Job.State == JobStates.Succeeded, done.Job.Error);
        Assert.Equal(expected, await cluster.CountsAsync("/out-2"));
        foreach (ulong node in Ran(done).Intersect(standbys.Keys))
        {
            Assert.Contains($"the standby executor (pid {standbys[node]}) now runs {second}", cluster.Cluster.LogOf(node), StringComparison.Ordinal);
        }

        // Standbys killed outright: the next job starts executors of its own, and new standbys follow.
        var killed = await WaitForStandbysAsync(cluster, Ran(first).Union(Ran(done)), "standbys again after the second job");
        foreach (int pid in killed.Values)
        {
            LocalCluster.SignalProcess(pid, 9);
        }
        var third = await cluster.WaitAsync(await cluster.Jobs.SubmitAsync(WordCount("/in/text", "/out-3")));
        Assert.True(third.Job.State == JobStates.Succeeded, third.Job.Error);
        Assert.Equal(expected, await cluster.CountsAsync("/out-3"));
        var fresh = await WaitForStandbysAsync(cluster, killed.Keys, "new standbys after the killed ones");
        Assert.All(fresh, entry => Assert.NotEqual(killed[entry.Key], entry.Value));
        logs.Pass();
    }

    private static HashSet<ulong> Ran(JobDetail job) => [.. job.Tasks.SelectMany(t => t.Attempts).Select(a => a.Node)];

    private static async Task<Dictionary<ulong, int>> WaitForStandbysAsync(ComputeCluster cluster, IEnumerable<ulong> nodes, string what)
    {
        ulong[] wanted = [.. nodes];
        var found = await LocalCluster.WaitForAsync(
            () => Task.FromResult<Dictionary<ulong, List<int>>?>(wanted.ToDictionary(node => node, node => Standbys(cluster, node))),
            standbys => standbys.Values.All(pids => pids.Count == 1), ComputeCluster.Patience, what);
        return found.ToDictionary(entry => entry.Key, entry => entry.Value.Single());
    }

    /// <summary>The node's child processes that are standby executors.</summary>
    private static List<int> Standbys(ComputeCluster cluster, ulong node)
    {
        int parent = cluster.Cluster.ProcessId(node);
        var pids = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            try
            {
                string stat = File.ReadAllText(Path.Combine(directory, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] is not ("Z" or "X") && int.Parse(fields[1], CultureInfo.InvariantCulture) == parent
                    && File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0').Contains("--standby"))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return pids;
    }
}
