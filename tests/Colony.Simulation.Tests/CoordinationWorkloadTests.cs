using Colony.Simulation.Checkers;
using Xunit.Abstractions;

namespace Colony.Simulation.Tests;

/// <summary>The ZooKeeper data tree under the simulator: the workload runs clean, and a drifting tree is caught.</summary>
public class CoordinationWorkloadTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(3UL)]
    [InlineData(16UL)]
    public void Seeds_with_the_coordination_workload_pass(ulong seed)
    {
        var result = Simulator.Run(new SimulationConfig(seed));
        output.WriteLine($"seed {seed}: {result.Violation?.ToString() ?? "ok"}, {result.Stats.CoordinationCommitted} coordination commands committed, {result.Stats.ZNodes} znodes, {result.Stats.SessionsMoved} sessions moved, {result.Stats.FencedCommands} commands fenced");
        Assert.Null(result.Violation);
        Assert.True(result.Stats.CoordinationCommitted > 20, $"only {result.Stats.CoordinationCommitted} coordination commands committed");
        // ZooKeeper's four initial nodes survive whatever the workload did (it may delete all it built,
        // and ephemerals go with their sessions; the committed count above shows it worked).
        Assert.True(result.Stats.ZNodes >= 4, $"the tree ended with {result.Stats.ZNodes} nodes");
        // Sessions move between nodes, and writes through a node a session left are fenced.
        Assert.True(result.Stats.SessionsMoved > 0, "no session moved");
        Assert.True(result.Stats.FencedCommands > 0, "no command was fenced");
    }

    [Fact]
    public void A_node_whose_tree_stamps_its_own_clock_is_caught_by_state_machine_safety()
    {
        for (ulong seed = 0; seed < 5; seed++)
        {
            var result = Simulator.Run(new SimulationConfig(seed) { DivergentTree = true });
            Assert.NotNull(result.Violation);
            Assert.Equal(ViolationKind.StateMachineSafety, result.Violation.Kind);
            Assert.Contains("coordination trees", result.Violation.Detail);
        }
    }
}
