using Xunit.Abstractions;

namespace Colony.Node.Tests.FileSystem.Simulation;

/// <summary>
/// Seeded runs of <see cref="StorageSimulation"/>. A fixed handful runs with every test pass; set
/// <c>COLONY_SIM_SEEDS</c> (e.g. 5000) to run that many more, from <c>COLONY_SIM_FIRST_SEED</c> (default 1000).
/// </summary>
public sealed class StorageSimulationTests(ITestOutputHelper output)
{
    public static TheoryData<ulong> Seeds => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_storage_control_plane_keeps_every_block_under_faults(ulong seed)
    {
        var run = new StorageSimulation(seed);
        run.Run();
        output.WriteLine($"seed {seed}: {run.FilesWritten} files, {run.CopiesLanded} copies landed, {run.BalancerMoves} balancer moves");
    }

    [Fact]
    public void Many_seeds_when_asked()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("COLONY_SIM_SEEDS"), out int count) || count <= 0)
        {
            return;
        }
        ulong first = ulong.TryParse(Environment.GetEnvironmentVariable("COLONY_SIM_FIRST_SEED"), out ulong f) ? f : 1000;
        var failures = new List<string>();
        for (ulong seed = first; seed < first + (ulong)count; seed++)
        {
            try
            {
                new StorageSimulation(seed).Run();
            }
            catch (SimulationViolation e)
            {
                failures.Add(e.Message);
                output.WriteLine(e.Message);
                output.WriteLine("");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} seeds broke an invariant; the first:\n{failures.FirstOrDefault()}");
    }
}
