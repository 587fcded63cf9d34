using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.Channels;
using Colony.Consensus;
using Colony.Consensus.KeyValue;
using Colony.Consensus.StateMachine;
using Colony.Consensus.Storage;
using Colony.Core;
using Colony.Node.Diagnostics;
using Colony.Node.Peers;
using Colony.Node.Security;
using Colony.Node.Threading;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Hosting;

/// <summary>The outcome of a write through the log.</summary>
public enum WriteOutcome
{
    Committed,
    NotLeader,
    Rejected,
    Lost,
}

/// <summary>
/// Runs one node's Raft replica: every input (peer message, tick, client request) waits in a queue
/// for the loop, and one thread at a time runs the loop, so the core and the state machine are only
/// ever touched by one thread. That is the loop's own thread, or a peer's receiving thread that
/// found the loop idle (see <see cref="OnPeerInput"/>). After each batch of input the loop runs Ready
/// cycles, flushing the write-ahead log once per cycle (group commit), and publishes a status
/// snapshot for HTTP readers. Proposals that arrived together are proposed together; snapshots are
/// written on a thread of their own.
/// </summary>
public sealed partial class ReplicaLoop : IReplicaListener, IAsyncDisposable
{
    /// <summary>Key prefix of the replicated address book: "colony/members/{id}" = "{peer} {http}[ {zookeeper}]".</summary>
    public const string MemberKeyPrefix = "colony/members/";

