using System.Collections.Concurrent;
using Colony.Consensus.StateMachine;
using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;
using Colony.Coordination.Sessions;
using Colony.Coordination.Tree;
using Colony.Coordination.Watches;
using Colony.Node.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// The ZooKeeper service on one node. Its state (the tree, the watches, the sessions) is guarded
/// by one gate, which the replica loop also holds while it applies commands to the tree. Requests
/// run on their connection's thread under the gate: a read is answered at once, against the tree
/// as applied so far, with no hop to another thread; a write is queued for the loop, which
/// proposes it. Replies leave in the order things happen under the gate: a write is applied, its
/// watches fire, then its reply and the reads queued behind it go out. Connections only decode,
/// and write what the server queued (see <see cref="ClientConnection"/>).
/// </summary>
internal sealed partial class CoordinationServer
{
    private readonly ICoordinationHost _host;
    private readonly CoordinationModule _module;
    private readonly CoordinationOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ServerPlaces? _places;

    /// <summary>When this server started, and when it last became leader (<see cref="ElapsedMs"/>): mntr's uptimes.</summary>
    private readonly long _startedMs;
    private long _leadingSinceMs;
    private readonly double _msPerTimestamp;
    private readonly SessionTimeoutNegotiation _negotiation;
    private readonly SessionIdGenerator _sessionIds;
    private readonly WatchManager _watches = new();
    private readonly SessionExpiryTracker _expiry;
    private readonly TouchBatcher _touches = new();
    private readonly Dictionary<long, ClientConnection> _connections = [];
    private readonly Dictionary<long, SessionState> _sessions = [];
    private readonly Dictionary<long, SessionState> _creating = [];
    private readonly Dictionary<int, SessionState> _revalidating = [];
    private readonly List<(SessionState Session, ModuleCommand Command)> _batch = [];
    private readonly ServerCounters _counters = new();
    private readonly NodeMetrics? _metrics;
    private readonly IWatchTreeView _treeView;
    private readonly object _gate;
    private readonly ConcurrentQueue<ClientConnection> _toPump = new();
    private volatile bool _leading; // the loop's view, for code on connection threads
    private bool _wasLeader;
    private ulong _leader;
    private long _lastTouchFlushMs;
    private long _lastCleanupMs;
    private int _connectionCount;
    private int _outstandingHighWater;
    private readonly Colony.Node.Security.ConnectionsPerAddress _perAddress;
    private int _lastRevalidation;

    public CoordinationServer(ICoordinationHost host, CoordinationModule module, CoordinationOptions options, ILogger logger, TimeProvider time, NodeMetrics? metrics = null,
        ServerPlaces? places = null)
    {
        _places = places;
        _metrics = metrics;
        _host = host;
        _module = module;
        _options = options;
        _logger = logger;
        _time = time;
        _msPerTimestamp = 1000.0 / time.TimestampFrequency;
        _startedMs = ElapsedMs;
        _negotiation = new SessionTimeoutNegotiation(options.TickTimeMs, options.MinSessionTimeoutMs, options.MaxSessionTimeoutMs);
        _sessionIds = new SessionIdGenerator(host.NodeId, NowMs);
        _expiry = new SessionExpiryTracker(options.TickTimeMs);
        _treeView = new TreeView(module.Tree);
        _gate = host.Gate;
        _module.Applied += OnApplied;
        _module.SnapshotCaptured += OnSnapshotCaptured;
        _perAddress = new Colony.Node.Security.ConnectionsPerAddress(options.MaxClientConnectionsPerIp);
        if (options.MaxRequestsPerSecond > 0)
        {
            RequestRate = new Colony.Node.Blocks.TokenBucket(options.MaxRequestsPerSecond, time,
                options.RequestBurst > 0 ? options.RequestBurst : Math.Max(1, options.MaxRequestsPerSecond / 10));
        }
        // The most requests one connection has had read and unanswered: stays at or under
        // MaxOutstandingPerConnection (+1 for the one that made the reader stop) however hard a client pipelines.
        metrics?.Meter.CreateObservableGauge("colony.zookeeper.outstanding.high_water", () => Volatile.Read(ref _outstandingHighWater), "{request}",
            "The most requests any one ZooKeeper connection has had read and not yet answered since the node started.");
    }

