using System.Text;
using Colony.Consensus;
using Colony.Core;

namespace Colony.Consensus.Tests;

public class RaftNodeTests
{
    private static ReadOnlyMemory<byte> Data(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string> NormalPayloads(IEnumerable<Entry> entries) =>
        entries.Where(e => e.Type == EntryType.Normal).Select(e => Encoding.UTF8.GetString(e.Data.Span)).ToList();

    [Fact]
    public void A_three_node_cluster_elects_one_leader_and_the_others_follow_it()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        Assert.Single(c.Nodes, n => n.Role == RaftRole.Leader);
        Assert.All(c.Nodes, n => Assert.Equal(leader.Id, n.Leader));
        Assert.All(c.Nodes, n => Assert.Equal(leader.Term, n.Term));
    }

    [Fact]
    public void A_single_voter_elects_itself_and_commits_alone()
    {
        var c = new TestCluster(1);
        var leader = c.ElectLeader();
        var result = leader.Propose(Data("x"));
        Assert.True(result.IsAccepted);
        c.Stabilize();
        Assert.Equal(["x"], NormalPayloads(c.Applied[leader.Id]));
    }

    [Fact]
    public void Proposals_commit_on_every_node_in_order()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        for (int i = 0; i < 50; i++)
        {
            Assert.True(leader.Propose(Data($"v{i}")).IsAccepted);
        }
        c.Stabilize();
        c.Tick(); // followers learn the final commit index from the next heartbeat or append
        var expected = Enumerable.Range(0, 50).Select(i => $"v{i}").ToList();
        foreach (var node in c.Nodes)
        {
            Assert.Equal(expected, NormalPayloads(c.Applied[node.Id]));
        }
    }

    [Fact]
    public void A_follower_refuses_proposals_and_names_the_leader()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        var result = follower.Propose(Data("x"));
        Assert.Equal(ProposeStatus.NotLeader, result.Status);
        Assert.Equal(leader.Id, result.Leader);
    }

    [Fact]
    public void A_leader_status_read_just_after_a_quorum_check_still_counts_the_peers_that_answered()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        int window = c.Configure(leader.Id).ElectionTicks;
        c.Tick(2 * window);
        // The leader alone, nothing delivered: exactly one quorum check falls in these ticks and
        // opens an empty window. The peers answered in the window it closed.
        for (int i = 0; i < window; i++)
        {
            leader.Tick();
        }
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.All(leader.GetStatus().Peers, p => Assert.True(p.RecentActive, $"peer {p.Id} counted inactive"));
    }

    [Fact]
    public void A_peer_silent_for_two_quorum_windows_shows_inactive_while_the_leader_keeps_its_quorum()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        int window = c.Configure(leader.Id).ElectionTicks;
        var silent = c.Nodes.First(n => n.Id != leader.Id);
        c.Isolate(silent.Id.Value);
        c.Tick(2 * window + 1);
        Assert.Equal(RaftRole.Leader, leader.Role);
        var peers = leader.GetStatus().Peers;
        Assert.False(peers.Single(p => p.Id == silent.Id).RecentActive);
        Assert.True(peers.Single(p => p.Id != silent.Id).RecentActive);
    }

    [Fact]
    public void Entries_need_a_majority_an_isolated_leader_commits_nothing_and_steps_down()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        c.Isolate(leader.Id.Value);
        var result = leader.Propose(Data("lost"));
        Assert.True(result.IsAccepted);
        c.Stabilize();
        Assert.True(leader.CommitIndex < result.Index);
        // Check-quorum: after an election timeout without a quorum the old leader steps down...
        c.Tick(25);
        Assert.NotEqual(RaftRole.Leader, leader.Role);
        // ...and the majority side has elected a new one in a later term.
        var newLeader = c.Nodes.Single(n => n.Role == RaftRole.Leader);
        Assert.True(newLeader.Term > result.Term);
        Assert.True(newLeader.Propose(Data("kept")).IsAccepted);
        c.Heal();
        c.Tick(5);
        // The uncommitted entry of the old term was overwritten everywhere.
        foreach (var node in c.Nodes)
        {
            Assert.DoesNotContain("lost", NormalPayloads(c.Applied[node.Id]));
            Assert.Contains("kept", NormalPayloads(c.Applied[node.Id]));
        }
    }

    [Fact]
    public void Pre_vote_keeps_a_returning_partitioned_node_from_disrupting_the_leader()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        ulong term = leader.Term;
        var loner = c.Nodes.First(n => n.Role == RaftRole.Follower);
        c.Isolate(loner.Id.Value);
        c.Tick(100); // the loner keeps pre-campaigning but never wins a pre-vote, so its term stays
        Assert.Equal(term, loner.Term);
        c.Heal();
        c.Tick(5);
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.Equal(term, leader.Term);
        Assert.Equal(leader.Id, loner.Leader);
    }

    [Fact]
    public void A_follower_with_a_long_conflicting_log_is_repaired()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        Assert.True(leader.Propose(Data("base")).IsAccepted);
        c.Tick(2);
        c.Isolate(leader.Id.Value);
        for (int i = 0; i < 100; i++)
        {
            leader.Propose(Data($"orphan{i}"));
        }
        c.Stabilize();
        c.Tick(30);
        var newLeader = c.Nodes.Single(n => n.Role == RaftRole.Leader);
        for (int i = 0; i < 20; i++)
        {
            Assert.True(newLeader.Propose(Data($"good{i}")).IsAccepted);
        }
        c.Stabilize();
        c.Heal();
        c.Tick(5);
        Assert.All(c.Nodes, n => Assert.Equal(newLeader.LastIndex, n.LastIndex));
        var expected = NormalPayloads(c.Applied[newLeader.Id]);
        Assert.Equal(21, expected.Count);
        Assert.All(c.Nodes, n => Assert.Equal(expected, NormalPayloads(c.Applied[n.Id])));
    }

    [Fact]
    public void A_lagging_follower_catches_up_from_a_snapshot_sent_in_chunks()
    {
        var (c, leader, lagger) = ClusterWithFollowerBehindSnapshot(chunkBytes: 3);
        Assert.True(leader.FirstIndex > lagger.LastIndex + 1);
        c.Heal();
        c.Tick(10);
        Assert.Equal(leader.LastIndex, lagger.LastIndex);
        Assert.Equal(leader.LatestSnapshot.Index, lagger.LatestSnapshot.Index);
        var installed = c.Applied[lagger.Id][0];
        Assert.Equal($"state@{leader.LatestSnapshot.Index}", Encoding.UTF8.GetString(installed.Data.Span));
    }

    [Fact]
    public void A_follower_keeps_snapshot_chunks_that_overtake_each_other()
    {
        var (c, leader, lagger) = ClusterWithFollowerBehindSnapshot(chunkBytes: 1);
        var held = new List<Message>();
        var sent = new List<long>();
        c.DropIf = m =>
        {
            if (m.Type != MessageType.SnapshotChunk || m.To != lagger.Id)
            {
                return false;
            }
            held.Add(m);
            sent.Add(m.SnapshotOffset);
            return true;
        };
        c.Heal();
        for (int round = 0; round < 200 && lagger.LatestSnapshot.Index < leader.LatestSnapshot.Index; round++)
        {
            if (held.Count == 0)
            {
                c.Tick();
                continue;
            }
            // Each window arrives last chunk first.
            var window = Enumerable.Reverse(held).ToList();
            held.Clear();
            foreach (var chunk in window)
            {
                lagger.Step(chunk);
            }
            c.Stabilize();
        }
        Assert.Equal(leader.LatestSnapshot.Index, lagger.LatestSnapshot.Index);
        Assert.True(sent.Count > 4, "the snapshot should take more than one window");
        Assert.Equal(sent.Count, sent.Distinct().Count()); // nothing was sent twice
    }

    [Fact]
    public void An_empty_snapshot_installs_from_its_one_empty_chunk()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        var metadata = new SnapshotMetadata(follower.CommitIndex + 5, leader.Term, follower.Membership);

        follower.Step(new Message
        {
            Type = MessageType.SnapshotChunk, From = leader.Id, To = follower.Id, Term = leader.Term,
            Snapshot = metadata, SnapshotOffset = 0, SnapshotSize = 0,
        });

        Assert.Equal(metadata.Index, follower.LatestSnapshot.Index);
    }

    [Fact]
    public void A_snapshot_transfer_is_not_restarted_by_a_newer_local_snapshot()
    {
        var (c, leader, lagger) = ClusterWithFollowerBehindSnapshot(chunkBytes: 2);
        ulong firstSnapshot = leader.LatestSnapshot.Index;
        c.Heal();
        // Each delivery round moves the transfer one window; compact again after every round.
        c.DropIf = m => m.Type == MessageType.SnapshotChunk && m.To == lagger.Id && m.Snapshot!.Index != firstSnapshot;
        for (int round = 0; round < 40 && lagger.LatestSnapshot.Index < firstSnapshot; round++)
        {
            leader.Propose(Data($"more{round}"));
            c.Tick();
            c.Compact(leader.Id.Value, leader.AppliedIndex);
        }
        Assert.Equal(firstSnapshot, lagger.LatestSnapshot.Index);
        Assert.Equal(1, c.Delivered.Count(m => m.Type == MessageType.SnapshotChunk && m.To == lagger.Id && m.SnapshotOffset == 0));
    }

    [Fact]
    public void A_restarted_follower_keeps_its_vote_and_log()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        leader.Propose(Data("a"));
        c.Stabilize();
        c.Tick();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        ulong term = follower.Term, last = follower.LastIndex;
        c.Restart(follower.Id.Value);
        var restarted = c[follower.Id.Value];
        Assert.Equal(term, restarted.Term);
        Assert.Equal(last, restarted.LastIndex);
        c.Tick(3);
        Assert.Equal(leader.Id, restarted.Leader);
    }

    [Fact]
    public void Read_index_on_leader_and_follower_returns_the_commit_index_after_a_quorum_round()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        leader.Propose(Data("a"));
        c.Stabilize();
        leader.ReadIndex(7);
        c.Stabilize();
        var read = Assert.Single(c.Reads[leader.Id]);
        Assert.Equal(7UL, read.RequestId);
        Assert.Equal(leader.CommitIndex, read.Index);

        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        follower.ReadIndex(8);
        c.Stabilize();
        var followerRead = Assert.Single(c.Reads[follower.Id]);
        Assert.Equal(8UL, followerRead.RequestId);
        Assert.Equal(leader.CommitIndex, followerRead.Index);
    }

    [Fact]
    public void A_follower_forwards_proposals_to_the_leader_which_commits_them_everywhere()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);

        var result = follower.ProposeOrForward([Data("x"), Data("y")]);
        c.Stabilize();

        Assert.Equal(ProposeStatus.Forwarded, result.Status);
        Assert.Equal(leader.Id, result.Leader);
        Assert.All(c.Nodes, n => Assert.Equal(["x", "y"], NormalPayloads(c.Applied[n.Id])));
        Assert.All(c.Applied[leader.Id].Where(e => e.Type == EntryType.Normal), e => Assert.Equal(leader.Term, e.Term));
    }

    [Theory]
    // Five voters: two copies are no quorum, so the leader's commit notice tells each follower.
    [InlineData(5, MessageType.Commit, MessageType.Durable)]
    // Three voters: the leader's durable notice lets a follower commit by itself; no commit notice is owed.
    [InlineData(3, MessageType.Durable, MessageType.Commit)]
    public void A_follower_learns_a_write_is_committed_from_one_notice_it_does_not_answer(int voters, MessageType notice, MessageType absent)
    {
        var c = new TestCluster(voters);
        var leader = c.ElectLeader();
        c.Delivered.Clear();

        var result = leader.Propose(Data("x"));
        c.Stabilize();

        Assert.All(c.Nodes, n => Assert.Equal(["x"], NormalPayloads(c.Applied[n.Id])));
        // One append and one acknowledgement per follower, then one unanswered notice each.
        var followers = c.Nodes.Where(n => n.Id != leader.Id).Select(n => n.Id).ToHashSet();
        Assert.Equal(followers.Count, c.Delivered.Count(m => m.Type == MessageType.Append && m.Entries.Length == 1));
        Assert.Equal(followers.Count, c.Delivered.Count(m => m.Type == MessageType.AppendResponse && !m.Reject));
        var notices = c.Delivered.Where(m => m.Type == notice).ToList();
        Assert.Equal(followers, notices.Select(m => m.To).ToHashSet());
        Assert.All(notices, m => Assert.Equal(result.Index, notice == MessageType.Commit ? m.Commit : m.Index));
        Assert.DoesNotContain(c.Delivered, m => m.Type == absent);
        Assert.DoesNotContain(c.Delivered, m => m.Type == MessageType.Append && m.Entries.Length == 0);
        Assert.Equal(followers.Count, c.Delivered.Count(m => m.From != leader.Id)); // the acknowledgements, nothing more
    }

    [Fact]
    public void A_follower_commits_what_it_and_the_leader_hold_durably_before_the_leader_knows_and_a_leader_read_covers_it()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        // The leader hears no acknowledgement of an append: only the followers can know the entry is committed.
        c.DropIf = m => m.Type == MessageType.AppendResponse;

        var result = leader.Propose(Data("x"));
        c.Stabilize();

        Assert.True(leader.CommitIndex < result.Index);
        Assert.All(c.Nodes.Where(n => n.Id != leader.Id), f =>
        {
            Assert.Equal(result.Index, f.CommitIndex);
            Assert.Equal(["x"], NormalPayloads(c.Applied[f.Id]));
        });

        // A linearizable read through the leader must not be served from before that write.
        leader.ReadIndex(42);
        c.Stabilize();
        var read = Assert.Single(c.Reads[leader.Id], r => r.RequestId == 42);
        Assert.True(read.Index >= result.Index, $"read index {read.Index} is before the write at {result.Index}");
    }

    [Fact]
    public void A_durable_notice_commits_nothing_the_follower_has_not_flushed_or_does_not_hold()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        ulong last = follower.LastIndex;
        Assert.Equal(last, follower.CommitIndex);

        // An append the follower has taken but not yet flushed (its Ready is not processed).
        follower.Step(new Message
        {
            Type = MessageType.Append, From = leader.Id, To = follower.Id, Term = leader.Term,
            Index = last, LogTerm = leader.Term, Commit = last, Entries = [new Entry(leader.Term, last + 1, EntryType.Normal, Data("y"))],
        });
        follower.Step(new Message { Type = MessageType.Durable, From = leader.Id, To = follower.Id, Term = leader.Term, Index = last + 5 });
        Assert.Equal(last, follower.CommitIndex);

        // Once its own copy is durable (Advance), the entry is on two of three: committed, and no further.
        var ready = follower.GetReady();
        follower.Advance(ready);
        Assert.Equal(last + 1, follower.CommitIndex);
    }

    [Fact]
    public void A_commit_notice_never_commits_past_what_the_follower_holds()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        ulong last = follower.LastIndex;

        // A notice naming a commit index beyond the follower's log (as a bug or a reordering might).
        follower.Step(new Message { Type = MessageType.Commit, From = leader.Id, To = follower.Id, Term = leader.Term, Commit = last + 5 });

        Assert.Equal(last, follower.CommitIndex);
    }

    [Fact]
    public void A_commit_notice_from_a_deposed_leader_tells_it_the_new_term()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        var other = c.Nodes.First(n => n.Id != leader.Id && n.Id != follower.Id);
        Assert.True(leader.TransferLeadership(other.Id));
        c.Stabilize();
        c.Delivered.Clear();

        follower.Step(new Message { Type = MessageType.Commit, From = leader.Id, To = follower.Id, Term = leader.Term - 1, Commit = 0 });
        c.Stabilize();

        Assert.Contains(c.Delivered, m => m.Type == MessageType.AppendResponse && m.From == follower.Id && m.To == leader.Id && m.Term == other.Term);
        Assert.Equal(other.Id, follower.Leader);
    }

    [Fact]
    public void On_the_leader_propose_or_forward_appends_directly()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var result = leader.ProposeOrForward([Data("x")]);
        Assert.Equal(ProposeStatus.Accepted, result.Status);
        c.Stabilize();
        Assert.Equal(["x"], NormalPayloads(c.Applied[leader.Id]));
    }

    [Fact]
    public void A_forward_from_a_stale_term_is_dropped()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        // The follower forwards, but the message is held back until a new leader is elected.
        Message? held = null;
        c.DropIf = m => { if (m.Type == MessageType.Propose) { held = m; return true; } return false; };
        follower.ProposeOrForward([Data("late")]);
        c.Stabilize();
        Assert.NotNull(held);
        c.DropIf = null;
        var other = c.Nodes.First(n => n.Id != leader.Id && n.Id != follower.Id);
        Assert.True(leader.TransferLeadership(other.Id));
        c.Stabilize();
        Assert.Equal(RaftRole.Leader, other.Role);

        other.Step(held! with { To = other.Id });
        c.Stabilize();

        Assert.All(c.Nodes, n => Assert.DoesNotContain("late", NormalPayloads(c.Applied[n.Id])));
    }

    [Fact]
    public void A_leader_handing_over_still_appends_forwarded_proposals_so_a_stream_is_never_cut_in_the_middle()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        var other = c.Nodes.First(n => n.Id != leader.Id && n.Id != follower.Id);
        c.Isolate(other.Id.Value); // the transfer cannot complete while this holds
        Assert.True(leader.TransferLeadership(other.Id));
        Assert.Equal(ProposeStatus.TransferInProgress, leader.Propose(Data("local")).Status);

        follower.ProposeOrForward([Data("a")]);
        follower.ProposeOrForward([Data("b")]);
        c.Stabilize();

        Assert.Equal(["a", "b"], NormalPayloads(c.Applied[follower.Id]));
    }

    [Fact]
    public void A_forwarded_membership_entry_is_ignored()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        ulong last = leader.LastIndex;
        leader.Step(new Message
        {
            Type = MessageType.Propose, From = follower.Id, To = leader.Id, Term = leader.Term,
            Entries = [new Entry(0, 0, EntryType.Membership, new Membership([1], []).Encode())],
        });
        c.Stabilize();
        Assert.Equal(last, leader.LastIndex);
    }

    [Fact]
    public void Read_index_is_not_confirmed_by_a_leader_cut_off_from_its_quorum()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        c.Isolate(leader.Id.Value);
        leader.ReadIndex(1);
        c.Stabilize();
        Assert.Empty(c.Reads[leader.Id]);
    }

    [Fact]
    public void Leadership_transfers_to_an_up_to_date_voter()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        leader.Propose(Data("a"));
        c.Stabilize();
        var target = c.Nodes.First(n => n.Role == RaftRole.Follower);
        Assert.True(leader.TransferLeadership(target.Id));
        c.Stabilize();
        Assert.Equal(RaftRole.Leader, target.Role);
        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.True(target.Term > leader.Term - 1);
    }

    [Fact]
    public void A_learner_replicates_without_voting_then_is_promoted()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        leader.Propose(Data("a"));
        c.Tick(2);
        c.Add(new NodeId(4), new RaftOptions { Id = 4 });
        var add = leader.ProposeMembershipChange(new MembershipChange(MembershipChangeType.AddLearner, 4));
        Assert.True(add.IsAccepted, add.Error);
        c.Tick(3);
        var learner = c[4];
        Assert.True(learner.Membership.IsLearner(4));
        Assert.Equal(leader.LastIndex, learner.LastIndex);
        Assert.Equal(3, leader.Membership.Voters.Count);

        var promote = leader.ProposeMembershipChange(new MembershipChange(MembershipChangeType.AddVoter, 4));
        Assert.True(promote.IsAccepted, promote.Error);
        c.Tick(3);
        Assert.All(c.Nodes, n => Assert.True(n.Membership.IsVoter(4)));
        Assert.Equal(3, leader.Membership.Quorum);
    }

    [Fact]
    public void Only_one_membership_change_at_a_time()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        c.Tick(2);
        c.Isolate(2);
        c.Isolate(3);
        Assert.True(leader.ProposeMembershipChange(new MembershipChange(MembershipChangeType.AddLearner, 4)).IsAccepted);
        var second = leader.ProposeMembershipChange(new MembershipChange(MembershipChangeType.AddLearner, 5));
        Assert.Equal(ProposeStatus.MembershipChangeInProgress, second.Status);
    }

    [Fact]
    public void A_leader_that_removes_itself_steps_down_once_the_removal_commits()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        c.Tick(2);
        var remove = leader.ProposeMembershipChange(new MembershipChange(MembershipChangeType.Remove, leader.Id));
        Assert.True(remove.IsAccepted, remove.Error);
        c.Tick(1);
        Assert.NotEqual(RaftRole.Leader, leader.Role);
        Assert.False(leader.Membership.IsVoter(leader.Id));
        c.Tick(40);
        var newLeader = c.Nodes.Single(n => n.Role == RaftRole.Leader);
        Assert.NotEqual(leader.Id, newLeader.Id);
        Assert.Equal(2, newLeader.Membership.Voters.Count);
    }

    [Fact]
    public void Uncommitted_bytes_are_bounded()
    {
        var c = new TestCluster(3, id => new RaftOptions
        {
            Id = id,
            InitialMembership = Membership.OfVoters(new NodeId(1), new NodeId(2), new NodeId(3)),
            MaxUncommittedBytes = 1000,
        });
        var leader = c.ElectLeader();
        c.Isolate(leader.Id.Value);
        ProposeResult last = default;
        for (int i = 0; i < 100 && (i == 0 || last.IsAccepted); i++)
        {
            last = leader.Propose(new byte[100]);
        }
        Assert.Equal(ProposeStatus.Overloaded, last.Status);
    }

    /// <summary>
    /// Three nodes; one follower was cut off while the leader committed 30 entries and compacted
    /// them all into a snapshot, so the follower can only catch up from that snapshot. The link is
    /// still cut when this returns.
    /// </summary>
    private static (TestCluster Cluster, RaftNode Leader, RaftNode Lagger) ClusterWithFollowerBehindSnapshot(int chunkBytes)
    {
        var c = new TestCluster(3, id => new RaftOptions
        {
            Id = id,
            InitialMembership = Membership.OfVoters(new NodeId(1), new NodeId(2), new NodeId(3)),
            SnapshotChunkBytes = chunkBytes,
            RetainedEntriesAfterCompaction = 0,
        });
        var leader = c.ElectLeader();
        var lagger = c.Nodes.First(n => n.Role == RaftRole.Follower);
        c.Isolate(lagger.Id.Value);
        for (int i = 0; i < 30; i++)
        {
            leader.Propose(Data($"v{i}"));
        }
        c.Stabilize();
        c.Tick();
        c.Compact(leader.Id.Value, leader.AppliedIndex);
        return (c, leader, lagger);
    }
}
