using System.Text;
using Colony.Client.Jobs;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Compute;

/// <summary>One cluster for the failure tests: each job reads the same small input and writes its own output.</summary>
public sealed class FailureCluster : IAsyncLifetime
{
    internal ComputeCluster Cluster { get; private set; } = null!;

    internal StreamingScripts Scripts { get; } = new();

    public static readonly byte[] Text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 3000).Select(i => $"line {i % 17} of the colony corpus\n")));

    public async Task InitializeAsync()
    {
        Cluster = new ComputeCluster(3);
        await Cluster.StartAsync();
        await Cluster.PutAsync("/in/text", Text);
    }

    public async Task DisposeAsync()
    {
        Scripts.Dispose();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// Mappers that throw, crash their executor, or hang: each failure costs an attempt, attempts are retried,
/// and a job fails only when a task has used up its attempts, with the cause in its error.
/// </summary>
public class TaskFailureTests(FailureCluster fixture, ITestOutputHelper output) : IClassFixture<FailureCluster>
{
    private ComputeCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_task_that_fails_once_is_retried_and_the_job_succeeds()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        string id = await fixture.Scripts.SubmitAsync(Cluster, "/in/text", "/out-once", 1, mapArgs: $"0 once {fixture.Scripts.Marker("once")}");
        var job = await Cluster.WaitAsync(id);

        Assert.True(job.Job.State == JobStates.Succeeded, job.Job.Error);
        Assert.Equal(1, job.Job.FailedAttempts);
        var failed = Assert.Single(job.Tasks.SelectMany(t => t.Attempts), a => a.State == "failed");
        Assert.Contains("3", failed.Error, StringComparison.Ordinal); // the exit code
        Assert.Equal(ComputeCluster.Expected(FailureCluster.Text), await Cluster.CountsAsync("/out-once"));
        logs.Pass();
    }

    [Fact]
    public async Task A_mapper_that_always_throws_fails_the_job_after_four_attempts_with_its_error()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        string id = await fixture.Scripts.SubmitAsync(Cluster, "/in/text", "/out-throw", 1, mapArgs: "0 throw");
        var job = await Cluster.WaitAsync(id);

        Assert.Equal(JobStates.Failed, job.Job.State);
        Assert.Contains("4 times", job.Job.Error, StringComparison.Ordinal);
        Assert.Contains("this mapper refuses the word colony", job.Job.Error, StringComparison.Ordinal);
        Assert.Equal(4, job.Tasks.Single(t => t.Kind == "map").Attempts.Count(a => a.State == "failed"));
        Assert.Null(await Cluster.Fs.StatAsync("/out-throw/_SUCCESS"));
        await LocalCluster.WaitForAsync(async () => await Cluster.Fs.StatAsync("/out-throw/_temporary") is null ? "gone" : null, _ => true,
            ComputeCluster.Patience, "the failed job's temporary output to be removed");
        logs.Pass();
    }

    [Fact]
    public async Task A_mapper_that_crashes_its_executor_fails_only_its_attempts()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        string id = await fixture.Scripts.SubmitAsync(Cluster, "/in/text", "/out-crash", 1, mapArgs: "0 crash");
        var job = await Cluster.WaitAsync(id);

        Assert.Equal(JobStates.Failed, job.Job.State);
        Assert.Contains("executor exited", job.Job.Error, StringComparison.Ordinal);
        // The nodes outlived their executors.
        foreach (ulong node in Cluster.Cluster.Ids)
        {
            Assert.True(Cluster.Cluster.IsRunning(node), $"node {node} died with its executor");
        }
        logs.Pass();
    }

    [Fact]
    public async Task A_mapper_that_hangs_is_failed_for_want_of_progress()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        string id = await fixture.Scripts.SubmitAsync(Cluster, "/in/text", "/out-hang", 1, mapArgs: "0 hang");
        var job = await Cluster.WaitAsync(id);

        Assert.Equal(JobStates.Failed, job.Job.State);
        Assert.Contains("no progress", job.Job.Error, StringComparison.Ordinal);
        logs.Pass();
    }

    [Fact]
    public async Task Two_concurrent_jobs_both_finish_with_correct_output()
    {
        using var logs = Cluster.DumpLogsOnFailure(output);
        string first = await fixture.Scripts.SubmitAsync(Cluster, "/in/text", "/out-a", 2);
        string second = await Cluster.Jobs.SubmitAsync(ComputeCluster.WordCount("/in/text", "/out-b", reducers: 2));
        var a = await Cluster.WaitAsync(first);
        var b = await Cluster.WaitAsync(second);

        Assert.True(a.Job.State == JobStates.Succeeded, a.Job.Error);
        Assert.True(b.Job.State == JobStates.Succeeded, b.Job.Error);
        Assert.Equal(ComputeCluster.Expected(FailureCluster.Text), await Cluster.CountsAsync("/out-a"));
        Assert.Equal(ComputeCluster.Expected(FailureCluster.Text), await Cluster.CountsAsync("/out-b"));
        logs.Pass();
    }
}
