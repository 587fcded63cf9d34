using System.Text;
using Colony.Client.Jobs;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Compute;

/// <summary>
/// A straggling map gets a backup attempt on another node; the backup wins, the straggler is killed, and the
/// commit keeps exactly one attempt's output: every word is counted once.
/// </summary>
public class SpeculationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_straggler_gets_a_backup_and_the_output_holds_exactly_one_attempt()
    {
        var settings = new Dictionary<string, object>(ComputeCluster.FastFaults)
        {
            ["ProgressTimeoutMs"] = 300_000, // the straggler must be outrun, not failed as hung
            ["SpeculativeAfterMs"] = 2000,
        };
        await using var cluster = new ComputeCluster(3, settings);
        using var logs = cluster.DumpLogsOnFailure(output);
        await cluster.StartAsync();
        var all = new List<byte>();
        for (int file = 0; file < 6; file++)
        {
            byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 4000).Select(i => $"file {file} line {i % 23} colony\n"))
                + (file == 3 ? "one straggler line\n" : ""));
            await cluster.PutAsync($"/in/f{file}", text);
            all.AddRange(text);
        }

        using var scripts = new StreamingScripts();
        string id = await scripts.SubmitAsync(cluster, "/in", "/out", reducers: 2, mapArgs: $"0 straggle {scripts.Marker("straggled")}");
        var job = await cluster.WaitAsync(id);

        Assert.True(job.Job.State == JobStates.Succeeded, job.Job.Error);
        var straggler = job.Tasks.Single(t => t.Input is { } input && input.StartsWith("/in/f3:", StringComparison.Ordinal));
        Assert.Contains(straggler.Attempts, a => a.Speculative && a.State == "succeeded");
        Assert.Contains(straggler.Attempts, a => !a.Speculative && a.State == "killed");
        Assert.Equal(ComputeCluster.Expected([.. all]), await cluster.CountsAsync("/out"));
        logs.Pass();
    }
}
