using System.Globalization;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Recipes;

/// <summary>
/// Separate processes increment a counter in a plain file, a read then a write with a gap between
/// them. Under the lock no increment is lost; without it, many are: the control run shows the
/// workload really races, so the exact count under the lock means something.
/// </summary>
[Collection(RecipeCollection.Name)]
public class MutualExclusionTests(RecipeCluster fixture, ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";
    private const int Processes = 8;
    private const int Iterations = 200;
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Eight_processes_incrementing_a_file_200_times_each_under_the_lock_lose_no_update()
    {
        int total = await RunCountersAsync("lock");
        Assert.Equal(Processes * Iterations, total);
    }

    [Fact]
    public async Task Without_the_lock_the_same_workload_loses_updates()
    {
        int total = await RunCountersAsync("nolock");
        Assert.True(total < Processes * Iterations, $"no update was lost without the lock ({total}): the workload does not race, so the locked run proves nothing");
    }

    [Fact]
    public async Task Colony_lock_invocations_from_four_shell_loops_lose_no_update()
    {
        // Each increment is its own `colony lock` process: 4 loops × 8 increments.
        const int loops = 4, increments = 8;
        using var work = new Workspace();
        File.WriteAllText(work.PathOf("counter"), "0");
        string colony = $"dotnet {Path.Combine(AppContext.BaseDirectory, "colony.dll")}";
        string loop = $"for i in $(seq {increments}); do {colony} lock /mutex/cli -- sh -c 'n=$(cat counter); sleep 0.05; echo $((n+1)) > counter.$$; mv counter.$$ counter' || exit 1; done";
        var runs = Enumerable.Range(0, loops)
            .Select(_ => ChildProcess.Start("sh", ["-c", loop], work.Directory, new() { ["COLONY_CLUSTER"] = fixture.ConnectString }))
            .ToList();
        try
        {
            foreach (var run in runs)
            {
                Assert.True(await run.ExitCodeAsync(Generous) == 0, run.ToString());
            }
        }
        finally
        {
            foreach (var run in runs)
            {
                await run.DisposeAsync();
            }
        }
        Assert.Equal(loops * increments, int.Parse(work.Read("counter").Trim(), CultureInfo.InvariantCulture));
    }

    private async Task<int> RunCountersAsync(string mode)
    {
        using var work = new Workspace();
        File.WriteAllText(work.PathOf("counter"), "0");
        string script = Path.Combine(Workspace.RepositoryRoot, "tests", "Colony.IntegrationTests", "Recipes", "file_counter.py");
        var counters = Enumerable.Range(0, Processes)
            .Select(_ => ChildProcess.Start(Python, [script, fixture.ConnectString, $"/mutex/{mode}", "counter", Iterations.ToString(CultureInfo.InvariantCulture), mode, "go"], work.Directory))
            .ToList();
        try
        {
            await Workspace.WaitUntilAsync(() => counters.All(c => c.Output.Contains("ready", StringComparison.Ordinal) || c.HasExited), Generous, "every counter process to connect");
            work.Touch("go");
            foreach (var counter in counters)
            {
                Assert.True(await counter.ExitCodeAsync(Generous) == 0, counter.ToString());
            }
        }
        finally
        {
            foreach (var counter in counters)
            {
                await counter.DisposeAsync();
            }
        }
        int total = int.Parse(work.Read("counter").Trim(), CultureInfo.InvariantCulture);
        output.WriteLine($"{mode}: {Processes} processes × {Iterations} increments ended at {total}");
        return total;
    }
}
