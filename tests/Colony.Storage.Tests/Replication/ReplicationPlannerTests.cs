using Colony.Core;
using Colony.Storage.Namespace;
using Colony.Storage.Placement;
using Colony.Storage.Replication;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Replication;

public sealed class ReplicationPlannerTests
{
    [Fact]
    public void A_healthy_cluster_needs_no_work()
    {
        var c = new ClusterFixture(4);
        c.File("/f", 3, 2, 1, 2, 3);
        var plan = c.Plan(0);
        Assert.Empty(plan.Work);
        Assert.Empty(plan.Unrepairable);
        Assert.Equal(0, plan.UnderReplicated);
    }

    [Fact]
    public void A_node_holding_an_interrupted_copy_of_a_block_is_still_a_target_for_it()
    {
        var c = new ClusterFixture(3);
        var block = c.File("/f", 3, 1, 1, 2)[0];
        c.Put(3, block, length: block.Length / 2, state: ReplicaState.BeingWritten); // a copy cut off by a restart
        var copy = Assert.Single(c.Plan(0).Work.OfType<WorkItem.Copy>());
        Assert.Equal(new NodeId(3), copy.Target);
    }

    [Fact]
    public void The_surplus_of_a_block_the_balancer_is_moving_is_left_to_the_balancer()
    {
        var c = new ClusterFixture(3);
        var block = c.File("/f", 2, 1, 1, 2, 3)[0];
        var balancing = new HashSet<BlockId> { block.Id };
        Assert.Empty(c.Planner.Plan(c.Fs.Tree, c.Map, c.View, 0, new SeededRandom(1), balancing).Work);
        var delete = Assert.Single(c.Plan(1).Work.OfType<WorkItem.Delete>());
        Assert.Equal(DeleteReason.OverReplicated, delete.Reason);
    }

    [Fact]
    public void Node_death_copies_its_blocks_last_replica_first()
    {
        var c = new ClusterFixture(6);
        var two = c.File("/two-left", 3, 1, 1, 2, 3)[0];
        var one = c.File("/one-left", 2, 1, 1, 4)[0];
        c.SetState(1, DataNodeState.Dead);
        c.Map.RemoveNode(new NodeId(1));
        var plan = c.Plan(0);
        var copies = plan.Work.OfType<WorkItem.Copy>().ToList();
        Assert.Equal([one.Version, two.Version], copies.Select(w => w.Block));
        Assert.Equal(1, copies[0].LiveReplicas);
        Assert.Equal(new NodeId(4), copies[0].Source);
        Assert.All(copies, w => Assert.NotEqual(new NodeId(1), w.Target));
        Assert.Equal(2, plan.UnderReplicated);
        c.Execute(plan);
        Assert.Equal(2, c.LiveCount(one));
        Assert.Equal(3, c.LiveCount(two));
        Assert.Empty(c.Plan(1).Work);
    }

    [Fact]
    public void Copies_in_flight_are_not_planned_twice_and_are_retried_after_the_timeout()
    {
        var c = new ClusterFixture(4, new ReplicationLimits { PendingTimeoutMs = 1000 });
        var block = c.File("/f", 3, 1, 1, 2)[0];
        var first = c.Plan(0).Work.OfType<WorkItem.Copy>().Single();
        Assert.Equal(1, c.Planner.PendingCopies);
        Assert.Empty(c.Plan(500).Work); // still in flight: nothing new
        var retry = c.Plan(1000).Work.OfType<WorkItem.Copy>().Single(); // lost: planned again
        Assert.Equal(block.Version, retry.Block);
        Assert.Equal(first.Block, retry.Block);
    }

    [Fact]
    public void A_copy_to_a_node_declared_dead_is_planned_again_elsewhere_at_once()
    {
        var c = new ClusterFixture(4);
        var block = c.File("/f", 3, 1, 1, 2)[0];
        var first = c.Plan(0).Work.OfType<WorkItem.Copy>().Single();
        c.SetState(first.Target.Value, DataNodeState.Dead);
        var again = c.Plan(500).Work.OfType<WorkItem.Copy>().Single(); // well within the pending timeout
        Assert.Equal(block.Version, again.Block);
        Assert.NotEqual(first.Target, again.Target);
        Assert.Equal((1, 1L), (c.Planner.PendingCopies, c.Planner.CopiesAbandoned));
    }

