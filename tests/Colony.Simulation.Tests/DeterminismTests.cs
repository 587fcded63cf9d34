namespace Colony.Simulation.Tests;

public class DeterminismTests
{
    [Theory]
    [InlineData(3UL)]
    [InlineData(1234UL)]
    public void The_same_seed_gives_the_same_trace(ulong seed)
    {
        var first = Simulator.Run(new SimulationConfig(seed));
        var second = Simulator.Run(new SimulationConfig(seed));
        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Events, second.Events);
        Assert.Equal(first.Stats, second.Stats);
        Assert.True(first.Events > 1000, $"only {first.Events} events: the run did nothing");
    }

    [Fact]
    public void The_trace_text_replays_line_for_line()
    {
        var first = new StringWriter();
        var second = new StringWriter();
        Simulator.Run(new SimulationConfig(7) { TraceOutput = first, Adjust = options => options with { FaultPhaseMicros = 1_000_000 } });
        Simulator.Run(new SimulationConfig(7) { TraceOutput = second, Adjust = options => options with { FaultPhaseMicros = 1_000_000 } });
        Assert.Equal(first.ToString(), second.ToString());
        Assert.Contains(" L t", first.ToString());
    }

    [Fact]
    public void Tracing_does_not_change_the_run()
    {
        var traced = Simulator.Run(new SimulationConfig(11) { TraceOutput = TextWriter.Null });
        var untraced = Simulator.Run(new SimulationConfig(11));
        Assert.Equal(untraced.TraceHash, traced.TraceHash);
    }

    [Fact]
    public void Different_seeds_give_different_traces()
    {
        var hashes = Enumerable.Range(100, 4).Select(seed => Simulator.Run(new SimulationConfig((ulong)seed)).TraceHash).ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
    }
}
