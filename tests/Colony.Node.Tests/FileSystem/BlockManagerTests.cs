using Colony.Core;
using Colony.Node.FileSystem;
using Colony.Storage.Namespace;

namespace Colony.Node.Tests.FileSystem;

public sealed class BlockManagerTests
{
    private const long Start = 1_000_000;
    private const long BlockSize = 1024 * 1024;

    private static BlockManager Leader()
    {
        var manager = new BlockManager(new SeededRandom(7), reportGraceMs: 0);
        manager.BecomeLeader(Start);
        return manager;
    }

    private static HeartbeatRequest Beat(ulong node, IReadOnlyList<ReplicaReport>? full = null, params ReplicaChangeReport[] changes) =>
        new(node, $"127.0.0.1:{9000 + node}", null, 100 * BlockSize, 90 * BlockSize, 0, 0, changes, full);

    private static ReplicaReport Finalized(BlockVersion v, long length) => new(v.Id.Value, v.Stamp.Value, length, "finalized");

    /// <summary>A complete one-block file; returns its block.</summary>
    private static FileBlock WriteFile(NamespaceTree tree, string path, short replication, long length = 100)
    {
        Assert.True(tree.Apply(new NamespaceCommand.Create(path, "writer", "u", "g", 0x1A4, replication, BlockSize, false, true, Start)).IsOk);
        var added = tree.Apply(new NamespaceCommand.AddBlock(path, "writer", [], Start));
        Assert.True(added.IsOk);
        var version = added.Block!.Value.Version;
        Assert.True(tree.Apply(new NamespaceCommand.CommitBlock(path, "writer", version, length, 0)).IsOk);
        Assert.True(tree.Apply(new NamespaceCommand.Complete(path, "writer", Start)).IsOk);
        return tree.Stat(path) is not null ? tree.GetBlockLocations(path, 0, length)!.Blocks[0].Block : default;
    }

    /// <summary>
    /// A factor-2 block on nodes 1 and 2, the fullest of three (10 and 20 blocks free against 100), so the balancer
    /// moves it from node 1 to node 3. <paramref name="bootOfNode1"/> names node 1's process (sequence 1).
    /// </summary>
    private static (NamespaceTree Tree, FileBlock Block, BlockManager Manager, List<ReplicaReport> Full) BlockOnTheTwoFullestOfThree(string? bootOfNode1 = null)
    {
        var tree = new NamespaceTree();
        var block = WriteFile(tree, "/f", replication: 2, length: BlockSize);
        var manager = Leader();
        var full = new List<ReplicaReport> { Finalized(block.Version, block.Length) };
        manager.Heartbeat(Beat(1, full) with { Free = 10 * BlockSize, BootId = bootOfNode1, Sequence = bootOfNode1 is null ? 0 : 1 }, Start);
        manager.Heartbeat(Beat(2, full) with { Free = 20 * BlockSize }, Start);
        manager.Heartbeat(Beat(3, full: []) with { Free = 100 * BlockSize }, Start);
        return (tree, block, manager, full);
    }

    private static ReplicaChangeReport Received(FileBlock block) =>
        new("received", block.Version.Id.Value, block.Version.Stamp.Value, block.Length);

    [Fact]
    public void A_node_that_does_not_lead_answers_no_heartbeat()
    {
        var manager = new BlockManager(new SeededRandom(1));
        Assert.Null(manager.Heartbeat(Beat(1), Start));
        manager.BecomeLeader(Start);
        Assert.NotNull(manager.Heartbeat(Beat(1), Start));
        manager.StepDown();
        Assert.Null(manager.Heartbeat(Beat(1), Start));
    }

    [Fact]
    public void The_leader_asks_for_a_full_report_until_it_has_one_and_again_after_a_leader_change()
    {
        var manager = Leader();
        Assert.True(manager.Heartbeat(Beat(1), Start)!.FullReportWanted);
        Assert.False(manager.Heartbeat(Beat(1, full: []), Start + 1)!.FullReportWanted);
        Assert.False(manager.Heartbeat(Beat(1), Start + 2)!.FullReportWanted);

        manager.BecomeLeader(Start + 3);
        Assert.True(manager.Heartbeat(Beat(1), Start + 3)!.FullReportWanted);
    }

