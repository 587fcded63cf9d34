using Colony.Consensus.KeyValue;
using Colony.Consensus.StateMachine;
using Colony.Core;

namespace Colony.Consensus.Tests;

/// <summary>When a replica takes local snapshots, with the default inline scheduler. (The pipeline's steps on a real store: Colony.Consensus.Storage.Tests.)</summary>
public class RaftReplicaSnapshotTests
{
    private sealed class OneVoter : IMessageTransport, IReplicaListener
    {
        public OneVoter(ReplicaOptions options)
        {
            Machine = new CompositeStateMachine(KeyValue);
            var raft = new RaftOptions { Id = new NodeId(1), InitialMembership = Membership.OfVoters(1), RetainedEntriesAfterCompaction = 0 };
            Replica = RaftReplica.Recover(raft, options, Store, Machine, this, this, new SeededRandom(3));
            for (int i = 0; i < 100 && Replica.Node.Role != RaftRole.Leader; i++)
            {
                Replica.Node.Tick();
                RunCycles();
            }
            Assert.Equal(RaftRole.Leader, Replica.Node.Role);
        }

        public InMemoryRaftLogStore Store { get; } = new();

        public KeyValueModule KeyValue { get; } = new();

        public CompositeStateMachine Machine { get; }

        public RaftReplica Replica { get; }

        public ulong StoredSnapshotIndex => Store.Load().Snapshot.Metadata.Index;

        public void Put(string key, string value)
        {
            Assert.True(Replica.Node.Propose(CommandBatch.Encode(ModuleId.KeyValue, KeyValueCommand.EncodePut(key, value))).IsAccepted);
            RunCycles();
        }

        public void Send(Message message) => throw new InvalidOperationException("a one-voter cluster sends nothing");

        private void RunCycles()
        {
            while (Replica.RunCycle())
            {
            }
        }
    }

    [Fact]
    public void By_default_the_snapshot_is_stored_and_the_log_compacted_within_the_cycle_that_reaches_the_threshold()
    {
        var node = new OneVoter(new ReplicaOptions { SnapshotEveryEntries = 10 });
        int k = 0;
        while (node.Replica.Node.AppliedIndex < 10)
        {
            Assert.Equal(0ul, node.StoredSnapshotIndex);
            node.Put($"k{k++}", "v");
        }

        Assert.Equal(10ul, node.StoredSnapshotIndex);
        Assert.Equal(10ul, node.Replica.CommittedSnapshotIndex);
        Assert.False(node.Replica.SnapshotInFlight);
        Assert.Empty(node.Store.Load().Entries);
    }

    [Fact]
    public void With_a_log_bytes_ratio_a_snapshot_waits_until_the_log_since_the_last_one_outweighs_it()
    {
        // Fresh keys: the state grows with the log, so each snapshot waits for a log as large as the last one.
        var node = new OneVoter(new ReplicaOptions { SnapshotEveryEntries = 10, SnapshotLogBytesRatio = 1 });
        string value = new('v', 200);
        var taken = new List<ulong>();
        for (int k = 0; k < 400; k++)
        {
            node.Put($"k{k:D4}", value);
            if (node.Replica.CommittedSnapshotIndex != (taken.Count > 0 ? taken[^1] : 0))
            {
                taken.Add(node.Replica.CommittedSnapshotIndex);
            }
        }

        Assert.Equal(10ul, taken[0]); // nothing to outweigh yet
        for (int i = 1; i < taken.Count; i++)
        {
            // The log since the last snapshot (≈ 230 bytes an entry) must reach its size (≈ 220 bytes a key).
            Assert.InRange(taken[i] - taken[i - 1], (taken[i - 1] - 1) * 9 / 10, (taken[i - 1] + 10) * 11 / 10);
        }
        Assert.InRange(taken.Count, 5, 7); // 10, ~20, ~40, ~80, ~160, ~320: doubling, not every 10 entries
    }
}
