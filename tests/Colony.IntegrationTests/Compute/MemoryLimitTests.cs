using Colony.IntegrationTests.Recipes;
using Colony.Testing;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Compute;

/// <summary>A task that exhausts its executor's memory limit fails its attempts, and nothing else.</summary>
public sealed class MemoryLimitTests(ITestOutputHelper output)
{
    private const long Limit = 192L * 1024 * 1024;

    [Fact]
    public async Task A_mapper_that_exhausts_the_memory_limit_fails_its_job_and_the_cluster_runs_the_next_one()
    {
        var compute = new Dictionary<string, object>(ComputeCluster.FastFaults) { ["ExecutorMemoryLimitBytes"] = Limit };
        await using var cluster = new ComputeCluster(3, compute);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        // Short lines: the hog takes 16 MiB for each, far more than the limit long before the input ends.
        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i} of the hog's input\n")));
        await cluster.PutAsync("/in/text", text);
        string dll = Path.Combine(ProjectOutputs.Directory(Path.Combine(Workspace.RepositoryRoot, "tests", "jobs", "MemoryHog"), "MemoryHog"), "MemoryHog.dll");

        var (code, said) = await cluster.CliAsync("job", "submit", "--assembly", dll, "--job", "MemoryHog.MemoryHogJob",
            "--input", "/in", "--output", "/out-hog", "--reducers", "1");

        Assert.True(code != 0, said);
        var hog = (await cluster.Jobs.ListAsync()).Single();
        Assert.Equal("failed", hog.State);
        // The task's own allocation fails (OutOfMemoryException), or another thread's, and the runtime stops the executor.
        Assert.Matches("OutOfMemoryException|ran out of memory", hog.Error ?? "");
        Assert.Contains("4 times", hog.Error ?? "", StringComparison.Ordinal);
        Assert.All(cluster.Cluster.Ids, node => Assert.True(cluster.Cluster.IsRunning(node), $"node {node} died with the job: {said}"));

        // The same workers, the same limit: an ordinary job runs to the end.
        var next = await cluster.WaitAsync(await cluster.Jobs.SubmitAsync(ComputeCluster.WordCount("/in/text", "/out-count", reducers: 2)));
        Assert.True(next.Job.State == Colony.Client.Jobs.JobStates.Succeeded, next.Job.Error);
        Assert.Equal(ComputeCluster.Expected(text), await cluster.CountsAsync("/out-count"));
        logs.Pass();
    }
}