    [Fact]
    public void Locations_list_finalized_replicas_of_the_right_stamp_with_the_readers_node_first()
    {
        var manager = Leader();
        var version = new BlockVersion(new BlockId(5), new GenerationStamp(2));
        var stale = new BlockVersion(new BlockId(5), new GenerationStamp(1));
        for (ulong node = 1; node <= 3; node++)
        {
            manager.Heartbeat(Beat(node, [Finalized(version, 10)]), Start);
        }
        manager.Heartbeat(Beat(4, [Finalized(stale, 10)]), Start);
        manager.Heartbeat(Beat(5, [new ReplicaReport(5, 2, 4, "being-written")]), Start);

        for (ulong reader = 1; reader <= 3; reader++)
        {
            var locations = manager.Locations(version, new NodeId(reader), Start);
            Assert.Equal(3, locations.Count);
            Assert.Equal($"127.0.0.1:{9000 + reader}", locations[0]);
            Assert.Equal(["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"], locations.Order());
        }

        Assert.True(manager.ReportCorrupt(new NodeId(2), version));
        Assert.DoesNotContain("127.0.0.1:9002", manager.Locations(version, null, Start));
        // Silent past the dead timeout: no longer offered.
        Assert.Empty(manager.Locations(version, null, Start + 60_000));
    }

    [Fact]
    public void Locations_put_the_readers_node_then_its_rack_then_the_least_busy_first()
    {
        var manager = Leader();
        var version = new BlockVersion(new BlockId(6), new GenerationStamp(1));
        // Node 1 reads; 2 and 3 share its rack (3 busier); 4 and 5 are elsewhere (5 idle); 6 is the reader's rack-mate without the block.
        (ulong Node, string Rack, int Transfers, bool Holds)[] nodes =
            [(1, "r1", 9, true), (2, "r1", 4, true), (3, "r1", 7, true), (4, "r2", 2, true), (5, "r2", 0, true), (6, "r1", 0, false)];
        foreach (var (node, rack, transfers, holds) in nodes)
        {
            manager.Heartbeat(new HeartbeatRequest(node, $"127.0.0.1:{9000 + node}", rack, 100 * BlockSize, 90 * BlockSize, 0, transfers, [],
                holds ? [Finalized(version, 10)] : []), Start);
        }

        Assert.Equal(["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9005", "127.0.0.1:9004"],
            manager.Locations(version, new NodeId(1), Start));
        // A rack-mate holding no replica still gets its rack's replicas first.
        Assert.Equal(["127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9001", "127.0.0.1:9005", "127.0.0.1:9004"],
            manager.Locations(version, new NodeId(6), Start));
        // A client that is no data node: least busy first.
        Assert.Equal(["127.0.0.1:9005", "127.0.0.1:9004", "127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9001"],
            manager.Locations(version, null, Start));
    }

    [Fact]
    public void Locations_break_ties_at_random_and_ignore_racks_nobody_declared()
    {
        var manager = Leader();
        var version = new BlockVersion(new BlockId(8), new GenerationStamp(1));
        for (ulong node = 1; node <= 4; node++)
        {
            // No racks; node 4 is busy, the other three tie.
            manager.Heartbeat(new HeartbeatRequest(node, $"127.0.0.1:{9000 + node}", null, 100 * BlockSize, 90 * BlockSize, 0, node == 4 ? 5 : 0, [],
                [Finalized(version, 10)]), Start);
        }

        var firsts = new HashSet<string>();
        for (int i = 0; i < 60; i++)
        {
            var locations = manager.Locations(version, null, Start);
            Assert.Equal("127.0.0.1:9004", locations[^1]);
            firsts.Add(locations[0]);
        }
        Assert.Equal(["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"], firsts.Order());
    }