    [Fact]
    public void A_copy_whose_source_dies_is_planned_again_from_another_holder()
    {
        var c = new ClusterFixture(4);
        c.File("/f", 3, 1, 1, 2);
        var first = c.Plan(0).Work.OfType<WorkItem.Copy>().Single();
        c.SetState(first.Source.Value, DataNodeState.Dead);
        var again = c.Plan(500).Work.OfType<WorkItem.Copy>().ToList();
        Assert.NotEmpty(again);
        Assert.All(again, w => Assert.NotEqual(first.Source, w.Source));
        Assert.Equal(1L, c.Planner.CopiesAbandoned);
    }

    [Fact]
    public void A_node_that_restarts_has_the_copies_it_was_part_of_planned_again_at_once()
    {
        var c = new ClusterFixture(3);
        var block = c.File("/f", 3, 1, 1, 2)[0];
        var first = c.Plan(0).Work.OfType<WorkItem.Copy>().Single();
        Assert.Equal(new NodeId(3), first.Target);
        Assert.Equal(0, c.Planner.ForgetWorkOf(new NodeId(9)));
        Assert.Empty(c.Plan(100).Work);

        Assert.Equal(1, c.Planner.ForgetWorkOf(new NodeId(3)));
        var again = c.Plan(200).Work.OfType<WorkItem.Copy>().Single();
        Assert.Equal((block.Version, new NodeId(3)), (again.Block, again.Target));
        Assert.Equal(1L, c.Planner.CopiesAbandoned);
    }

    [Fact]
    public void A_copy_that_lands_is_not_counted_abandoned_when_its_source_then_dies()
    {
        var c = new ClusterFixture(4);
        c.File("/f", 3, 1, 1, 2, 3);
        c.SetState(3, DataNodeState.Dead);
        var plan = c.Plan(0);
        var copy = plan.Work.OfType<WorkItem.Copy>().Single();
        c.Execute(plan);
        c.SetState(copy.Source.Value, DataNodeState.Dead);
        c.Plan(100);
        Assert.Equal((0, 0L), (c.Planner.PendingCopies, c.Planner.CopiesAbandoned));
    }

    [Fact]
    public void Caps_bound_copies_per_node_and_overall()
    {
        var c = new ClusterFixture(10, new ReplicationLimits { MaxCopiesPerNode = 2, MaxCopiesTotal = 5 });
        for (int i = 0; i < 8; i++)
        {
            c.File($"/f{i}", 2, 1, (ulong)(1 + i % 2));
        }
        var copies = c.Plan(0).Work.OfType<WorkItem.Copy>().ToList();
        // Only nodes 1 and 2 hold data, each in at most 2 copies (as source or target): 3 or 4 copies.
        Assert.InRange(copies.Count, 3, 4);
        Assert.All(copies.SelectMany(w => new[] { w.Source, w.Target }).GroupBy(n => n), g => Assert.True(g.Count() <= 2, $"node {g.Key} in {g.Count()} copies"));
        Assert.Empty(c.Plan(1).Work); // caps hold across plans while the copies are in flight

        var wide = new ClusterFixture(20, new ReplicationLimits { MaxCopiesPerNode = 2, MaxCopiesTotal = 5 });
        for (int i = 0; i < 10; i++)
        {
            wide.File($"/f{i}", 2, 1, (ulong)(1 + i));
        }
        Assert.Equal(5, wide.Plan(0).Work.OfType<WorkItem.Copy>().Count());
    }

    [Fact]
    public void A_corrupt_replica_is_copied_around_first_then_deleted()
    {
        var c = new ClusterFixture(5);
        var block = c.File("/f", 3, 1, 1, 2, 3)[0];
        Assert.True(c.Map.MarkCorrupt(new NodeId(2), block.Version));
        var plan = c.Plan(0);
        var copy = Assert.Single(plan.Work);
        Assert.IsType<WorkItem.Copy>(copy);
        Assert.NotEqual(new NodeId(2), ((WorkItem.Copy)copy).Source);
        c.Execute(plan);
        var next = c.Plan(1);
        Assert.Equal([new WorkItem.Delete(block.Version, new NodeId(2), DeleteReason.Corrupt)], next.Work);
        c.Execute(next);
        Assert.Empty(c.Plan(2).Work);
    }

