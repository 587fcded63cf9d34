using Colony.Core;
using Colony.Storage.Placement;
using Colony.Storage.Replication;

namespace Colony.Storage.Tests.Replication;

/// <summary>Seeded failure sequences: whatever dies, repeated plan-and-execute rounds restore every block.</summary>
public sealed class RepairModelTests
{
    [Theory]
    [InlineData(11UL)]
    [InlineData(12UL)]
    [InlineData(13UL)]
    public void Repair_converges_after_random_failures(ulong seed)
    {
        var random = new SeededRandom(seed);
        var c = new ClusterFixture(9, new ReplicationLimits { MaxCopiesPerNode = 2, MaxCopiesTotal = 6, OrphanGraceMs = 0 }, rack: i => "r" + (i % 3));
        var blocks = new List<Colony.Storage.Namespace.FileBlock>();
        for (int f = 0; f < 12; f++)
        {
            var holders = Enumerable.Range(1, 9).Select(i => (ulong)i).OrderBy(_ => random.Next(1000)).Take(3).ToArray();
            blocks.AddRange(c.File($"/f{f}", 3, 2, holders));
        }
        // Two nodes die, one replica somewhere goes corrupt.
        foreach (ulong dead in new[] { (ulong)random.Next(1, 10), (ulong)random.Next(1, 10) })
        {
            c.SetState(dead, DataNodeState.Dead);
            c.Map.RemoveNode(new NodeId(dead));
        }
        var spare = blocks.Where(b => c.Map.ReplicasOf(b.Id).Count >= 2).ToList(); // corrupting a last replica would lose data
        var victim = spare[random.Next(spare.Count)];
        var holder = c.Map.ReplicasOf(victim.Id).First();
        c.Map.MarkCorrupt(holder.Node, holder.Info.Version);

        for (long round = 0; round < 40; round++)
        {
            var plan = c.Plan(round * 10, seed + (ulong)round);
            Assert.Empty(plan.Unrepairable);
            c.Execute(plan);
        }
        Assert.All(blocks, b => Assert.Equal(3, c.LiveCount(b)));
        Assert.All(blocks, b => Assert.DoesNotContain(c.Map.ReplicasOf(b.Id), r => r.Corrupt));
        var report = FsckReport.Build(c.Fs.Tree, c.Map, c.View);
        Assert.Equal("HEALTHY", report.StatusText);
        Assert.Empty(c.Plan(1000).Work);
    }
}