    [Fact]
    public void Incremental_reports_add_and_remove_replicas()
    {
        var manager = Leader();
        var version = new BlockVersion(new BlockId(9), new GenerationStamp(3));
        manager.Heartbeat(Beat(1, full: []), Start);
        manager.Heartbeat(Beat(1, null, new ReplicaChangeReport("received", 9, 3, 10)), Start);
        Assert.Equal(["127.0.0.1:9001"], manager.Locations(version, null, Start));
        manager.Heartbeat(Beat(1, null, new ReplicaChangeReport("corrupt", 9, 3, 10)), Start);
        Assert.Empty(manager.Locations(version, null, Start));
        manager.Heartbeat(Beat(1, null, new ReplicaChangeReport("deleted", 9, 3, 10)), Start);
        Assert.False(manager.ReportCorrupt(new NodeId(1), version));
    }

    [Fact]
    public void Freed_blocks_are_deleted_from_every_holder_in_their_next_heartbeat()
    {
        var manager = Leader();
        var version = new BlockVersion(new BlockId(4), new GenerationStamp(8));
        manager.Heartbeat(Beat(1, [Finalized(version, 10)]), Start);
        manager.Heartbeat(Beat(2, [Finalized(version, 10)]), Start);
        manager.Heartbeat(Beat(3, full: []), Start);

        manager.Freed([version]);

        Assert.Equal([new DeleteCommand(4, 8)], manager.Heartbeat(Beat(1), Start)!.Deletes);
        Assert.Equal([new DeleteCommand(4, 8)], manager.Heartbeat(Beat(2), Start)!.Deletes);
        Assert.Empty(manager.Heartbeat(Beat(3), Start)!.Deletes);
        Assert.Empty(manager.Heartbeat(Beat(1), Start)!.Deletes); // handed out once
    }

    [Fact]
    public void An_under_replicated_block_is_copied_by_a_holder_to_a_node_without_it()
    {
        var tree = new NamespaceTree();
        var block = WriteFile(tree, "/f", replication: 2);
        var manager = Leader();
        manager.Heartbeat(Beat(1, [Finalized(block.Version, block.Length)]), Start);
        manager.Heartbeat(Beat(2, full: []), Start);

        var plan = manager.Plan(tree, Start + 1);
        Assert.NotNull(plan);

        var copies = manager.Heartbeat(Beat(1), Start + 1)!.Copies;
        Assert.Equal([new CopyCommand(block.Version.Id.Value, block.Version.Stamp.Value, "127.0.0.1:9002")], copies);
        Assert.Empty(manager.Heartbeat(Beat(2), Start + 1)!.Copies);
        Assert.Equal(Storage.Replication.FsckStatus.UnderReplicated, manager.Fsck(tree, Start + 1).Status);

        manager.Heartbeat(Beat(2, null, new ReplicaChangeReport("received", block.Version.Id.Value, block.Version.Stamp.Value, block.Length)), Start + 2);
        Assert.Equal(Storage.Replication.FsckStatus.Healthy, manager.Fsck(tree, Start + 2).Status);
    }

    [Fact]
    public void Nodes_given_work_are_named_once_for_a_nudge_and_not_once_their_heartbeat_took_it()
    {
        var tree = new NamespaceTree();
        var block = WriteFile(tree, "/f", replication: 2);
        var manager = Leader();
        manager.Heartbeat(Beat(1, [Finalized(block.Version, block.Length)]), Start);
        manager.Heartbeat(Beat(2, full: []), Start);
        Assert.Empty(manager.TakeNewWork());

        manager.Plan(tree, Start + 1);

        Assert.Equal([new NodeId(1)], manager.TakeNewWork()); // the holder is to copy the block to node 2
        Assert.Empty(manager.TakeNewWork());
        // Work planned again before the heartbeat collects it is named again; once collected, it is not.
        manager.Freed([block.Version]);
        Assert.Equal([new NodeId(1)], manager.TakeNewWork());
        manager.Heartbeat(Beat(1), Start + 2);
        manager.Freed([block.Version]);
        manager.Heartbeat(Beat(1), Start + 3);
        Assert.Empty(manager.TakeNewWork());
    }

    [Fact]
    public void The_next_death_is_that_of_the_data_node_silent_longest_and_none_when_not_leading()
    {
        var manager = new BlockManager(new SeededRandom(7), deadAfterMs: 10_000, reportGraceMs: 0);
        Assert.Null(manager.NextDeathAt(Start));
        manager.BecomeLeader(Start);
        manager.Heartbeat(Beat(1), Start);
        manager.Heartbeat(Beat(2), Start + 500);

        Assert.Equal(Start + 10_000, manager.NextDeathAt(Start + 600));
        Assert.Equal(Start + 10_500, manager.NextDeathAt(Start + 10_000));
    }

