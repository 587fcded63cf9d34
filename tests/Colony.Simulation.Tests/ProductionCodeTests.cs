namespace Colony.Simulation.Tests;

/// <summary>The simulator must run the production pieces, not models of them.</summary>
public class ProductionCodeTests
{
    [Fact]
    public void Seeds_on_the_write_ahead_log_flush_through_the_simulated_file_system()
    {
        var result = Simulator.Run(new SimulationConfig(5) { Adjust = options => options with { Storage = StorageKind.Wal, FaultPhaseMicros = 3_000_000 } });
        Assert.Null(result.Violation);
        Assert.True(result.Stats.WalFileSyncs > 100, $"only {result.Stats.WalFileSyncs} WAL fsyncs");
        Assert.True(result.Stats.OperationsOk > 0);
    }

    [Fact]
    public void Most_seeds_draw_the_write_ahead_log()
    {
        int wal = Enumerable.Range(0, 200).Count(seed => SwarmOptions.ForSeed((ulong)seed).Storage == StorageKind.Wal);
        Assert.InRange(wal, 120, 180);
    }
}