    private DataTree Tree => _module.Tree;

    /// <summary>Wall-clock time: what commands carry (mtime, ctime, TTLs), as in ZooKeeper.</summary>
    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Wall-clock milliseconds, for when a connection was made (cons's est).</summary>
    public long WallClockMs => NowMs;

    /// <summary>
    /// Monotonic time, for everything measured on this node alone: session expiry, when a session was
    /// last heard, stalled writes, the leaderless spell. A step of the wall clock (NTP) must not expire
    /// every session at once, nor keep dead ones alive; ZooKeeper's session tracker uses elapsed time too.
    /// </summary>
    private long ElapsedMs => (long)(_time.GetTimestamp() * _msPerTimestamp);

    // ---- entry points from connection threads --------------------------------------------------

    /// <summary>
    /// A new connection from <paramref name="remote"/>: false (logged and counted) if the node is at its
    /// connection limit or the address at its own. An admitted connection ends in <see cref="OnDisconnected"/>.
    /// </summary>
    public bool TryAdmit(System.Net.IPEndPoint? remote)
    {
        if (!_perAddress.TryAcquire(remote?.Address))
        {
            LogTooManyFromAddress(remote!.ToString(), remote.Address.ToString(), _perAddress.Limit);
            _metrics?.ZooKeeperConnectionsRefused.Add(1, new KeyValuePair<string, object?>("reason", "per_ip"));
            return false;
        }
        if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _connectionCount);
            _perAddress.Release(remote?.Address);
            LogTooManyConnections(remote?.ToString() ?? "?", _options.MaxConnections);
            _metrics?.ZooKeeperConnectionsRefused.Add(1, new KeyValuePair<string, object?>("reason", "total"));
            return false;
        }
        return true;
    }

    /// <summary>The request rate limit shared by every connection; null when there is none.</summary>
    public Colony.Node.Blocks.TokenBucket? RequestRate { get; }

    /// <summary>A connection's reading paused: it had the most requests in flight it may have.</summary>
    public void OnReadPaused() => _metrics?.ZooKeeperReadPauses.Add(1);

    /// <summary>Requests whose reading waited for the rate limit.</summary>
    public void OnThrottled(int requests) => _metrics?.ZooKeeperThrottled.Add(requests);

    /// <summary>A connection has <paramref name="outstanding"/> requests read and not yet answered: keeps the high-water mark.</summary>
    public void ObserveOutstanding(int outstanding)
    {
        int seen = Volatile.Read(ref _outstandingHighWater);
        while (outstanding > seen)
        {
            int previous = Interlocked.CompareExchange(ref _outstandingHighWater, outstanding, seen);
            if (previous == seen)
            {
                return;
            }
            seen = previous;
        }
    }

    public void OnConnect(ClientConnection connection, ConnectRequest request)
    {
        lock (_gate)
        {
            Connect(connection, request);
        }
        PumpMarked();
    }

    /// <summary>Requests in arrival order, run on the connection's thread.</summary>
    public void OnRequests(ClientConnection connection, List<(RequestHeader Header, ClientRequest Request)> requests) =>
        _host.SubmitAndRun(() =>
        {
            lock (_gate)
            {
                foreach (var (header, request) in requests)
                {
                    Receive(connection, header, request);
                }
            }
            PumpMarked();
        });

    public void OnDisconnected(ClientConnection connection)
    {
        Interlocked.Decrement(ref _connectionCount);
        _perAddress.Release(connection.RemoteAddress);
        Post(() => Disconnected(connection));
    }

    /// <summary>A packet came on <paramref name="connection"/>: counted, and when, for dump's connection expiry (under the gate).</summary>
    private void Heard(ClientConnection connection)
    {
        connection.Received++;
        connection.LastHeardMs = ElapsedMs;
        _counters.Received++;
    }

    /// <summary>Answers a four-letter word and closes the connection once the answer is written.</summary>
    public void OnFourLetterWord(ClientConnection connection, string word)
    {
        string text;
        lock (_gate)
        {
            Heard(connection); // the word is a packet received, as ZooKeeper counts them
            text = FourLetterWords.Render(word, this, connection);
        }
        connection.SendTextAndClose(text);
        PumpMarked();
    }

    /// <summary>A four-letter word's answer, for the HTTP admin commands (takes the gate).</summary>
    public string RenderFourLetterWord(string word)
    {
        lock (_gate)
        {
            return FourLetterWords.Render(word, this);
        }
    }

    /// <summary>A connection has replies queued and nobody writing them (called under the gate).</summary>
    public void MarkForPump(ClientConnection connection) => _toPump.Enqueue(connection);

    /// <summary>
    /// Writes the replies queued since the last call, on this thread. Called outside the gate:
    /// after a connection's requests ran, and by the loop after every cycle.
    /// </summary>
    public void PumpMarked()
    {
        while (_toPump.TryDequeue(out var connection))
        {
            connection.Pump();
        }
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread under the gate.</summary>
    private void Post(Action work) => _host.Post(() =>
    {
        lock (_gate)
        {
            work();
        }
    });

    // ---- loop-thread hooks ---------------------------------------------------------------------

    /// <summary>Called on every Raft tick: session liveness, expiry and the leader's cleanups.</summary>
    public void OnTick()
    {
        lock (_gate)
        {
            Tick();
        }
    }

    private void Tick()
    {
        long now = NowMs;
        long elapsed = ElapsedMs;
        bool isLeader = ObserveLeader(elapsed);
        ObserveEnsemble(isLeader, now, elapsed);
        UpdateReadOnlyMode(elapsed);
        ExpireLocalSessions(elapsed);
        if (isLeader)
        {
            ExpireSessions(elapsed, now);
            if (elapsed - _lastCleanupMs >= _options.CleanupIntervalMs)
            {
                _lastCleanupMs = elapsed;
                CleanUpContainersAndTtls(now);
            }
        }
        else if (_touches.Count > 0 && elapsed - _lastTouchFlushMs >= _options.TickTimeMs / 4)
        {
            _lastTouchFlushMs = elapsed;
            var ids = _touches.Drain();
            Propose(null, CoordinationCommand.FromCluster(_host.NodeId, now, new Op.TouchSessions(ids.ToArray())));
        }
        CloseStalledWrites(elapsed);
        FlushProposals();
    }

    /// <summary>
    /// The tree was replaced by the leader's snapshot: writes in flight may be inside it, with no
    /// apply to answer them, and sessions may be gone or moved to another node. Close those
    /// clients; they reconnect.
    /// </summary>
    public void OnSnapshotRestored()
    {
        lock (_gate)
        {
            ClosePendingAfterRestore();
        }
    }

    private void ClosePendingAfterRestore()
    {
        foreach (var session in _sessions.Values.Concat(_creating.Values).Concat(_revalidating.Values).ToList())
        {
            if (session.ProposedWrites > 0
                || (session.Established && !session.Local && (!Tree.SessionExists(session.SessionId) || IsOwnedElsewhere(session.SessionId))))
            {
                session.Connection.Close();
            }
        }
    }

    /// <summary>Catches the server's view of the leader up with the replica's; true if this node leads.</summary>
    private bool ObserveLeader(long elapsed)
    {
        bool isLeader = _host.IsLeader;
        _leading = isLeader;
        ulong leader = _host.Leader;
        if (leader != _leader || isLeader != _wasLeader)
        {
            LeadershipChanged(isLeader, leader, elapsed);
        }
        return isLeader;
    }

    private void LeadershipChanged(bool isLeader, ulong leader, long elapsed)
    {
        LogLeaderChanged(leader, isLeader);
        _configProposed = null; // a config the old leader proposed may be lost with it
        if (isLeader && !_wasLeader)
        {
            _leadingSinceMs = elapsed;
        }
        _leader = leader;
        _wasLeader = isLeader;
        // Writes in flight may have been dropped with the old leader; their clients must not
        // assume anything about them, nor have later writes overtake them: close, as ZooKeeper does.
        foreach (var session in _sessions.Values.Concat(_creating.Values).Concat(_revalidating.Values).ToList())
        {
            if (session.ProposedWrites > 0)
            {
                session.Connection.Close();
            }
        }
        if (isLeader)
        {
            // Everyone gets a full timeout to find this leader, as after a ZooKeeper election.
            _expiry.ResetAll(Tree.Sessions.Select(s => (s.SessionId, s.TimeoutMs)), elapsed);
        }
    }

    private void ExpireSessions(long elapsed, long now)
    {
        var expired = _expiry.Expired(elapsed);
        if (expired.IsEmpty)
        {
            return;
        }
        foreach (long id in expired.ToArray())
        {
            if (Tree.SessionExists(id))
            {
                LogSessionExpired(id);
                Propose(null, CoordinationCommand.FromCluster(_host.NodeId, now, new Op.CloseSession(id)));
            }
        }
    }

    private void CleanUpContainersAndTtls(long now)
    {
        foreach (string path in Tree.EmptyContainers())
        {
            Propose(null, CoordinationCommand.FromCluster(_host.NodeId, now, new Op.DeleteContainer(path)));
        }
        foreach (string path in Tree.ExpiredTtlNodes(now))
        {
            Propose(null, CoordinationCommand.FromCluster(_host.NodeId, now, new Op.DeleteExpiredTtl(path)));
        }
    }

    private void CloseStalledWrites(long elapsed)
    {
        foreach (var session in _sessions.Values)
        {
            if (session.PendingWrites > 0 && session.Pending.TryPeek(out var head) && elapsed - head.SinceMs > _options.WriteTimeoutMs)
            {
                LogWriteStalled(session.SessionId, _options.WriteTimeoutMs);
                session.Connection.Close();
            }
        }
    }

    // ---- proposals -----------------------------------------------------------------------------

    /// <summary>Queues a command for the next proposal; everything queued in one pass of the loop goes in one entry.</summary>
    private void Propose(SessionState? session, CoordinationCommand command)
    {
        if (_batch.Count == 0)
        {
            Post(FlushProposals);
        }
        _batch.Add((session!, new ModuleCommand(ModuleId.Coordination, command.Encode())));
    }

    private void FlushProposals()
    {
        if (_batch.Count == 0)
        {
            return;
        }
        // Proposals are made under the leader this server knows of; only a later change can lose them
        // (a leader elected since the last tick is not one: what goes to it now is not lost).
        ObserveLeader(ElapsedMs);
        if (!_host.LeaderReachable)
        {
            // An election, or a leader that just went away: hold the writes (OnTick retries, and
            // WriteTimeoutMs bounds the wait) rather than send them where they would be lost.
            return;
        }
        var entries = new List<ReadOnlyMemory<byte>>();
        var current = new List<ModuleCommand>();
        long bytes = 0;
        foreach (var (_, command) in _batch)
        {
            long size = command.Command.Length + 8;
            if (current.Count > 0 && (current.Count == CommandBatch.MaxCommands || bytes + size > CommandBatch.MaxPayloadBytes - 64))
            {
                entries.Add(CommandBatch.Encode(current));
                current = [];
                bytes = 0;
            }
            current.Add(command);
            bytes += size;
        }
        entries.Add(CommandBatch.Encode(current));
        var result = _host.ProposeOrForward(entries);
        if (result.Status == Consensus.ProposeStatus.Accepted)
        {
            foreach (var entry in entries)
            {
                ProposalSizes.Record(entry.Length);
            }
        }
        if (result.Status is not (Consensus.ProposeStatus.Accepted or Consensus.ProposeStatus.Forwarded))
        {
            // No leader to take them (an election) or the leader is overloaded: the outcome is
            // "not done", but clients can only learn that as a lost connection, as with ZooKeeper.
            LogProposalRefused(result.Status.ToString(), _batch.Count);
            foreach (var (session, _) in _batch)
            {
                session?.Connection.Close();
            }
        }
        else
        {
            foreach (var (session, _) in _batch)
            {
                if (session is not null)
                {
                    session.ProposedWrites++;
                }
            }
        }
        _batch.Clear();
    }
}