    [Fact]
    public void A_late_heartbeat_never_rolls_back_the_replicas_a_newer_one_reported()
    {
        // A node gave up on heartbeat 1 (its leader stalled) and sent heartbeat 2; the leader takes 2, then the late 1.
        var manager = Leader();
        var version = new BlockVersion(new BlockId(9), new GenerationStamp(3));
        var newer = Beat(1, [Finalized(version, 10)]) with { BootId = "boot-a", Sequence = 2 };
        var older = Beat(1, full: []) with { BootId = "boot-a", Sequence = 1 };
        manager.Heartbeat(newer, Start);
        var late = manager.Heartbeat(older, Start + 1)!;

        Assert.Equal(["127.0.0.1:9001"], manager.Locations(version, null, Start + 1));
        Assert.Equal((false, 0, 0), (late.FullReportWanted, late.Copies.Count, late.Deletes.Count));
        // A late incremental report is ignored as well; the next one in order is taken.
        manager.Heartbeat(Beat(1, null, new ReplicaChangeReport("deleted", 9, 3, 10)) with { BootId = "boot-a", Sequence = 2 }, Start + 2);
        Assert.Equal(["127.0.0.1:9001"], manager.Locations(version, null, Start + 2));
        manager.Heartbeat(Beat(1, null, new ReplicaChangeReport("deleted", 9, 3, 10)) with { BootId = "boot-a", Sequence = 3 }, Start + 3);
        Assert.Empty(manager.Locations(version, null, Start + 3));
    }

    [Fact]
    public void A_late_heartbeat_of_a_process_the_leader_never_heard_from_is_no_restart()
    {
        // The node's old process sent a full report holding the block, then deleted it and died; the report was held
        // up. The new process reports its disk without the block, then the old report arrives.
        var manager = Leader();
        var version = new BlockVersion(new BlockId(9), new GenerationStamp(3));
        manager.Heartbeat(Beat(1, full: []) with { BootId = "new", Sequence = 1, Incarnation = 2_000 }, Start);
        manager.Heartbeat(Beat(1, [Finalized(version, 10)]) with { BootId = "old", Sequence = 40, Incarnation = 1_000 }, Start + 1);

        // The deleted replica is no ghost that would count towards the block's replication.
        Assert.Empty(manager.Locations(version, null, Start + 1));
        // And the live process is not retired: its reports are still taken.
        manager.Heartbeat(Beat(1, null, new ReplicaChangeReport("received", 9, 3, 10)) with { BootId = "new", Sequence = 2, Incarnation = 2_000 }, Start + 2);
        Assert.Equal(["127.0.0.1:9001"], manager.Locations(version, null, Start + 2));
    }

    [Fact]
    public void A_heartbeat_sent_while_this_node_led_in_an_earlier_term_is_refused_and_its_changes_kept()
    {
        // In term 1 the node sent this leader a full report holding the block; it was held up. The node then reported to
        // the term-2 leader and deleted the block. This node leads again in term 3 and, before the node's reports reach
        // it, takes the old request: its order never saw the node's later heartbeats, so only the term tells.
        var manager = new BlockManager(new SeededRandom(7), reportGraceMs: 0);
        var version = new BlockVersion(new BlockId(9), new GenerationStamp(3));
        manager.BecomeLeader(Start, term: 1);
        manager.Heartbeat(Beat(1, full: []) with { BootId = "a", Sequence = 1, LeaderTerm = 1 }, Start);
        manager.StepDown();
        manager.BecomeLeader(Start + 10, term: 3);

        Assert.Null(manager.Heartbeat(Beat(1, [Finalized(version, 10)]) with { BootId = "a", Sequence = 2, LeaderTerm = 1 }, Start + 11));
        Assert.Empty(manager.Locations(version, null, Start + 11));
        var current = manager.Heartbeat(Beat(1, full: []) with { BootId = "a", Sequence = 9, LeaderTerm = 3 }, Start + 12);
        Assert.False(current!.FullReportWanted);
        Assert.Empty(manager.Locations(version, null, Start + 12));
    }

