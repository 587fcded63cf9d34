using Xunit.Abstractions;

namespace Colony.Simulation.Tests;

public class SweepTests(ITestOutputHelper output)
{
    [Fact]
    public void A_small_sweep_of_seeds_finds_no_violation()
    {
        var failures = new List<string>();
        for (ulong seed = 0; seed < 30; seed++)
        {
            var result = Simulator.Run(new SimulationConfig(seed));
            output.WriteLine($"seed {seed}: {result.Violation?.ToString() ?? "ok"} ({result.Stats.OperationsOk} operations, {result.Stats.Committed} committed)");
            if (result.Violation is { } violation)
            {
                failures.Add($"seed {seed}: {violation}");
            }
            Assert.True(result.Stats.OperationsOk > 0, $"seed {seed} completed no client operation");
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
