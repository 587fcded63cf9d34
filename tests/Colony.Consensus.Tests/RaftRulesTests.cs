using System.Text;
using Colony.Consensus;
using Colony.Core;

namespace Colony.Consensus.Tests;

/// <summary>Single rules of the Raft paper, each checked in isolation on one node or a small cluster.</summary>
public class RaftRulesTests
{
    private static readonly Membership ThreeVoters = Membership.OfVoters(new NodeId(1), new NodeId(2), new NodeId(3));

    private static RaftNode NewNode(ulong id, PersistentState? state = null, Func<RaftOptions, RaftOptions>? tweak = null)
    {
        var options = new RaftOptions { Id = id, InitialMembership = ThreeVoters };
        return new RaftNode(tweak?.Invoke(options) ?? options, state ?? PersistentState.Empty, new SeededRandom(id));
    }

    /// <summary>Without check-quorum, so a fresh node answers vote requests at once.</summary>
    private static RaftOptions NoLease(RaftOptions o) => new() { Id = o.Id, InitialMembership = o.InitialMembership, CheckQuorum = false };

    private static Ready Drain(RaftNode node)
    {
        var ready = node.GetReady();
        node.Advance(ready);
        return ready;
    }

    private static Message VoteRequest(ulong from, ulong term, ulong lastIndex, ulong lastTerm, bool pre = false) => new()
    {
        Type = pre ? MessageType.PreVote : MessageType.Vote,
        From = from,
        To = 1,
        Term = term,
        Index = lastIndex,
        LogTerm = lastTerm,
    };

    private static Message Response(Ready ready, MessageType type) =>
        ready.MessagesAfterPersist.Concat(ready.Messages).Single(m => m.Type == type);

    [Fact]
    public void A_voter_grants_at_most_one_vote_per_term_even_across_a_restart()
    {
        var node = NewNode(1, tweak: NoLease);
        node.Step(VoteRequest(2, term: 5, lastIndex: 0, lastTerm: 0));
        var first = Drain(node);
        Assert.False(Response(first, MessageType.VoteResponse).Reject);
        Assert.Equal(new NodeId(2), first.HardState!.Value.Vote);

        var restarted = NewNode(1, new PersistentState(first.HardState.Value, Snapshot.Empty, []), NoLease);
        restarted.Step(VoteRequest(3, term: 5, lastIndex: 0, lastTerm: 0));
        Assert.True(Response(Drain(restarted), MessageType.VoteResponse).Reject);
    }

    [Fact]
    public void The_injected_double_vote_bug_grants_a_second_vote()
    {
        var node = NewNode(1, tweak: o => new RaftOptions { Id = o.Id, InitialMembership = o.InitialMembership, CheckQuorum = false, Bugs = InjectedBugs.DoubleVote });
        node.Step(VoteRequest(2, term: 5, lastIndex: 0, lastTerm: 0));
        Drain(node);
        node.Step(VoteRequest(3, term: 5, lastIndex: 0, lastTerm: 0));
        Assert.False(Response(Drain(node), MessageType.VoteResponse).Reject);
    }

    [Fact]
    public void A_durable_notice_commits_an_entry_of_an_earlier_term_only_through_one_of_this_term()
    {
        // The follower holds entry 2 of term 2, as does the leader of term 3 (Figure 8 of the Raft paper):
        // two copies of an earlier term's entry are no commitment, another leader could still replace it.
        var entries = new[] { new Entry(1, 1, EntryType.Normal, new byte[1]), new Entry(2, 2, EntryType.Normal, new byte[1]) };
        var node = NewNode(1, new PersistentState(new HardState(3, NodeId.None, 0), Snapshot.Empty, entries), NoLease);
        node.Step(new Message { Type = MessageType.Append, From = 2, To = 1, Term = 3, Index = 2, LogTerm = 2 });
        Drain(node);
        node.Step(new Message { Type = MessageType.Durable, From = 2, To = 1, Term = 3, Index = 2 });
        Drain(node);
        Assert.Equal(0ul, node.CommitIndex);

        // The leader's own entry of term 3, durable on both, commits it and everything before it.
        node.Step(new Message { Type = MessageType.Append, From = 2, To = 1, Term = 3, Index = 2, LogTerm = 2, Entries = [new Entry(3, 3, EntryType.Noop, ReadOnlyMemory<byte>.Empty)] });
        node.Step(new Message { Type = MessageType.Durable, From = 2, To = 1, Term = 3, Index = 3 });
        Assert.Equal(0ul, node.CommitIndex); // not before our own copy is flushed
        Drain(node);
        Assert.Equal(3ul, node.CommitIndex);
    }