    [Fact]
    public void Heartbeats_carry_boot_id_and_sequence_and_read_without_them_from_older_nodes()
    {
        string json = System.Text.Json.JsonSerializer.Serialize(Beat(3) with { BootId = "b0", Sequence = 7, Incarnation = 5, LeaderTerm = 4 }, StorageJson.Default.HeartbeatRequest);
        Assert.Contains("\"leaderTerm\":4", json, StringComparison.Ordinal);
        Assert.Contains("\"bootId\":\"b0\"", json, StringComparison.Ordinal);
        Assert.Contains("\"sequence\":7", json, StringComparison.Ordinal);
        Assert.Contains("\"incarnation\":5", json, StringComparison.Ordinal);
        const string older = """{"nodeId":3,"dataAddress":"127.0.0.1:9003","rack":null,"capacity":10,"free":5,"used":5,"transfers":0,"changes":[],"full":null}""";
        var read = System.Text.Json.JsonSerializer.Deserialize(older, StorageJson.Default.HeartbeatRequest)!;
        Assert.Equal((3UL, (string?)null, 0L, 0L), (read.NodeId, read.BootId, read.Sequence, read.Incarnation));
    }

    [Fact]
    public void A_copy_target_that_restarts_has_its_copy_planned_again_at_once()
    {
        var tree = new NamespaceTree();
        var block = WriteFile(tree, "/f", replication: 2);
        var manager = Leader();
        manager.Heartbeat(Beat(1, [Finalized(block.Version, block.Length)]) with { BootId = "one", Sequence = 1 }, Start);
        manager.Heartbeat(Beat(2, full: []) with { BootId = "two", Sequence = 1 }, Start);
        manager.Plan(tree, Start + 1);
        var copy = new CopyCommand(block.Version.Id.Value, block.Version.Stamp.Value, "127.0.0.1:9002");
        Assert.Equal([copy], manager.Heartbeat(Beat(1) with { BootId = "one", Sequence = 2 }, Start + 1)!.Copies);
        Assert.Empty(manager.Plan(tree, Start + 2)!.Work); // in flight

        // Node 2 is killed mid-copy and comes back: a new process, whose full report lacks the block.
        manager.Heartbeat(Beat(2, full: []) with { BootId = "two-again", Sequence = 1 }, Start + 3);
        Assert.Equal(1L, manager.CopiesAbandoned);
        Assert.Single(manager.Plan(tree, Start + 4)!.Work.OfType<Storage.Replication.WorkItem.Copy>());
        Assert.Equal([copy], manager.Heartbeat(Beat(1) with { BootId = "one", Sequence = 3 }, Start + 4)!.Copies);
    }

    [Fact]
    public void A_surplus_delete_still_queued_for_a_node_that_restarts_is_dropped_so_only_one_replica_is_trimmed()
    {
        var tree = new NamespaceTree();
        var block = WriteFile(tree, "/f", replication: 2);
        var manager = Leader();
        var full = new List<ReplicaReport> { Finalized(block.Version, block.Length) };
        for (ulong node = 1; node <= 3; node++)
        {
            manager.Heartbeat(Beat(node, full) with { BootId = $"b{node}", Sequence = 1 }, Start);
        }
        var trim = Assert.Single(manager.Plan(tree, Start + 1)!.Work.OfType<Storage.Replication.WorkItem.Delete>());

        // The node told to delete restarts before its next heartbeat: the new process still holds the replica.
        var fresh = manager.Heartbeat(Beat(trim.Node.Value, full) with { BootId = "again", Sequence = 1 }, Start + 2)!;
        Assert.Empty(fresh.Deletes);
        // Planned afresh: exactly one surplus replica goes, whichever the plan picks.
        Assert.Single(manager.Plan(tree, Start + 3)!.Work.OfType<Storage.Replication.WorkItem.Delete>());
        int handedOut = 0;
        for (ulong node = 1; node <= 3; node++)
        {
            var beat = Beat(node) with { BootId = node == trim.Node.Value ? "again" : $"b{node}", Sequence = 2 };
            handedOut += manager.Heartbeat(beat, Start + 4)!.Deletes.Count;
        }
        Assert.Equal(1, handedOut);
    }

