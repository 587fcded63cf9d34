using Xunit.Abstractions;

namespace Colony.Node.Tests.FileSystem.Simulation;

/// <summary>
/// Seeded runs of <see cref="StorageSimulation"/>: seeds 1–12 with every test pass; with <c>COLONY_SIM_SEEDS</c> set
/// (e.g. 5000), that many seeds instead, from <c>COLONY_SIM_FIRST_SEED</c> (default 1000).
/// </summary>
public sealed class StorageSimulationTests(ITestOutputHelper output)
{
    public static TheoryData<ulong> Seeds
    {
        get
        {
            bool asked = int.TryParse(Environment.GetEnvironmentVariable("COLONY_SIM_SEEDS"), out int count) && count > 0;
            ulong first = !asked ? 1 : ulong.TryParse(Environment.GetEnvironmentVariable("COLONY_SIM_FIRST_SEED"), out ulong f) ? f : 1000;
            var seeds = new TheoryData<ulong>();
            for (ulong seed = first; seed < first + (ulong)(asked ? count : 12); seed++)
            {
                seeds.Add(seed);
            }
            return seeds;
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_storage_control_plane_keeps_every_block_under_faults(ulong seed)
    {
        var run = new StorageSimulation(seed);
        run.Run();
        output.WriteLine($"seed {seed}: {run.FilesWritten} files, {run.CopiesLanded} copies landed, {run.BalancerMoves} balancer moves");
    }
}