    /// <summary>How long a write waits for the log before it is answered "outcome unknown".</summary>
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentQueue<Action> _work = new();
    private readonly ConcurrentQueue<PendingWrite> _proposals = new();
    private readonly WakeSignal _signal = new();
    private readonly NodeOptions _options;
    private readonly ILogger _logger;
    private readonly PeerTransport _transport;
    private readonly PeerListener _listener;
    private readonly Channel<Message> _inbox = Channel.CreateBounded<Message>(new BoundedChannelOptions(1 << 16) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly KeyValueModule _keyValue = new();
    private readonly SegmentedLogStore _store;
    private readonly RaftReplica _replica;
    private readonly Dictionary<ulong, PendingWrite> _pendingWrites = [];
    private readonly Queue<PendingWrite> _writesByAge = new(); // proposal order, for the timeout
    private readonly List<ReadOnlyMemory<byte>> _proposalBatch = [];
    private readonly List<PendingWrite> _proposalWriters = [];
    private readonly Dictionary<ulong, Action<bool>> _pendingReads = [];
    private readonly List<(ulong Index, Action<bool> Serve)> _readsWaitingForApply = [];
    private readonly Dictionary<ulong, MemberAddress> _addresses = [];
    private readonly Thread _thread;
    private readonly ITimer _ticker;
    private readonly NodeMetrics? _metrics;
    private readonly BackgroundSnapshotScheduler _snapshots;
    private readonly long _writeTimeoutTicks;
    private volatile bool _stopping;
    private int _owned; // 1 while a thread runs the loop (TryRunOwned)
    private int _poked; // 1 when woken for something outside the queues
    [ThreadStatic]
    private static bool t_submitting; // SubmitAndRun's posts on this thread queue without waking the loop
    private long _ticks;
    private ulong _nextReadId;
    private volatile NodeStatus _status;
    private volatile IReadOnlyDictionary<ulong, string> _memberHttp = new Dictionary<ulong, string>();

    public ReplicaLoop(NodeOptions options, ILoggerFactory loggers, TimeProvider time, NodeMetrics? metrics = null, NodeTls? tls = null, FaultHooks? hooks = null)
    {
        _options = options;
        Tls = tls ?? NodeTls.None;
        _metrics = metrics;
        _logger = loggers.CreateLogger<ReplicaLoop>();
        var membership = options.Join
            ? Membership.Empty
            : Membership.OfVoters(options.Members.Select(m => new NodeId(m.Id)));
        foreach (var member in options.Members)
        {
            _addresses[member.Id] = new MemberAddress(member.Peer, member.Http,
                member.Id == options.NodeId ? options.ZooKeeper : member.ZooKeeper);
        }
        var raftOptions = new RaftOptions
        {
            Id = options.NodeId,
            ElectionTicks = options.ElectionTicks,
            HeartbeatTicks = options.HeartbeatTicks,
            InitialMembership = membership,
        };
        var secret = options.LoadSecret();
        // Reconnect quickly: a restarted peer should rejoin within about a second, not after a long backoff.
        var peerOptions = new PeerTransportOptions
        {
            LocalId = options.NodeId, ClusterId = options.ClusterId, Secret = secret, MaxReconnectDelay = TimeSpan.FromSeconds(1), Tls = Tls.Peers,
        };
        _transport = new PeerTransport(peerOptions, loggers.CreateLogger<PeerTransport>(), time,
            peerUnreachable: id => Post(() => _replica!.Node.ReportUnreachable(id)));
        // Test-only: with the fault hooks enabled, the log's fsyncs can be slowed (a slow disk).
        _store = new SegmentedLogStore(hooks?.SlowSyncs(PhysicalFileSystem.Instance) ?? PhysicalFileSystem.Instance, LogDirectoryOf(options.DataDir));
        if (metrics is not null)
        {
            _store.SyncObserved = elapsed => metrics.FsyncDuration.Record(elapsed.TotalSeconds);
            RegisterGauges(metrics);
        }
        var stateMachine = new CompositeStateMachine(_keyValue, new GatedModule(Coordination, CoordinationGate), new GatedModule(Namespace, NamespaceGate),
            new GatedModule(Jobs, JobsGate), new GatedModule(Access, AccessGate));
        _keyValue.Applied += OnKeyValueApplied;
        _snapshots = new BackgroundSnapshotScheduler(Poke);
        var replicaOptions = new ReplicaOptions
        {
            SnapshotEveryEntries = options.SnapshotEveryEntries,
            SnapshotLogBytesRatio = options.SnapshotLogBytesRatio,
            SnapshotScheduler = _snapshots,
        };
        _replica = RaftReplica.Recover(raftOptions, replicaOptions,
            _store, stateMachine, _transport.Deferred, this, new SeededRandom((ulong)Environment.TickCount64 ^ options.NodeId));
        _writeTimeoutTicks = Math.Max(1, (long)(WriteTimeout.TotalMilliseconds / options.TickMilliseconds));
        // The address book may have grown in the log since the configuration was written.
        foreach (var (key, value) in _keyValue.Entries.Where(e => e.Key.StartsWith(MemberKeyPrefix, StringComparison.Ordinal)))
        {
            RecordAddress(key, value);
        }
        foreach (var (id, address) in _addresses.Where(a => a.Key != options.NodeId))
        {
            _transport.SetPeer(id, IPEndPoint.Parse(address.Peer));
        }
        PublishAddresses();
        _status = BuildStatus();
        var inbound = new PeerInbound(peerOptions, _inbox.Writer, loggers.CreateLogger<PeerInbound>(), time, received: OnPeerInput);
        _listener = PeerListener.Start(IPEndPoint.Parse(options.Peer), inbound, loggers.CreateLogger<PeerListener>());
        _thread = new Thread(Run) { IsBackground = true, Name = $"colony-raft-{options.NodeId}" };
        _thread.Start();
        var tick = TimeSpan.FromMilliseconds(options.TickMilliseconds);
        _ticker = time.CreateTimer(_ => Post(Tick), null, tick, tick);
        LogStarted(options.NodeId, options.Peer, _replica.Node.LastIndex, _replica.Node.Term);
    }

    /// <summary>Where a node keeps its replicated log and snapshots, in its data directory.</summary>
    public static string LogDirectoryOf(string dataDir) => Path.Combine(dataDir, "raft");

    /// <summary>The node's TLS: its certificate, peer TLS, and what its HTTP clients trust.</summary>
    public NodeTls Tls { get; }

    /// <summary>The latest status: its role, term, leader and membership current, its indices at most a tick old.</summary>
    public NodeStatus Status => _status;

    /// <summary>Every known member's HTTP address, by id: a copy, safe to read from any thread.</summary>
    public IReadOnlyDictionary<ulong, string> MemberHttp => _memberHttp;

    /// <summary>The HTTP address of the current leader, if known.</summary>
    public string? LeaderHttp => _status.Leader != 0 && _memberHttp.TryGetValue(_status.Leader, out var http) ? http : null;

    /// <summary>Proposes a key-value write; completes when it is applied here (or is known lost).</summary>
    public Task<WriteOutcome> PutAsync(string key, string value) =>
        ProposeAsync(CommandBatch.Encode(ModuleId.KeyValue, KeyValueCommand.EncodePut(key, value)));

    /// <summary>Proposes an encoded key-value command, already validated (<see cref="KeyValueCommand.Decode"/>).</summary>
    public Task<WriteOutcome> ProposeKeyValueAsync(ReadOnlySpan<byte> command) =>
        ProposeAsync(CommandBatch.Encode(ModuleId.KeyValue, command));

    /// <summary>
    /// Proposes one command for <paramref name="module"/>, alone in its entry (so at position 0).
    /// <paramref name="accepted"/> runs on the loop's thread with the entry's index as soon as the leader
    /// has taken it (and its term), which is before it can be applied: a caller that matches results by log position
    /// registers there, and cannot miss its own result.
    /// </summary>
    public Task<WriteOutcome> ProposeAsync(ModuleId module, ReadOnlySpan<byte> command, Action<ulong, ulong>? accepted = null) =>
        ProposeAsync(CommandBatch.Encode(module, command), accepted);

    /// <summary>A linearizable read of one key (ReadIndex, then wait until applied here).</summary>
    public Task<(bool Ok, string? Value)> GetAsync(string key)
    {
        var done = new TaskCompletionSource<(bool, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            ulong id = ++_nextReadId;
            _pendingReads[id] = ok => done.TrySetResult(ok ? (true, _keyValue.Get(key)) : (false, null));
            _replica.Node.ReadIndex(id);
        });
        return done.Task;
    }