    [Fact]
    public void A_late_full_report_from_before_a_leadership_change_is_not_taken_after_it()
    {
        var manager = Leader();
        var version = new BlockVersion(new BlockId(9), new GenerationStamp(3));
        // The node reported the block (heartbeat 2); its heartbeat 1, an older full report without it, is still in flight.
        manager.Heartbeat(Beat(1, [Finalized(version, 10)]) with { BootId = "boot-a", Sequence = 2 }, Start);

        manager.StepDown();
        manager.BecomeLeader(Start + 1);
        var late = manager.Heartbeat(Beat(1, full: []) with { BootId = "boot-a", Sequence = 1 }, Start + 1)!;

        // Not taken: the leader still wants a full report, and the next one in order is what counts.
        Assert.True(late.FullReportWanted);
        Assert.Empty(manager.Locations(version, null, Start + 1));
        manager.Heartbeat(Beat(1, [Finalized(version, 10)]) with { BootId = "boot-a", Sequence = 3 }, Start + 2);
        Assert.Equal(["127.0.0.1:9001"], manager.Locations(version, null, Start + 2));
    }

    [Fact]
    public void Planning_waits_for_the_report_grace_after_becoming_leader()
    {
        var manager = new BlockManager(new SeededRandom(3), reportGraceMs: 3_000);
        var tree = new NamespaceTree();
        Assert.Null(manager.Plan(tree, Start));
        manager.BecomeLeader(Start);
        Assert.Null(manager.Plan(tree, Start + 2_999));
        Assert.NotNull(manager.Plan(tree, Start + 3_000));
    }

    [Fact]
    public void Targets_are_live_nodes_with_the_writer_first_and_never_more_than_exist()
    {
        var manager = Leader();
        for (ulong node = 1; node <= 3; node++)
        {
            manager.Heartbeat(Beat(node, full: []), Start);
        }
        var targets = manager.ChooseTargets(3, new NodeId(2), new HashSet<NodeId>(), BlockSize, Start);
        Assert.Equal(new NodeId(2), targets[0].Node);
        Assert.Equal("127.0.0.1:9002", targets[0].Address);
        Assert.Equal(3, targets.Select(t => t.Node).Distinct().Count());

        Assert.Equal(3, manager.ChooseTargets(5, null, new HashSet<NodeId>(), BlockSize, Start).Count);
        Assert.Equal(2, manager.ChooseTargets(3, null, new HashSet<NodeId> { new(1) }, BlockSize, Start).Count);
        Assert.Equal(3, manager.LiveNodeCount(Start));
        Assert.Equal(0, manager.LiveNodeCount(Start + 60_000));
        Assert.Equal(new NodeId(3), manager.NodeAt("127.0.0.1:9003"));
        Assert.Null(manager.NodeAt("127.0.0.1:1"));
    }

    [Fact]
    public void A_blocks_pipeline_is_remembered_until_leadership_changes()
    {
        var manager = Leader();
        var version = new BlockVersion(new BlockId(3), new GenerationStamp(3));
        Assert.Null(manager.TargetsOf(version));
        PlacedNode[] pipeline = [new(new NodeId(2), "127.0.0.1:9002"), new(new NodeId(1), "127.0.0.1:9001")];
        manager.Allocated(version, pipeline);
        Assert.Equal(pipeline, manager.TargetsOf(version));
        Assert.Null(manager.TargetsOf(version with { Stamp = new GenerationStamp(4) }));
        manager.BecomeLeader(Start + 1);
        Assert.Null(manager.TargetsOf(version));
    }

