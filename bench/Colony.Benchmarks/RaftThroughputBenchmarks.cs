using BenchmarkDotNet.Attributes;
using Colony.Consensus;
using Colony.Core;

namespace Colony.Benchmarks;

/// <summary>
/// Committed 100-byte proposals per second through a three-node cluster in one process: the Raft
/// core and its driver, with in-memory storage and transport, so the algorithm is what is measured.
/// <see cref="Proposers"/> proposals arrive per driver cycle, as they would from that many
/// concurrent clients between two flushes.
/// </summary>
[MemoryDiagnoser]
public class RaftThroughputBenchmarks
{
    private const int EntriesPerInvoke = 20_000;
    private static readonly byte[] Payload = new byte[100];

    private InMemoryCluster _cluster = null!;

    [Params(1, 16, 256)]
    public int Proposers { get; set; }

    [IterationSetup]
    public void Setup() => _cluster = new InMemoryCluster(3);

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong ProposeAndCommit()
    {
        var leader = _cluster.Leader;
        ulong target = 0;
        int proposed = 0;
        var batch = new ReadOnlyMemory<byte>[Proposers];
        Array.Fill(batch, Payload);
        while (proposed < EntriesPerInvoke)
        {
            var result = leader.Node.Propose(batch);
            if (!result.IsAccepted)
            {
                throw new InvalidOperationException($"proposal refused: {result.Status}");
            }
            proposed += batch.Length;
            target = result.Index + (ulong)batch.Length - 1;
            _cluster.RunCycles();
        }
        while (leader.Node.AppliedIndex < target)
        {
            _cluster.RunCycles();
        }
        return leader.Node.AppliedIndex;
    }

    /// <summary>Three replicas whose transport is a shared queue, drained between cycles.</summary>
    private sealed class InMemoryCluster : IMessageTransport
    {
        private readonly Dictionary<NodeId, RaftReplica> _replicas = [];
        private readonly Queue<Message> _queue = new();

        public InMemoryCluster(int size)
        {
            var membership = Membership.OfVoters(Enumerable.Range(1, size).Select(i => new NodeId((ulong)i)));
            foreach (var id in membership.Voters)
            {
                var options = new RaftOptions { Id = id, InitialMembership = membership };
                _replicas[id] = RaftReplica.Recover(
                    options, new ReplicaOptions { SnapshotEveryEntries = ulong.MaxValue }, new InMemoryRaftLogStore(),
                    new CountingStateMachine(), this, new NoListener(), new SeededRandom(id.Value));
            }
            for (int i = 0; i < 1000 && _replicas.Values.All(r => r.Node.Role != RaftRole.Leader); i++)
            {
                foreach (var replica in _replicas.Values)
                {
                    replica.Node.Tick();
                }
                RunCycles();
            }
            Leader = _replicas.Values.Single(r => r.Node.Role == RaftRole.Leader);
            RunCycles();
        }

        public RaftReplica Leader { get; }

        public void Send(Message message) => _queue.Enqueue(message);

        public void RunCycles()
        {
            foreach (var replica in _replicas.Values)
            {
                replica.RunCycle();
            }
            while (_queue.TryDequeue(out var message))
            {
                _replicas[message.To].Node.Step(message);
            }
        }
    }

    private sealed class CountingStateMachine : IStateMachine
    {
        public long Applied { get; private set; }

        public void Apply(in Entry entry) => Applied++;

        public void WriteSnapshot(Stream destination)
        {
        }

        public void Restore(Stream source)
        {
        }
    }

    private sealed class NoListener : IReplicaListener;
}