    [Fact]
    public void A_corrupt_replica_with_nowhere_else_to_go_is_deleted_first_then_copied_back()
    {
        // Three nodes, replication 3: every node holds the block, so the corrupt copy's node is the only target.
        var c = new ClusterFixture(3);
        var block = c.File("/f", 3, 1, 1, 2, 3)[0];
        Assert.True(c.Map.MarkCorrupt(new NodeId(2), block.Version));
        var plan = c.Plan(0);
        Assert.Equal([new WorkItem.Delete(block.Version, new NodeId(2), DeleteReason.Corrupt)], plan.Work);
        c.Execute(plan);
        var copy = Assert.IsType<WorkItem.Copy>(Assert.Single(c.Plan(1).Work));
        Assert.Equal(new NodeId(2), copy.Target);
        Assert.NotEqual(new NodeId(2), copy.Source);
    }

    [Fact]
    public void A_lone_corrupt_replica_is_kept_even_with_nowhere_else_to_go()
    {
        var c = new ClusterFixture(2);
        var block = c.File("/f", 2, 1, 1, 2)[0];
        c.Map.MarkCorrupt(new NodeId(1), block.Version);
        c.Map.MarkCorrupt(new NodeId(2), block.Version);
        var plan = c.Plan(0);
        Assert.Empty(plan.Work);
        Assert.Equal([block.Id], plan.Unrepairable);
    }

    [Fact]
    public void A_block_with_only_corrupt_replicas_keeps_them_and_is_reported()
    {
        var c = new ClusterFixture(4);
        var block = c.File("/f", 2, 1, 1, 2)[0];
        c.Map.MarkCorrupt(new NodeId(1), block.Version);
        c.Map.MarkCorrupt(new NodeId(2), block.Version);
        var missing = c.File("/g", 2, 1)[0];
        var plan = c.Plan(0);
        Assert.Empty(plan.Work);
        Assert.Equal([block.Id, missing.Id], plan.Unrepairable);
    }

    [Fact]
    public void A_replica_of_the_wrong_length_counts_as_corrupt()
    {
        var c = new ClusterFixture(4);
        var block = c.File("/f", 2, 1, 1)[0];
        c.Put(2, block, length: 10);
        var plan = c.Plan(0);
        var copy = Assert.IsType<WorkItem.Copy>(Assert.Single(plan.Work));
        Assert.Equal(new NodeId(1), copy.Source);
        Assert.NotEqual(new NodeId(2), copy.Target); // a node can't hold two replicas of one block
    }

    [Fact]
    public void Over_replication_is_trimmed_from_the_busiest_rack_and_fullest_node()
    {
        var c = new ClusterFixture(4, rack: i => i <= 2 ? "r1" : "r2");
        c.Nodes[new NodeId(2)] = c.Nodes[new NodeId(2)] with { FreeBytes = 10_000 };
        var block = c.File("/f", 3, 1, 1, 2, 3, 4)[0];
        c.Fs.Ok(new SetReplication("/f", 2));
        var plan = c.Plan(0);
        Assert.Equal(2, plan.Work.Count);
        Assert.All(plan.Work, w => Assert.Equal(DeleteReason.OverReplicated, ((WorkItem.Delete)w).Reason));
        Assert.Contains(new WorkItem.Delete(block.Version, new NodeId(2), DeleteReason.OverReplicated), plan.Work);
        Assert.Empty(c.Plan(1).Work); // pending deletes are not sent twice
        c.Execute(plan);
        Assert.Equal(2, c.LiveCount(block));
    }

    [Fact]
    public void Trimming_keeps_the_rack_spread_even_when_the_fullest_node_is_alone_on_its_rack()
    {
        var c = new ClusterFixture(4, rack: i => i <= 3 ? "r1" : "r2");
        c.Nodes[new NodeId(4)] = c.Nodes[new NodeId(4)] with { FreeBytes = 1_000 }; // fullest, but rack r2's only replica
        c.Nodes[new NodeId(2)] = c.Nodes[new NodeId(2)] with { FreeBytes = 5_000 };
        var block = c.File("/f", 4, 1, 1, 2, 3, 4)[0];
        c.Fs.Ok(new SetReplication("/f", 2));
        var plan = c.Plan(0);
        var victims = plan.Work.OfType<WorkItem.Delete>().Select(d => d.Node).Order().ToList();
        Assert.Equal([new NodeId(1), new NodeId(2)], victims); // r1 loses two (fullest first: node 2); node 4 stays
        c.Execute(plan);
        Assert.Equal(2, c.LiveCount(block));
    }

