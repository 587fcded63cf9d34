using System.Text;
using Colony.Client.Jobs;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Compute;

/// <summary>
/// Word count and sort on real node processes: output equals an independent answer, with a 1 MiB block so
/// lines span blocks, and the same answer when a worker or the leader is killed mid-job.
/// </summary>
public class WordCountTests(ITestOutputHelper output)
{
    private static JobRequest WordCount(string input, string output, int reducers) => ComputeCluster.WordCount(input, output, reducers);

    [Fact]
    public async Task Word_count_equals_an_independent_count_and_commits_exactly_its_parts()
    {
        // Tasks as the node's user, so they may read its block files: this test checks that short-circuit reads happen.
        await using var cluster = new ComputeCluster(3, ComputeCluster.AsNodeUser);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        byte[] text = Corpus.Text(6 * ComputeCluster.Block, seed: 1, ComputeCluster.Block);
        await cluster.PutAsync("/in/corpus.txt", text);
        await cluster.PutAsync("/in/_ignored", Encoding.UTF8.GetBytes("hidden files are not input\n"));
        await cluster.PutAsync("/in/small.txt", Encoding.UTF8.GetBytes("the colony\n\n  the end"));

        string id = await cluster.Jobs.SubmitAsync(WordCount("/in", "/out", reducers: 3));
        var job = await cluster.WaitAsync(id);

        Assert.True(job.Job.State == JobStates.Succeeded, job.Job.Error);
        var expected = Corpus.WordCounts([.. text, (byte)'\n', .. Encoding.UTF8.GetBytes("the colony\n\n  the end")]);
        var parts = await cluster.PartsAsync("/out");
        Assert.Equal(["part-00000", "part-00001", "part-00002"], parts.Select(p => p.Name));
        var actual = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, bytes) in parts)
        {
            var counts = Corpus.ParseCounts(bytes);
            // Each part is sorted by the words' raw bytes, and no word is in two parts.
            Assert.Equal(counts.Keys.OrderBy(k => k, StringComparer.Ordinal), counts.Keys);
            foreach (var (word, count) in counts)
            {
                Assert.True(actual.TryAdd(word, count), $"{word} is in two parts");
            }
        }
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.NotNull(await cluster.Fs.StatAsync("/out/_SUCCESS"));
        Assert.Null(await cluster.Fs.StatAsync("/out/_temporary"));
        Assert.Equal(((text.Length + ComputeCluster.Block - 1) / ComputeCluster.Block) + 1, job.Job.Maps); // a map per block, one for the small file; none for the hidden one
        Assert.Equal(1.0, job.Job.DataLocalFraction); // every node holds every block
        Assert.Equal(expected.Count, job.Counters["Task.ReduceOutputRecords"]); // one line per distinct word
        // Every map ran beside a replica of its block, so it read that replica's files directly.
        Assert.True(job.Counters["FileSystem.BytesRead"] >= text.Length, $"{job.Counters["FileSystem.BytesRead"]} bytes read");
        Assert.Equal(job.Counters["FileSystem.BytesRead"], job.Counters["FileSystem.LocalBytesRead"]);

        // The same output may not be written twice.
        var refused = await Assert.ThrowsAsync<JobException>(() => cluster.Jobs.SubmitAsync(WordCount("/in", "/out", 1)));
        Assert.Equal(409, refused.StatusCode);
        logs.Pass();
    }

    [Fact]
    public async Task A_worker_killed_mid_map_costs_time_not_correctness()
    {
        await using var cluster = new ComputeCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        byte[] text = Corpus.Text(24 * ComputeCluster.Block, seed: 2, ComputeCluster.Block);
        await cluster.PutAsync("/in/corpus.txt", text);
        ulong leader = await cluster.Cluster.WaitForLeaderAsync();

        // Streaming maps that take a second each, so the kill lands mid-map.
        using var scripts = new StreamingScripts();
        string id = await scripts.SubmitAsync(cluster, "/in", "/out", reducers: 2, mapArgs: "1");
        // Once some maps are done, kill a worker (not the leader) that is running maps: its finished maps' output goes with it.
        var during = await cluster.WaitForAsync(id, d => d.Job.MapsDone >= 2 && Running(d, "map").Any(n => n != leader) || d.Job.IsFinished, "maps under way");
        Assert.False(during.Job.IsFinished, "the job finished before a worker could be killed");
        ulong victim = Running(during, "map").First(n => n != leader);
        cluster.Cluster.Kill(victim);

        var job = await cluster.WaitAsync(id);
        Assert.True(job.Job.State == JobStates.Succeeded, job.Job.Error);
        Assert.Contains(job.Tasks.SelectMany(t => t.Attempts), a => a.Node == victim && a.State == "killed");
        Assert.Equal(ComputeCluster.Expected(text), await cluster.CountsAsync("/out"));
        logs.Pass();
    }

    [Fact]
    public async Task A_worker_killed_mid_reduce_costs_time_not_correctness()
    {
        await using var cluster = new ComputeCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        byte[] text = Corpus.Text(6 * ComputeCluster.Block, seed: 5, ComputeCluster.Block);
        await cluster.PutAsync("/in/corpus.txt", text);
        ulong leader = await cluster.Cluster.WaitForLeaderAsync();

        // Reduces that wait three seconds before reading, so the kill lands mid-reduce.
        using var scripts = new StreamingScripts();
        string id = await scripts.SubmitAsync(cluster, "/in", "/out", reducers: 3, reduceArgs: "3");
        var during = await cluster.WaitForAsync(id, d => Running(d, "reduce").Any(n => n != leader) || d.Job.IsFinished, "a reduce under way");
        Assert.False(during.Job.IsFinished, "the job finished before a worker could be killed");
        ulong victim = Running(during, "reduce").First(n => n != leader);
        cluster.Cluster.Kill(victim);

        var job = await cluster.WaitAsync(id);
        Assert.True(job.Job.State == JobStates.Succeeded, job.Job.Error);
        Assert.Contains(job.Tasks.Where(t => t.Kind == "reduce").SelectMany(t => t.Attempts), a => a.Node == victim && a.State == "killed");
        Assert.Equal(ComputeCluster.Expected(text), await cluster.CountsAsync("/out"));
        logs.Pass();
    }

    [Fact]
    public async Task The_leader_killed_mid_job_the_job_completes_after_failover()
    {
        await using var cluster = new ComputeCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        byte[] text = Corpus.Text(16 * ComputeCluster.Block, seed: 3, ComputeCluster.Block);
        await cluster.PutAsync("/in/corpus.txt", text);
        ulong leader = await cluster.Cluster.WaitForLeaderAsync();

        using var scripts = new StreamingScripts();
        string id = await scripts.SubmitAsync(cluster, "/in", "/out", reducers: 2, mapArgs: "1");
        var during = await cluster.WaitForAsync(id, d => d.Job.MapsDone >= 1 || d.Job.IsFinished, "a map to finish");
        Assert.False(during.Job.IsFinished, "the job finished before the leader could be killed");
        cluster.Cluster.Kill(leader);
        await cluster.Cluster.WaitForLeaderAsync(excluding: leader);

        var job = await cluster.WaitAsync(id);
        Assert.True(job.Job.State == JobStates.Succeeded, job.Job.Error);
        Assert.Equal(ComputeCluster.Expected(text), await cluster.CountsAsync("/out"));
        logs.Pass();
    }

    [Fact]
    public async Task Sort_output_is_globally_sorted_and_a_permutation_of_the_input()
    {
        await using var cluster = new ComputeCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        byte[] records = Corpus.Records(60_000, seed: 4); // about 6 MiB: six blocks, six maps
        await cluster.PutAsync("/in/records", records);

        var (code, text) = await cluster.CliAsync("job", "run", "sort", "--input", "/in/records", "--output", "/sorted", "--reducers", "3");
        Assert.True(code == 0, text);

        var parts = await cluster.PartsAsync("/sorted");
        Assert.Equal(3, parts.Count);
        string[] lines = [.. parts.SelectMany(p => Encoding.ASCII.GetString(p.Bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))];
        string[] input = Encoding.ASCII.GetString(records).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(input.Length, lines.Length);
        for (int i = 1; i < lines.Length; i++)
        {
            Assert.True(string.CompareOrdinal(lines[i - 1][..10], lines[i][..10]) <= 0, $"line {i} is out of order: {lines[i - 1]} > {lines[i]}");
        }
        Assert.Equal(input.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
        Assert.All(parts, p => Assert.True(p.Bytes.Length > 0, $"{p.Name} is empty: the sampled partitioner should spread the keys"));
        logs.Pass();
    }

    private static IEnumerable<ulong> Running(JobDetail job, string kind) =>
        job.Tasks.Where(t => t.Kind == kind).SelectMany(t => t.Attempts).Where(a => a.State == "running").Select(a => a.Node).Distinct();
}
