namespace Colony.IntegrationTests.Recipes;

/// <summary>`colony lock --shared` and plain `colony lock` on one path, as real processes.</summary>
[Collection(RecipeCollection.Name)]
public class ReadWriteLockTests(RecipeCluster fixture)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Shared_holders_overlap_a_writer_runs_alone_and_readers_arriving_after_it_wait_for_it()
    {
        using var work = new Workspace();
        var all = new List<ChildProcess>();
        try
        {
            // Three readers that each stay until all three are in: only overlapping holders can finish.
            foreach (string reader in new[] { "R1", "R2", "R3" })
            {
                all.Add(Lock(work, "--shared", "--", "sh", "-c", $"echo 'start {reader}' >> log; touch in.{reader}; while [ ! -e go ]; do sleep 0.05; done; echo 'end {reader}' >> log"));
            }
            await Workspace.WaitUntilAsync(() => new[] { "R1", "R2", "R3" }.All(r => File.Exists(work.PathOf($"in.{r}"))), Generous, "three shared holders at once");

            // A writer queues behind them, then a stream of readers queues behind the writer.
            all.Add(Lock(work, "--", "sh", "-c", "echo 'start W' >> log; sleep 0.5; echo 'end W' >> log"));
            await WaitForContendersAsync(4);
            foreach (string reader in new[] { "R4", "R5", "R6" })
            {
                all.Add(Lock(work, "--shared", "--", "sh", "-c", $"echo 'start {reader}' >> log; sleep 0.2; echo 'end {reader}' >> log"));
            }
            await WaitForContendersAsync(7);

            work.Touch("go");
            foreach (var run in all)
            {
                Assert.True(await run.ExitCodeAsync(Generous) == 0, run.ToString());
            }
        }
        finally
        {
            foreach (var run in all)
            {
                await run.DisposeAsync();
            }
        }

        var log = work.Lines("log").ToList();
        Assert.Equal(14, log.Count); // a start and an end for each of the seven holders
        int writerStart = log.IndexOf("start W");
        int writerEnd = log.IndexOf("end W");
        // The first readers all left before the writer started; it ran alone; the later readers
        // were not let past it, though a shared lock was held when they asked.
        Assert.All(new[] { "R1", "R2", "R3" }, r => Assert.True(log.IndexOf($"end {r}") < writerStart, string.Join(", ", log)));
        Assert.Equal(writerStart + 1, writerEnd);
        Assert.All(new[] { "R4", "R5", "R6" }, r => Assert.True(log.IndexOf($"start {r}") > writerEnd, string.Join(", ", log)));
    }

    private ChildProcess Lock(Workspace work, params string[] args) =>
        ChildProcess.Colony(fixture.ConnectString, work.Directory, ["lock", "/rw/stream", .. args]);

    private async Task WaitForContendersAsync(int count)
    {
        await using var client = await fixture.ConnectAsync();
        await Workspace.WaitUntilAsync(async () => (await client.GetChildrenAsync("/rw/stream")).Count >= count, Generous, $"{count} contenders");
    }
}