    /// <summary>
    /// Adds (as learner or voter) or removes a member; the address is recorded in the log first.
    /// <c>Busy</c> says another membership change is still in flight.
    /// </summary>
    public async Task<(WriteOutcome Outcome, string? Error, bool Busy)> ChangeMembershipAsync(MembershipChange change, string? peer, string? http, string? zooKeeper = null)
    {
        if (peer is not null)
        {
            string address = string.IsNullOrEmpty(zooKeeper) ? $"{peer} {http}" : $"{peer} {http} {zooKeeper}";
            var recorded = await ProposeAsync(CommandBatch.Encode(ModuleId.KeyValue,
                KeyValueCommand.EncodePut(MemberKeyPrefix + change.Node.Value, address))).ConfigureAwait(false);
            if (recorded != WriteOutcome.Committed)
            {
                return (recorded, "could not record the member's address", false);
            }
        }
        var done = new TaskCompletionSource<(WriteOutcome, string?, bool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            var result = _replica.Node.ProposeMembershipChange(change);
            if (!result.IsAccepted)
            {
                done.TrySetResult((result.Status == ProposeStatus.NotLeader ? WriteOutcome.NotLeader : WriteOutcome.Rejected, result.Error ?? result.Status.ToString(),
                    result.Status == ProposeStatus.MembershipChangeInProgress));
                return;
            }
            var write = new PendingWrite(ReadOnlyMemory<byte>.Empty);
            Track(write, result.Index, result.Term);
            write.Task.ContinueWith(t => done.TrySetResult((t.Result, null, false)), TaskScheduler.Default);
        });
        return await done.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a proposal; completes when it is applied here, is known lost, or after
    /// <see cref="WriteTimeout"/> (then <see cref="WriteOutcome.Lost"/>: its outcome is unknown).
    /// </summary>
    private Task<WriteOutcome> ProposeAsync(byte[] payload, Action<ulong, ulong>? accepted = null)
    {
        var write = new PendingWrite(payload) { Accepted = accepted };
        if (_stopping)
        {
            write.TrySetResult(WriteOutcome.Lost);
            return write.Task;
        }
        _proposals.Enqueue(write);
        _signal.Set();
        return write.Task;
    }