    [Fact]
    public void Orphans_are_deleted_only_after_two_plans_and_the_grace_period()
    {
        var c = new ClusterFixture(3, new ReplicationLimits { OrphanGraceMs = 1000 });
        var blocks = c.File("/f", 1, 1, 1);
        c.Fs.Ok(new Delete("/f", false, 5));
        Assert.Empty(c.Plan(0).Work); // first sighting
        Assert.Empty(c.Plan(999).Work); // within the grace
        var plan = c.Plan(1000);
        Assert.Equal([new WorkItem.Delete(blocks[0].Version, new NodeId(1), DeleteReason.Orphan)], plan.Work);
    }

    [Fact]
    public void A_block_allocated_but_not_yet_in_the_namespace_survives_until_it_appears()
    {
        var c = new ClusterFixture(3, new ReplicationLimits { OrphanGraceMs = 1000 });
        var early = new FileBlock(new BlockVersion(new BlockId(1), new GenerationStamp(1)), 0, 0, BlockState.UnderConstruction);
        c.Put(1, early, state: ReplicaState.BeingWritten);
        Assert.Empty(c.Plan(0).Work);
        c.Fs.Create("/f");
        c.Fs.AddBlock("/f"); // the allocation commits within the grace period
        Assert.Empty(c.Plan(2000).Work);
        Assert.Empty(c.Plan(5000).Work); // an open block is its pipeline's business
    }

    [Fact]
    public void A_replica_with_an_old_generation_stamp_is_deleted_as_stale()
    {
        var c = new ClusterFixture(4, new ReplicationLimits { OrphanGraceMs = 0 });
        c.Fs.Create("/f");
        var old = c.Fs.AddBlock("/f");
        var current = c.Fs.Ok(new UpdatePipeline("/f", "c1", old.Id)).Block!.Value;
        current = c.Fs.Commit("/f", current, 1000);
        c.Fs.Ok(new Complete("/f", "c1", 10));
        c.Put(1, old, length: 500);
        c.Put(2, current);
        c.Put(3, current);
        c.Put(4, current);
        Assert.Empty(c.Plan(0).Work.OfType<WorkItem.Delete>());
        var plan = c.Plan(1);
        Assert.Equal([new WorkItem.Delete(old.Version, new NodeId(1), DeleteReason.Stale)], plan.Work);
    }

    [Fact]
    public void Decommissioning_drains_the_node_then_marks_it_done()
    {
        var c = new ClusterFixture(5);
        var blocks = c.File("/f", 2, 3, 1, 2);
        c.SetState(1, DataNodeState.Decommissioning);
        var plan = c.Plan(0);
        Assert.Empty(plan.Decommissioned);
        var copies = plan.Work.OfType<WorkItem.Copy>().ToList();
        Assert.Equal(3, copies.Count);
        Assert.All(copies, w => Assert.NotEqual(new NodeId(1), w.Target));
        c.Execute(plan);
        var after = c.Plan(1);
        Assert.Equal([new NodeId(1)], after.Decommissioned);
        Assert.Empty(after.Work); // the draining node's replicas are not "extra": they don't count
        Assert.All(blocks, b => Assert.Equal(2, c.LiveCount(b)));
    }

    [Fact]
    public void Dead_node_replicas_do_not_count_and_are_not_sources()
    {
        var c = new ClusterFixture(4);
        var block = c.File("/f", 2, 1, 1, 2)[0];
        c.SetState(1, DataNodeState.Dead);
        var copy = Assert.IsType<WorkItem.Copy>(Assert.Single(c.Plan(0).Work));
        Assert.Equal(new NodeId(2), copy.Source);
        Assert.Equal(block.Version, copy.Block);
    }

    [Fact]
    public void Plans_are_deterministic_per_seed()
    {
        string Run()
        {
            var c = new ClusterFixture(12, rack: i => "r" + (i % 3));
            for (int i = 0; i < 20; i++)
            {
                c.File($"/f{i}", 3, 1, (ulong)(1 + i % 12));
            }
            return string.Join(';', c.Plan(0, seed: 9).Work);
        }
        Assert.Equal(Run(), Run());
    }
}