    [Fact]
    public void A_drain_in_the_namespace_survives_a_leader_change_keeps_the_node_out_of_placement_and_ends_decommissioned()
    {
        var tree = new NamespaceTree();
        var block = WriteFile(tree, "/f", replication: 2);
        Assert.True(tree.Apply(new NamespaceCommand.SetDecommissioning(new NodeId(1), true)).IsOk);
        var manager = Leader();
        manager.SyncDecommissioning(tree.Decommissioning);
        manager.BecomeLeader(Start); // a fresh leadership forgets soft state, not the mirrored drain list
        for (ulong node = 1; node <= 3; node++)
        {
            manager.Heartbeat(Beat(node, node <= 2 ? [Finalized(block.Version, block.Length)] : []), Start);
        }
        Assert.Equal(Storage.Placement.DataNodeState.Decommissioning, manager.Nodes(Start).Single(n => n.Id == new NodeId(1)).State);
        for (int i = 0; i < 20; i++)
        {
            Assert.DoesNotContain(new NodeId(1), manager.ChooseTargets(3, new NodeId(1), new HashSet<NodeId>(), BlockSize, Start).Select(t => t.Node));
        }

        manager.Plan(tree, Start + 1);
        var copy = Assert.Single(manager.Heartbeat(Beat(2), Start + 1)!.Copies.Concat(manager.Heartbeat(Beat(1), Start + 1)!.Copies));
        Assert.Equal("127.0.0.1:9003", copy.Target);
        manager.Heartbeat(Beat(3, null, new ReplicaChangeReport("received", block.Version.Id.Value, block.Version.Stamp.Value, block.Length)), Start + 2);
        var plan = manager.Plan(tree, Start + 2)!;
        Assert.Equal([new NodeId(1)], plan.Decommissioned);
        Assert.Equal(Storage.Placement.DataNodeState.Decommissioned, manager.Nodes(Start + 2).Single(n => n.Id == new NodeId(1)).State);

        Assert.True(tree.Apply(new NamespaceCommand.SetDecommissioning(new NodeId(1), false)).IsOk);
        manager.SyncDecommissioning(tree.Decommissioning);
        Assert.Equal(Storage.Placement.DataNodeState.Alive, manager.Nodes(Start + 2).Single(n => n.Id == new NodeId(1)).State);
    }

    [Fact]
    public void A_balancer_move_copies_then_deletes_the_source_only_once_the_copy_counts_and_repair_leaves_the_surplus_to_it()
    {
        var (tree, block, manager, _) = BlockOnTheTwoFullestOfThree();
        HeartbeatRequest Used(ulong node, long freeBlocks, params ReplicaChangeReport[] changes) =>
            new(node, $"127.0.0.1:{9000 + node}", null, 100 * BlockSize, freeBlocks * BlockSize, 0, 0, changes, null);

        var pass = manager.Balance(tree, Start + 1, 0.10, 16, planNew: true)!;
        var move = Assert.Single(pass.Started);
        Assert.Equal((new NodeId(1), new NodeId(3)), (move.From, move.To));
        Assert.Equal([new CopyCommand(block.Version.Id.Value, block.Version.Stamp.Value, "127.0.0.1:9003")], manager.Heartbeat(Used(1, 10), Start + 1)!.Copies);
        // One move per block at a time, and nothing new while a move runs.
        Assert.Empty(manager.Balance(tree, Start + 2, 0.10, 16, planNew: true)!.Started);

        // The copy lands: three replicas of a factor-2 block, but repair leaves the surplus to the balancer.
        manager.Heartbeat(Used(3, 99, new ReplicaChangeReport("received", block.Version.Id.Value, block.Version.Stamp.Value, block.Length)), Start + 3);
        Assert.DoesNotContain(manager.Plan(tree, Start + 3)!.Work, w => w is Storage.Replication.WorkItem.Delete);
        manager.Balance(tree, Start + 3, 0.10, 16, planNew: true);
        Assert.Equal([new DeleteCommand(block.Version.Id.Value, block.Version.Stamp.Value)], manager.Heartbeat(Used(1, 10), Start + 4)!.Deletes);
        Assert.Empty(manager.Heartbeat(Used(2, 20), Start + 4)!.Deletes);

        manager.Heartbeat(Used(1, 11, new ReplicaChangeReport("deleted", block.Version.Id.Value, block.Version.Stamp.Value, block.Length)), Start + 5);
        var done = manager.Balance(tree, Start + 5, 0.10, 16, planNew: true)!;
        Assert.Equal((0, 1L), (done.InFlight.Count, done.MovesDone));
        Assert.Equal(1L, manager.BalancerMovesDone);
        Assert.Equal(Storage.Replication.FsckStatus.Healthy, manager.Fsck(tree, Start + 5).Status);
    }