    private void Post(Action action)
    {
        if (_stopping)
        {
            return; // the loop no longer takes work
        }
        _work.Enqueue(action);
        if (!t_submitting)
        {
            _signal.Set();
        }
    }

    /// <summary>
    /// Runs <paramref name="submit"/>, whose posts only queue (no wake-up: this thread looks next),
    /// then <see cref="TryRunWithoutBlocking"/>.
    /// </summary>
    private void SubmitAndRun(Action submit)
    {
        t_submitting = true;
        try
        {
            submit();
        }
        finally
        {
            t_submitting = false;
            TryRunWithoutBlocking();
        }
    }

    /// <summary>
    /// Runs the loop on the calling thread if it is idle, up to the first cycle with an fsync to do:
    /// that cycle's messages (a leader's appends, a follower's forwarded proposal) leave from here at
    /// once, and the loop's thread, woken, does the fsync and the rest (<see cref="FinishCycleInFlight"/>).
    /// Never blocks, so a connection's thread may call it. If another thread runs the loop, the input
    /// is left to it (see <see cref="LetGo"/>).
    /// </summary>
    private void TryRunWithoutBlocking()
    {
        while (!_stopping && Interlocked.CompareExchange(ref _owned, 1, 0) == 0)
        {
            bool handedOver = false;
            try
            {
                // A cycle left in flight needs a thread that may block: leave it, and its input, to the loop's thread.
                if (!_replica.CycleInFlight)
                {
                    bool worked = TakeInput();
                    while (_replica.BeginCycle())
                    {
                        _transport.Flush();
                        worked = true;
                        if (_replica.CycleMustSync)
                        {
                            handedOver = true;
                            break;
                        }
                        CompleteCycle();
                    }
                    if (worked)
                    {
                        AfterWork();
                    }
                }
            }
            catch (Exception e)
            {
                FailStop(e);
            }
            if (!LetGo(mayBlock: false, handedOver))
            {
                return;
            }
        }
    }

