using Colony.Consensus;
using Colony.Consensus.KeyValue;
using Colony.Consensus.StateMachine;
using Colony.Core;
using Colony.Testing.Storage;

namespace Colony.Consensus.Storage.Tests;

/// <summary>
/// A one-voter <see cref="RaftReplica"/> with the key-value module, on a <see cref="SegmentedLogStore"/>
/// in a simulated file system that can crash. Every proposal commits in its own cycle. The snapshot's
/// slow steps go to <see cref="Scheduler"/>, which holds them until the test runs them.
/// </summary>
internal sealed class ReplicaOnDisk : IMessageTransport, IReplicaListener, IDisposable
{
    private const string Directory = "node/raft";
    private readonly ulong _snapshotEveryEntries;

    public ReplicaOnDisk(ulong snapshotEveryEntries)
    {
        _snapshotEveryEntries = snapshotEveryEntries;
        Start();
    }

    public SimFileSystem FileSystem { get; } = new();

    public HeldScheduler Scheduler { get; } = new();

    public SegmentedLogStore Store { get; private set; } = null!;

    public KeyValueModule KeyValue { get; private set; } = null!;

    public RaftReplica Replica { get; private set; } = null!;

    /// <summary>What the store recovered at the last start.</summary>
    public PersistentState Recovered { get; private set; } = PersistentState.Empty;

    public List<string> Files(string extension) =>
        FileSystem.ListFiles(Directory).Where(n => n.EndsWith(extension, StringComparison.Ordinal)).ToList();

    /// <summary>Proposes a put and runs cycles until there is nothing left to do.</summary>
    public void Put(string key, string value)
    {
        var result = Replica.Node.Propose(CommandBatch.Encode(ModuleId.KeyValue, KeyValueCommand.EncodePut(key, value)));
        Assert.True(result.IsAccepted, $"proposal refused: {result.Status}");
        RunCycles();
    }

    public void RunCycles()
    {
        while (Replica.RunCycle())
        {
        }
    }

    /// <summary>The power goes out, then the node starts again from what its disk kept.</summary>
    public void CrashAndRestart()
    {
        FileSystem.Crash(new SeededRandom(7));
        Store.Dispose();
        Scheduler.Clear();
        Start();
    }

    public void Send(Message message) => throw new InvalidOperationException($"a one-voter cluster sends nothing, yet sent {message.Type}");

    public void Dispose() => Store.Dispose();

    private void Start()
    {
        Store = new SegmentedLogStore(FileSystem, Directory, new LogStoreOptions { SegmentBytes = 1024, MaxBufferedBytes = 4096 });
        KeyValue = new KeyValueModule();
        var raft = new RaftOptions { Id = new NodeId(1), InitialMembership = Membership.OfVoters(1), RetainedEntriesAfterCompaction = 0 };
        var replica = new ReplicaOptions { SnapshotEveryEntries = _snapshotEveryEntries, SnapshotScheduler = Scheduler };
        var store = new RecordingStore(Store);
        Replica = RaftReplica.Recover(raft, replica, store, new CompositeStateMachine(KeyValue), this, this, new SeededRandom(1));
        Recovered = store.Loaded!;
        for (int i = 0; i < 100 && Replica.Node.Role != RaftRole.Leader; i++)
        {
            Replica.Node.Tick();
            RunCycles();
        }
        Assert.Equal(RaftRole.Leader, Replica.Node.Role);
        RunCycles();
    }

    /// <summary>Remembers what Load returned; everything else goes straight to the store.</summary>
    private sealed class RecordingStore(SegmentedLogStore inner) : IRaftLogStore
    {
        public PersistentState? Loaded { get; private set; }

        public PersistentState Load() => Loaded = inner.Load();

        public void Append(IReadOnlyList<Entry> entries) => inner.Append(entries);

        public void SetHardState(HardState state) => inner.SetHardState(state);

        public void SaveSnapshot(Snapshot snapshot) => inner.SaveSnapshot(snapshot);

        public ISnapshotSave BeginSaveSnapshot(Snapshot snapshot) => inner.BeginSaveSnapshot(snapshot);

        public void InstallSnapshot(Snapshot snapshot) => inner.InstallSnapshot(snapshot);

        public void Sync() => inner.Sync();

        public void Dispose() => inner.Dispose();
    }
}

/// <summary>A snapshot scheduler that runs nothing until told to: the test plays the background thread.</summary>
internal sealed class HeldScheduler : ISnapshotScheduler
{
    private readonly Queue<Action> _held = new();

    public int Held => _held.Count;

    /// <summary>The number of steps scheduled so far.</summary>
    public int Scheduled { get; private set; }

    public void Schedule(Action work)
    {
        Scheduled++;
        _held.Enqueue(work);
    }

    public void RunNext() => _held.Dequeue()();

    public void Clear() => _held.Clear();
}