    [Fact]
    public void A_balancer_move_whose_source_restarts_before_deleting_sends_the_delete_again()
    {
        var (tree, block, manager, full) = BlockOnTheTwoFullestOfThree(bootOfNode1: "one");
        Assert.Single(manager.Balance(tree, Start + 1, 0.10, 16, planNew: true)!.Started);
        manager.Heartbeat(Beat(1) with { Free = 10 * BlockSize, BootId = "one", Sequence = 2 }, Start + 1); // takes the copy
        manager.Heartbeat(Beat(3, null, Received(block)) with { Free = 99 * BlockSize }, Start + 2);
        manager.Balance(tree, Start + 3, 0.10, 16, planNew: true); // queues the source's delete

        // The source restarts before collecting it: its new process still holds the replica, and gets no stale delete.
        Assert.Empty(manager.Heartbeat(Beat(1, full) with { Free = 10 * BlockSize, BootId = "one-again", Sequence = 1 }, Start + 4)!.Deletes);
        manager.Balance(tree, Start + 5, 0.10, 16, planNew: true);
        Assert.Equal([new DeleteCommand(block.Version.Id.Value, block.Version.Stamp.Value)],
            manager.Heartbeat(Beat(1) with { Free = 10 * BlockSize, BootId = "one-again", Sequence = 2 }, Start + 5)!.Deletes);
    }

    [Fact]
    public void A_balancer_moves_delete_lost_with_its_answer_is_sent_again_after_the_pending_timeout()
    {
        var (tree, block, manager, _) = BlockOnTheTwoFullestOfThree();
        Assert.Single(manager.Balance(tree, Start + 1, 0.10, 16, planNew: true)!.Started);
        manager.Heartbeat(Beat(1) with { Free = 10 * BlockSize }, Start + 1); // takes the copy
        manager.Heartbeat(Beat(3, null, Received(block)) with { Free = 99 * BlockSize }, Start + 2);
        manager.Balance(tree, Start + 3, 0.10, 16, planNew: true);
        var delete = new DeleteCommand(block.Version.Id.Value, block.Version.Stamp.Value);
        Assert.Equal([delete], manager.Heartbeat(Beat(1) with { Free = 10 * BlockSize }, Start + 4)!.Deletes); // its answer is lost

        long later = Start + 3 + Storage.Replication.ReplicationLimits.Default.PendingTimeoutMs; // the delete was queued at Start + 3
        for (ulong node = 1; node <= 3; node++)
        {
            manager.Heartbeat(Beat(node) with { Free = node == 1 ? 10 * BlockSize : 50 * BlockSize }, later - 1); // all still alive
        }
        manager.Balance(tree, later - 1, 0.10, 16, planNew: true);
        Assert.Empty(manager.Heartbeat(Beat(1) with { Free = 10 * BlockSize }, later - 1)!.Deletes);
        manager.Balance(tree, later, 0.10, 16, planNew: true);
        Assert.Equal([delete], manager.Heartbeat(Beat(1) with { Free = 10 * BlockSize }, later)!.Deletes);
    }

    [Fact]
    public void A_balancer_move_never_deletes_its_source_while_the_block_would_fall_below_its_factor()
    {
        var (tree, block, manager, _) = BlockOnTheTwoFullestOfThree();
        Assert.Single(manager.Balance(tree, Start + 1, 0.10, 16, planNew: true)!.Started);
        manager.Heartbeat(Beat(3, null, Received(block)) with { Free = 99 * BlockSize }, Start + 2);
        // Node 2's replica turns out corrupt: without node 1's, only node 3's would count.
        Assert.True(manager.ReportCorrupt(new NodeId(2), block.Version));
        manager.Balance(tree, Start + 3, 0.10, 16, planNew: true);
        Assert.Empty(manager.Heartbeat(Beat(1) with { Free = 10 * BlockSize }, Start + 3)!.Deletes);
    }
}