    [Fact]
    public void A_durable_notice_from_an_earlier_terms_leader_commits_nothing()
    {
        var entries = new[] { new Entry(2, 1, EntryType.Normal, new byte[1]) };
        var node = NewNode(1, new PersistentState(new HardState(3, NodeId.None, 0), Snapshot.Empty, entries), NoLease);
        node.Step(new Message { Type = MessageType.Durable, From = 2, To = 1, Term = 2, Index = 1 });
        var ready = Drain(node);
        Assert.Equal(0ul, node.CommitIndex);
        // The deposed leader is told the newer term.
        Assert.Contains(ready.MessagesAfterPersist, m => m.Type == MessageType.AppendResponse && m.To == new NodeId(2) && m.Term == 3);
    }

    [Fact]
    public void A_vote_is_refused_to_a_candidate_with_a_less_up_to_date_log()
    {
        var entries = new[] { new Entry(3, 1, EntryType.Normal, new byte[1]), new Entry(3, 2, EntryType.Normal, new byte[1]) };
        var node = NewNode(1, new PersistentState(new HardState(3, NodeId.None, 0), Snapshot.Empty, entries), NoLease);
        // Same last term, shorter log.
        node.Step(VoteRequest(2, term: 4, lastIndex: 1, lastTerm: 3));
        Assert.True(Response(Drain(node), MessageType.VoteResponse).Reject);
        // Older last term, longer log.
        node.Step(VoteRequest(3, term: 5, lastIndex: 9, lastTerm: 2));
        Assert.True(Response(Drain(node), MessageType.VoteResponse).Reject);
        // Later last term wins even with a shorter log.
        node.Step(VoteRequest(2, term: 6, lastIndex: 1, lastTerm: 4));
        Assert.False(Response(Drain(node), MessageType.VoteResponse).Reject);
    }

    [Fact]
    public void A_pre_vote_changes_neither_term_nor_vote()
    {
        var node = NewNode(1, tweak: NoLease);
        node.Step(VoteRequest(2, term: 7, lastIndex: 0, lastTerm: 0, pre: true));
        var ready = Drain(node);
        var response = Response(ready, MessageType.PreVoteResponse);
        Assert.False(response.Reject);
        Assert.Equal(7UL, response.Term);
        Assert.Equal(0UL, node.Term);
        Assert.Null(ready.HardState);
    }

    [Fact]
    public void Vote_requests_and_acks_wait_for_persistence_but_appends_from_the_leader_do_not()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        leader.Propose(Encoding.UTF8.GetBytes("x"));
        var ready = leader.GetReady();
        Assert.Contains(ready.Messages, m => m.Type == MessageType.Append && m.Entries.Length > 0);
        Assert.Contains(ready.Entries, e => e.Type == EntryType.Normal);
        leader.Advance(ready);