    /// <summary>
    /// The loop's own thread: runs the loop whenever there is input and no other thread is running it
    /// (see <see cref="OnPeerInput"/>), and otherwise sleeps until signalled.
    /// </summary>
    private void Run()
    {
        while (!_stopping)
        {
            // Reset before trying: input that arrives after this sets it again. If another thread runs
            // the loop now, that thread signals when it lets go with input left (TryRunOwned).
            _signal.Reset();
            if (TryRunOwned() && HasInput())
            {
                continue;
            }
            // Idle; a tick arrives at least every TickMilliseconds.
            _signal.Wait(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// Called by a peer's receiving thread once it has put messages in the inbox. If the loop is idle,
    /// that thread runs it itself, at once: an acknowledgement or an append is handled (and a
    /// follower's append fsynced and acknowledged) without waking the loop's thread, which saves a
    /// thread wake-up on both ends of every replicated write. Otherwise the loop's owner takes the
    /// messages before it lets go (<see cref="LetGo"/>). A receiving thread may block (it only reads its own peer).
    /// </summary>
    private void OnPeerInput() => TryRunOwned();

    /// <summary>Wakes the loop for something that is not in one of its queues (a snapshot step done).</summary>
    private void Poke()
    {
        Volatile.Write(ref _poked, 1);
        _signal.Set();
    }

    /// <summary>True if some input waits in the loop's queues.</summary>
    private bool HasInput() =>
        Volatile.Read(ref _poked) != 0 || !_work.IsEmpty || !_proposals.IsEmpty || _inbox.Reader.Count > 0;

    /// <summary>
    /// Runs the loop on the calling thread until it finds nothing to do, unless another thread runs it
    /// (then returns false at once, and that thread takes the input). Only one thread at a time touches
    /// the replica; the interlocked hand-over orders each owner's work after the previous one's.
    /// </summary>
    private bool TryRunOwned()
    {
        bool ran = false;
        while (!_stopping && Interlocked.CompareExchange(ref _owned, 1, 0) == 0)
        {
            ran = true;
            try
            {
                while (!_stopping && Turn())
                {
                }
                if (_statusStale && (StatusDue() || StatusOutdated()))
                {
                    RefreshStatus();
                }
            }
            catch (Exception e)
            {
                FailStop(e);
            }
            if (!LetGo(mayBlock: true, handedOver: false))
            {
                break;
            }
        }
        return ran;
    }

    /// <summary>
    /// Lets go of the loop. A thread that finds the loop taken only queues its input and leaves, so
    /// the owner looks at the queues once more after letting go, and takes what came meanwhile
    /// itself: the thread is running already, and waking the loop's thread for it would cost a
    /// context switch and tens of microseconds on a busy machine. A thread that may not block
    /// wakes the loop's thread for a cycle it handed over at its fsync, and for input it cannot take.
    /// </summary>
    /// <returns>True if the caller should take the loop again: there is input and it may.</returns>
    private bool LetGo(bool mayBlock, bool handedOver)
    {
        Interlocked.Exchange(ref _owned, 0);
        if (handedOver || _replica.CycleInFlight || (!mayBlock && Volatile.Read(ref _poked) != 0))
        {
            _signal.Set();
            return false;
        }
        return !_stopping && HasInput();
    }

    /// <summary>A broken invariant or a failed disk: stop this node rather than diverge (fail-stop).</summary>
    [DoesNotReturn]
    private void FailStop(Exception e)
    {
        LogLoopFailed(e);
        Environment.FailFast($"colony node {_options.NodeId}: replica loop failed: {e.Message}", e);
    }

    /// <summary>One turn of the loop: takes every queued input, then runs Ready cycles. True if there was work.</summary>
    private bool Turn()
    {
        Volatile.Write(ref _poked, 0);
        bool worked = FinishCycleInFlight();
        worked |= TakeInput();
        while (_replica.BeginCycle())
        {
            // The replica only queues its messages (Deferred). Flush once per half-cycle: before
            // the fsync, so the leader's appends travel while it runs, and after, for the acks.
            _transport.Flush();
            CompleteCycle();
            worked = true;
        }
        if (worked)
        {
            AfterWork();
        }
        return worked;
    }

    /// <summary>
    /// Completes the cycle in flight (its fsync first) and sends the acknowledgements; the replies to
    /// what it applied leave now, not after the next fsync.
    /// </summary>
    private void CompleteCycle()
    {
        _replica.CompleteCycle();
        _transport.Flush();
        Cycled?.Invoke();
    }

    /// <summary>
    /// After a turn that did work: replies queued by posted work and requests leave. The loop turns
    /// thousands of times a second, and with one client it goes idle after nearly every write, so the
    /// published status (a few allocations and sorts, a few percent of a busy node's CPU if built per
    /// write) is refreshed at most every <see cref="StatusRefreshMilliseconds"/>, at every tick, and at
    /// once when the role, term, leader or membership changed. The indices in it may lag by a tick.
    /// Never while a cycle waits for its fsync: that cycle's committed entries are not applied yet,
    /// and a status built then would say "catching up" of a node that is not behind.
    /// </summary>
    private void AfterWork()
    {
        Cycled?.Invoke();
        _statusStale = true;
        if (!_replica.CycleInFlight && StatusDue())
        {
            RefreshStatus();
        }
    }

    private bool StatusDue() => Environment.TickCount64 - _statusBuiltAt >= StatusRefreshMilliseconds;

    /// <summary>
    /// True if what the rest of the node routes by (role, term, leader, membership) moved since the
    /// status was built, or if the status says unhealthy: health checks see a recovery at once.
    /// </summary>
    private bool StatusOutdated()
    {
        var node = _replica.Node;
        return !_status.Healthy || node.Role != _statusRole || node.Term != _status.Term || node.Leader.Value != _status.Leader
            || !ReferenceEquals(node.Membership, _statusMembership);
    }

    /// <summary>Takes every queued input: posted work, peer messages, proposals. True if there was any.</summary>
    private bool TakeInput()
    {
        bool worked = false;
        while (_work.TryDequeue(out var action))
        {
            action();
            worked = true;
        }
        while (_inbox.Reader.TryRead(out var message))
        {
            _replica.Node.Step(message);
            worked = true;
        }
        worked |= ProposeQueued();
        return worked;
    }

    /// <summary>
    /// Completes a cycle that <see cref="TryRunWithoutBlocking"/> began and left at its fsync: its
    /// early messages are sent already. True if there was one.
    /// </summary>
    private bool FinishCycleInFlight()
    {
        if (!_replica.CycleInFlight)
        {
            return false;
        }
        CompleteCycle();
        return true;
    }

    private void RefreshStatus()
    {
        _status = BuildStatus();
        _statusStale = false;
        _statusBuiltAt = Environment.TickCount64;
    }

    private NodeStatus BuildStatus()
    {
        var s = _replica.Node.GetStatus();
        _statusRole = s.Role;
        _statusMembership = s.Membership;
        bool learner = s.Membership.IsLearner(s.Id);
        string role = learner && s.Role == RaftRole.Follower ? "learner" : s.Role.ToString().ToLowerInvariant();
        bool healthy = !s.Leader.IsNone && s.Applied >= s.Commit && (s.Role != RaftRole.Leader || s.Peers.Count(p => p.IsVoter && p.RecentActive) + 1 >= s.Membership.Quorum);
        return new NodeStatus(s.Id.Value, role, s.Term, s.Leader.Value, s.Commit, s.Applied, healthy,
            [.. s.Membership.Voters.Select(v => v.Value)], [.. s.Membership.Learners.Select(v => v.Value)],
            [.. s.Peers.Select(p => new PeerStatusView(p.Id.Value, p.Match, p.Next, p.State, p.IsVoter, p.RecentActive))]);
    }

    /// <summary>Proposes every queued proposal as one batch of contiguous entries.</summary>
    private bool ProposeQueued()
    {
        if (_proposals.IsEmpty)
        {
            return false;
        }
        _proposalBatch.Clear();
        _proposalWriters.Clear();
        while (_proposals.TryDequeue(out var write))
        {
            _proposalBatch.Add(write.Payload);
            _proposalWriters.Add(write);
        }
        var result = _replica.Node.Propose(_proposalBatch);
        for (int i = 0; i < _proposalWriters.Count; i++)
        {
            var write = _proposalWriters[i];
            if (result.IsAccepted)
            {
                Track(write, result.Index + (ulong)i, result.Term);
                write.Accepted?.Invoke(write.Index, write.Term);
            }
            else
            {
                write.TrySetResult(result.Status == ProposeStatus.NotLeader ? WriteOutcome.NotLeader : WriteOutcome.Rejected);
            }
        }
        _proposalWriters.Clear();
        _proposalBatch.Clear();
        return true;
    }

    private void Track(PendingWrite write, ulong index, ulong term)
    {
        write.Index = index;
        write.Term = term;
        write.Deadline = _ticks + _writeTimeoutTicks;
        _pendingWrites[index] = write;
        _writesByAge.Enqueue(write);
    }

    private void Tick()
    {
        _ticks++;
        _statusBuiltAt = long.MinValue / 2; // due: the turn that ran this tick refreshes the status
        _replica.Node.Tick();
        // Proposal order is deadline order: only the oldest can have expired.
        while (_writesByAge.TryPeek(out var oldest) && (oldest.Task.IsCompleted || oldest.Deadline <= _ticks))
        {
            _writesByAge.Dequeue();
            if (!oldest.Task.IsCompleted && _pendingWrites.Remove(oldest.Index))
            {
                oldest.TrySetResult(WriteOutcome.Lost);
            }
        }
        Ticked?.Invoke();
    }

    void IReplicaListener.OnApplied(in Entry entry)
    {
        if (_pendingWrites.Remove(entry.Index, out var pending))
        {
            pending.TrySetResult(pending.Term == entry.Term ? WriteOutcome.Committed : WriteOutcome.Lost);
        }
        if (_readsWaitingForApply.Count > 0)
        {
            ServeReadsUpTo(entry.Index);
        }
    }

    void IReplicaListener.OnSnapshotRestored(SnapshotMetadata metadata)
    {
        foreach (var index in _pendingWrites.Keys.Where(i => i <= metadata.Index).ToList())
        {
            // Overtaken by a snapshot: whether it made it is unknown here.
            _pendingWrites.Remove(index, out var pending);
            pending!.TrySetResult(WriteOutcome.Lost);
        }
        foreach (var (key, value) in _keyValue.Entries.Where(e => e.Key.StartsWith(MemberKeyPrefix, StringComparison.Ordinal)))
        {
            RecordAddress(key, value);
        }
        ServeReadsUpTo(metadata.Index);
        SnapshotRestored?.Invoke();
    }

    void IReplicaListener.OnReadReady(ReadState state)
    {
        if (!_pendingReads.Remove(state.RequestId, out var serve))
        {
            return;
        }
        if (_replica.Node.AppliedIndex >= state.Index)
        {
            serve(true);
        }
        else
        {
            _readsWaitingForApply.Add((state.Index, serve));
        }
    }

    void IReplicaListener.OnReadDropped(ulong requestId)
    {
        if (_pendingReads.Remove(requestId, out var serve))
        {
            serve(false);
        }
    }

    void IReplicaListener.OnSoftStateChanged(SoftState state)
    {
        LogRoleChanged(_options.NodeId, state.Role.ToString(), state.Leader.Value);
        if (state.Role == RaftRole.Candidate)
        {
            _metrics?.Elections.Add(1);
        }
        if (state.Role != RaftRole.Leader)
        {
            // Reads forwarded to a leader that is gone would wait forever: fail them so clients retry.
            foreach (var serve in _pendingReads.Values)
            {
                serve(false);
            }
            _pendingReads.Clear();
        }
    }

    private void ServeReadsUpTo(ulong applied)
    {
        for (int i = _readsWaitingForApply.Count - 1; i >= 0; i--)
        {
            if (_readsWaitingForApply[i].Index <= applied)
            {
                _readsWaitingForApply[i].Serve(true);
                _readsWaitingForApply.RemoveAt(i);
            }
        }
    }

    private void OnKeyValueApplied(CommandContext context, KeyValueCommand command)
    {
        if (command.Kind == KeyValueCommandKind.Put && command.Key.StartsWith(MemberKeyPrefix, StringComparison.Ordinal))
        {
            RecordAddress(command.Key, command.Value!);
        }
    }

    private void RecordAddress(string key, string value)
    {
        var parts = value.Split(' ', 3);
        if (!ulong.TryParse(key.AsSpan(MemberKeyPrefix.Length), out ulong id) || !IPEndPoint.TryParse(parts[0], out var endPoint))
        {
            return;
        }
        // A member recorded without its ZooKeeper address keeps the one its configuration gave.
        string? zooKeeper = parts.Length > 2 ? parts[2] : _addresses.GetValueOrDefault(id)?.ZooKeeper;
        _addresses[id] = new MemberAddress(parts[0], parts.Length > 1 ? parts[1] : "", zooKeeper);
        PublishAddresses();
        if (id != _options.NodeId)
        {
            _transport.SetPeer(id, endPoint);
        }
    }

    private void RegisterGauges(NodeMetrics metrics)
    {
        // Read from the published status: the exporter scrapes on an HTTP thread, never the loop's.
        metrics.Meter.CreateObservableGauge("colony.raft.term", () => (long)_status.Term, "{term}", "The current Raft term.");
        metrics.Meter.CreateObservableGauge("colony.raft.commit_index", () => (long)_status.Commit, "{entry}", "The highest log index known committed.");
        metrics.Meter.CreateObservableGauge("colony.raft.applied_index", () => (long)_status.Applied, "{entry}", "The highest log index applied here.");
        metrics.Meter.CreateObservableGauge("colony.raft.commit_lag", () => (long)(_status.Commit - Math.Min(_status.Commit, _status.Applied)), "{entry}", "Committed entries not yet applied here.");
        metrics.Meter.CreateObservableGauge("colony.raft.is_leader", () => _status.Role == "leader" ? 1 : 0, "{bool}", "1 on the leader, 0 elsewhere.");
        metrics.Meter.CreateObservableGauge("colony.raft.follower_lag", FollowerLag, "{entry}", "On the leader: how far each follower's match index trails the commit index.");
    }

    private IEnumerable<Measurement<long>> FollowerLag()
    {
        var status = _status;
        foreach (var peer in status.Peers)
        {
            yield return new Measurement<long>((long)(status.Commit - Math.Min(status.Commit, peer.Match)), new KeyValuePair<string, object?>("peer", peer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private void PublishAddresses() => _memberHttp = _addresses.ToDictionary(a => a.Key, a => a.Value.Http);

    /// <summary>A member's addresses, as the replicated address book (or the configuration) has them.</summary>
    private sealed record MemberAddress(string Peer, string Http, string? ZooKeeper);

    public async ValueTask DisposeAsync()
    {
        await _ticker.DisposeAsync().ConfigureAwait(false);
        _stopping = true;
        _signal.Set();
        _thread.Join(TimeSpan.FromSeconds(10));
        // A peer's thread may be running the loop: wait for it, and keep the loop from then on.
        SpinWait.SpinUntil(() => Interlocked.CompareExchange(ref _owned, 1, 0) == 0, TimeSpan.FromSeconds(10));
        _inbox.Writer.TryComplete();
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        foreach (var pending in _pendingWrites.Values)
        {
            pending.TrySetResult(WriteOutcome.Lost);
        }
        while (_proposals.TryDequeue(out var queued))
        {
            queued.TrySetResult(WriteOutcome.Lost);
        }
        // A snapshot file being written is harmless to abandon (recovery deletes it), but let it finish.
        await _snapshots.Idle.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _store.Dispose();
        _signal.Dispose();
    }

    /// <summary>A write waiting for its entry: the completion and where the entry went.</summary>
    private sealed class PendingWrite(ReadOnlyMemory<byte> payload) : TaskCompletionSource<WriteOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public ReadOnlyMemory<byte> Payload { get; } = payload;

        public ulong Index { get; set; }

        public ulong Term { get; set; }

        /// <summary>The tick after which the write is answered "outcome unknown".</summary>
        public long Deadline { get; set; }

        /// <summary>Told the entry's index and term when the leader takes the write (on the loop's thread).</summary>
        public Action<ulong, ulong>? Accepted { get; init; }
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "node {NodeId} started: peer {Peer}, log ends at {LastIndex}, term {Term}")]
    private partial void LogStarted(ulong nodeId, string peer, ulong lastIndex, ulong term);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "node {NodeId} is now {Role} (leader {Leader})")]
    private partial void LogRoleChanged(ulong nodeId, string role, ulong leader);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Critical, Message = "replica loop failed; stopping the node")]
    private partial void LogLoopFailed(Exception exception);
}