        var candidate = NewNode(2, tweak: o => new RaftOptions { Id = o.Id, InitialMembership = o.InitialMembership, PreVote = false });
        candidate.Campaign();
        var campaign = candidate.GetReady();
        Assert.Equal(RaftRole.Candidate, candidate.Role);
        Assert.DoesNotContain(campaign.Messages, m => m.Type == MessageType.Vote);
        Assert.Equal(2, campaign.MessagesAfterPersist.Count(m => m.Type == MessageType.Vote));
        Assert.Equal(new HardState(candidate.Term, new NodeId(2), 0), campaign.HardState);
    }

    [Fact]
    public void A_leader_does_not_commit_an_earlier_term_entry_by_counting_replicas()
    {
        // Five voters; leader 1 gets entry X (term t) onto node 2 only, then is cut off.
        var c = new TestCluster(5, id => new RaftOptions
        {
            Id = id,
            InitialMembership = Membership.OfVoters(Enumerable.Range(1, 5).Select(i => new NodeId((ulong)i))),
            MaxAppendBytes = 1, // one entry per Append, so X and the new leader's entry are acked apart
            PreVote = false,    // plain elections, so the test can start one exactly when it wants
            CheckQuorum = false,
        });
        var leader = c.ElectLeader();
        c.Tick(2);
        foreach (var other in new ulong[] { 3, 4, 5 })
        {
            c.Cut(leader.Id.Value, other);
        }
        var x = leader.Propose(Encoding.UTF8.GetBytes("X"));
        c.Stabilize();
        c.Isolate(leader.Id.Value);
        // The other holder of X wins the next election; acks for anything past X are dropped, so the
        // new leader sees X (of the old term) on a majority but never its own entry.
        var holder = c.Nodes.Single(n => n.Id != leader.Id && n.LastIndex == x.Index);
        foreach (var other in c.Nodes.Where(n => n.Id != holder.Id && n.Id != leader.Id))
        {
            other.Tick(); // keep the others quiet: only the holder campaigns
        }
        c.DropIf = m => m.Type == MessageType.AppendResponse && !m.Reject && m.Index > x.Index;
        holder.Campaign();
        c.Stabilize();
        Assert.Equal(RaftRole.Leader, holder.Role);
        c.Tick(3);
        // X is now on a majority (2, 3, 4 or 5 got it), but it is of an earlier term: not committed.
        int replicas = c.Nodes.Count(n => n.LastIndex >= x.Index && n.GetEntries(x.Index, x.Index).Single().Term == x.Term);
        Assert.True(replicas >= 3, $"X on {replicas} nodes");
        Assert.True(holder.CommitIndex < x.Index);
        // Once an entry of the new term replicates, both commit.
        c.DropIf = null;
        c.Tick(3);
        Assert.True(holder.CommitIndex > x.Index);
    }

    [Fact]
    public void Fast_back_tracking_skips_a_whole_conflicting_term_per_round_trip()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        c.Tick(2);
        var follower = c.Nodes.First(n => n.Role == RaftRole.Follower);
        c.Isolate(follower.Id.Value);
        // The follower's neighbours keep going; the isolated leader... is not the one isolated here:
        // give the follower nothing new, and the rest 300 entries spread over a few terms.
        for (int term = 0; term < 3; term++)
        {
            var current = c.Leader!;
            for (int i = 0; i < 100; i++)
            {
                current.Propose(new byte[8]);
            }
            c.Stabilize();
            c.Tick(2);
            var next = c.Nodes.First(n => n.Id != current.Id && n.Id != follower.Id);
            current.TransferLeadership(next.Id);
            c.Stabilize();
        }
        c.Delivered.Clear();
        c.Heal();
        c.Tick(3);
        Assert.Equal(c.Leader!.LastIndex, follower.LastIndex);
        int rejections = c.Delivered.Count(m => m.Type == MessageType.AppendResponse && m.Reject && m.From == follower.Id);
        Assert.True(rejections <= 3, $"{rejections} rejections");
    }

    [Fact]
    public void Pipelining_stops_at_the_inflight_limit_and_recovers_from_lost_appends()
    {
        var c = new TestCluster(3, id => new RaftOptions { Id = id, InitialMembership = ThreeVoters, MaxInflightAppends = 4, MaxAppendBytes = 1 });
        var leader = c.ElectLeader();
        c.Tick(2);
        for (int i = 0; i < 50; i++)
        {
            leader.Propose(new byte[8]);
        }
        var ready = leader.GetReady();
        foreach (var follower in c.Nodes.Where(n => n.Id != leader.Id))
        {
            Assert.Equal(4, ready.Messages.Count(m => m.Type == MessageType.Append && m.To == follower.Id));
        }
        // Those first appends are never delivered (lost): the leader notices the follower's match
        // stalling across heartbeats, probes again and then streams the rest.
        leader.Advance(ready);
        c.Stabilize();
        c.Tick(10);
        Assert.All(c.Nodes, n => Assert.Equal(leader.LastIndex, n.LastIndex));
    }

    [Fact]
    public void A_stale_leader_steps_down_when_it_hears_a_higher_term()
    {
        var c = new TestCluster(3);
        var old = c.ElectLeader();
        c.Isolate(old.Id.Value);
        // The old leader's check-quorum is what we avoid here: the majority moves on quickly.
        var other = c.Nodes.First(n => n.Id != old.Id);
        other.Campaign();
        c.Stabilize();
        c.Tick(30);
        var newLeader = c.Nodes.Single(n => n.Role == RaftRole.Leader && n.Id != old.Id);
        c.Heal();
        c.Tick(3);
        Assert.Equal(RaftRole.Follower, old.Role);
        Assert.Equal(newLeader.Term, old.Term);
        Assert.Equal(newLeader.Id, old.Leader);
    }

    [Fact]
    public void Reads_wait_until_the_new_leader_commits_an_entry_of_its_term()
    {
        var c = new TestCluster(3, id => new RaftOptions { Id = id, InitialMembership = ThreeVoters, PreVote = false, CheckQuorum = false });
        var leader = c.ElectLeader();
        c.Tick(2);
        c.Isolate(leader.Id.Value);
        var next = c.Nodes.First(n => n.Id != leader.Id);
        ulong oldTerm = leader.Term;
        next.Campaign();
        c.DropIf = m => m.Type == MessageType.Append && m.Term > oldTerm;
        c.Stabilize();
        Assert.Equal(RaftRole.Leader, next.Role);
        next.ReadIndex(42);
        c.Stabilize();
        Assert.Empty(c.Reads[next.Id]);
        c.DropIf = null;
        c.Tick(2);
        var read = Assert.Single(c.Reads[next.Id]);
        // The read point includes the new term's first entry: everything earlier leaders committed.
        Assert.True(next.GetEntries(read.Index, read.Index).Single().Term == next.Term || read.Index > 0);
        Assert.True(read.Index >= next.GetStatus().FirstIndex && next.GetEntries(1, read.Index).Any(e => e.Term == next.Term));
    }

    [Fact]
    public void A_lease_leader_answers_reads_at_once_only_while_a_quorum_acked_recently()
    {
        var c = new TestCluster(3, id => new RaftOptions { Id = id, InitialMembership = ThreeVoters, ReadMode = ReadMode.Lease });
        var leader = c.ElectLeader();
        c.Tick(3);
        leader.ReadIndex(1);
        var ready = leader.GetReady();
        Assert.Equal(new ReadState(1, leader.CommitIndex), Assert.Single(ready.ReadStates)); // no round trip needed
        leader.Advance(ready);

        c.Isolate(leader.Id.Value);
        // Ticks pass without acks; check-quorum has not yet deposed it, but its lease has run out.
        for (int i = 0; i < 9; i++)
        {
            leader.Tick();
        }
        Assert.Equal(RaftRole.Leader, leader.Role);
        leader.ReadIndex(2);
        c.Stabilize();
        Assert.DoesNotContain(c.Reads[leader.Id], r => r.RequestId == 2);
    }

    [Fact]
    public void A_lease_leader_that_sent_TimeoutNow_confirms_reads_with_a_round_again()
    {
        // The transferee campaigns past the voters' lease, so a new leader may be elected while the old
        // one's lease still looks valid: after TimeoutNow the old leader must not answer from its lease.
        var c = new TestCluster(3, id => new RaftOptions { Id = id, InitialMembership = ThreeVoters, ReadMode = ReadMode.Lease });
        var leader = c.ElectLeader();
        c.Tick(3);
        var target = c.Nodes.First(n => n.Id != leader.Id);
        bool timeoutNowSent = false;
        c.DropIf = m =>
        {
            bool transfer = m.Type == MessageType.TimeoutNow; // held back: still on its way
            timeoutNowSent |= transfer;
            return transfer;
        };
        Assert.True(leader.TransferLeadership(target.Id));
        c.Stabilize();
        Assert.True(timeoutNowSent);
        Assert.Equal(RaftRole.Leader, leader.Role);

        leader.ReadIndex(7);
        var ready = leader.GetReady();
        Assert.DoesNotContain(ready.ReadStates, r => r.RequestId == 7);
        leader.Advance(ready);
    }

    [Fact]
    public void A_restarted_voter_ignores_candidates_for_an_election_timeout()
    {
        var node = NewNode(1);
        node.Step(VoteRequest(2, term: 5, lastIndex: 0, lastTerm: 0));
        Assert.Empty(Drain(node).MessagesAfterPersist);
        for (int i = 0; i < 10; i++)
        {
            node.Tick();
        }
        Drain(node);
        node.Step(VoteRequest(2, term: 5, lastIndex: 0, lastTerm: 0));
        Assert.False(Response(Drain(node), MessageType.VoteResponse).Reject);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new RaftOptions { Id = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { Id = 1, ElectionTicks = 1, HeartbeatTicks = 1 }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { Id = 1, CheckQuorum = false, ReadMode = ReadMode.Lease }.Validate());
        new RaftOptions { Id = 1 }.Validate();
    }
}
