using System.Globalization;
using System.Text;
using Colony.Coordination.Reconfig;
using Colony.Coordination.Watches;
using Colony.Node.Diagnostics;
using Colony.Node.Hosting;

namespace Colony.Node.ZooKeeper;

internal sealed partial class CoordinationServer
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private string Mode => _leading ? "leader" : _readOnlyMode ? "read-only" : _observer ? "observer" : "follower";

    /// <summary>
    /// ZooKeeper's detailed peer state: its role, and once it has a leader, the phase (always broadcast here: a
    /// Raft member serves as soon as it follows). A read-only server has none, so it is looking.
    /// </summary>
    private string PeerState => _leading ? "leading - broadcast" : _readOnlyMode ? "looking" : _observer ? "observing - broadcast" : "following - broadcast";

    private int Outstanding => _sessions.Values.Sum(s => s.Pending.Count);

    public string Srvr(ClientConnection? asking = null)
    {
        var c = _counters;
        return string.Create(Invariant,
            $"Zookeeper version: {FourLetterWords.Version}\n" +
            $"Latency min/avg/max: {c.MinOrZero}/{c.AverageLatencyMs:0.0###}/{c.MaxLatencyMs}\n" +
            $"Received: {c.Received}\nSent: {c.Sent}\nConnections: {ConnectionCount(asking)}\nOutstanding: {Outstanding}\n" +
            $"Zxid: 0x{Tree.LastZxid:x}\nMode: {Mode}\nNode count: {Tree.NodeCount}\n");
    }

    public string Stat(ClientConnection? asking = null)
    {
        var text = new StringBuilder();
        text.Append(Invariant, $"Zookeeper version: {FourLetterWords.Version}\nClients:\n");
        AppendConnections(text, brief: true, asking);
        text.Append('\n');
        string srvr = Srvr(asking);
        text.Append(srvr.AsSpan(srvr.IndexOf('\n', StringComparison.Ordinal) + 1));
        return text.ToString();
    }

    public string Cons(ClientConnection? asking = null)
    {
        var text = new StringBuilder();
        AppendConnections(text, brief: false, asking);
        text.Append('\n');
        return text.ToString();
    }

    public string Mntr(ClientConnection? asking = null)
    {
        var c = _counters;
        var lines = new List<(string, string)>
        {
            ("zk_version", FourLetterWords.Version),
            ("zk_server_state", Mode),
            ("zk_avg_latency", c.AverageLatencyMs.ToString("0.0###", Invariant)),
            ("zk_max_latency", c.MaxLatencyMs.ToString(Invariant)),
            ("zk_min_latency", c.MinOrZero.ToString(Invariant)),
            ("zk_packets_received", c.Received.ToString(Invariant)),
            ("zk_packets_sent", c.Sent.ToString(Invariant)),
            ("zk_num_alive_connections", ConnectionCount(asking).ToString(Invariant)),
            ("zk_outstanding_requests", Outstanding.ToString(Invariant)),
            ("zk_znode_count", Tree.NodeCount.ToString(Invariant)),
            ("zk_watch_count", _watches.TableWatchCount.ToString(Invariant)),
            ("zk_ephemerals_count", Tree.EphemeralCount.ToString(Invariant)),
            ("zk_approximate_data_size", Tree.ApproximateDataSize.ToString(Invariant)),
            ("zk_global_sessions", Tree.SessionCount.ToString(Invariant)),
            ("zk_local_sessions", LocalSessionCount.ToString(Invariant)),
            ("zk_last_zxid", Tree.LastZxid.ToString(Invariant)),
            ("zk_uptime", (ElapsedMs - _startedMs).ToString(Invariant)),
        };
        lines.Insert(2, ("zk_peer_state", PeerState));
        var status = _host.Status;
        lines.Add(("zk_quorum_size", status.Voters.Count.ToString(Invariant)));
        if (_leading)
        {
            // As a ZooKeeper leader counts its learners: every follower and observer; synced, those replicating and heard from.
            bool Synced(PeerStatusView peer) => peer.Active && peer.State == "Replicate";
            lines.Add(("zk_leader_uptime", (ElapsedMs - _leadingSinceMs).ToString(Invariant)));
            lines.Add(("zk_learners", status.Peers.Count(p => p.Active).ToString(Invariant)));
            lines.Add(("zk_synced_followers", status.Peers.Count(p => p.Voter && Synced(p)).ToString(Invariant)));
            lines.Add(("zk_synced_non_voting_followers", "0"));
            lines.Add(("zk_synced_observers", status.Peers.Count(p => !p.Voter && Synced(p)).ToString(Invariant)));
            lines.Add(("zk_pending_syncs", status.Peers.Count(p => p.State == "Snapshot").ToString(Invariant)));
        }
        if (FileDescriptors.Count() is { } open)
        {
            lines.Add(("zk_open_file_descriptor_count", open.ToString(Invariant)));
        }
        if (FileDescriptors.Limit() is { } limit)
        {
            lines.Add(("zk_max_file_descriptor_count", limit.ToString(Invariant)));
        }
        var text = new StringBuilder();
        foreach (var (key, value) in lines)
        {
            text.Append(key).Append('\t').Append(value).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// The settings, then, as a ZooKeeper 3.5+ server in an ensemble ends its <c>conf</c>, the dynamic config: a
    /// <c>membership: </c> line, the <c>server.N=</c> lines and <c>version=</c> (with no newline after it).
    /// </summary>
    public string Conf()
    {
        var text = new StringBuilder();
        if (_places is { } places)
        {
            // In ZooKeeper's order; its snapshots and log share one directory here, so both lines name it.
            long bytes = places.LogBytes();
            text.Append(Invariant, $"clientPort={places.ClientPort}\nsecureClientPort={places.SecureClientPort}\n");
            text.Append(Invariant, $"dataDir={places.LogDirectory}\ndataDirSize={bytes}\ndataLogDir={places.LogDirectory}\ndataLogSize={bytes}\n");
        }
        text.Append(Invariant, $"tickTime={_options.TickTimeMs}\nmaxClientCnxns={_options.MaxClientConnectionsPerIp}\n");
        text.Append(Invariant, $"minSessionTimeout={_negotiation.MinSessionTimeoutMs}\nmaxSessionTimeout={_negotiation.MaxSessionTimeoutMs}\n");
        text.Append(Invariant, $"serverId={_host.NodeId}\njute.maxbuffer={_options.MaxFrameBytes}\n{MembershipHeading}\n{Membership()}");
        return text.ToString();
    }

    /// <summary>ZooKeeper's <c>dirs</c>: the bytes of its snapshots and of its log, here one directory counted once for each.</summary>
    public string Dirs()
    {
        long bytes = _places?.LogBytes() ?? 0;
        return string.Create(Invariant, $"datadir_size: {bytes}\nlogdir_size: {bytes}\n");
    }

    /// <summary>The line of <see cref="Conf"/> after which the dynamic config follows.</summary>
    public const string MembershipHeading = "membership: ";

    /// <summary>The dynamic config as applied here; before the leader first writes it, the members as this node knows them.</summary>
    private string Membership()
    {
        string text = ConfigText(out _);
        return text.Length > 0 ? text : new DynamicConfig(_ensemble, 0).Format();
    }

    public string Wchs()
    {
        var summary = _watches.SummaryOf(WatchKinds.DataTable);
        return string.Create(Invariant, $"{summary.Connections} connections watching {summary.Paths} paths\nTotal watches:{summary.Watches}\n");
    }

    public string Wchc()
    {
        var text = new StringBuilder();
        foreach (var watcher in _watches.DumpByWatcher(WatchKinds.DataTable))
        {
            text.Append(Invariant, $"0x{SessionOfWatcher(watcher.WatcherId):x}\n");
            foreach (string path in watcher.Paths)
            {
                text.Append('\t').Append(path).Append('\n');
            }
        }
        text.Append('\n'); // ZooKeeper ends the listing with an empty line
        return text.ToString();
    }

    public string Wchp()
    {
        var text = new StringBuilder();
        foreach (var path in _watches.DumpByPath(WatchKinds.DataTable))
        {
            text.Append(path.Path).Append('\n');
            foreach (long watcher in path.WatcherIds)
            {
                text.Append(Invariant, $"\t0x{SessionOfWatcher(watcher):x}\n");
            }
        }
        text.Append('\n'); // ZooKeeper ends the listing with an empty line
        return text.ToString();
    }

    /// <summary>
    /// ZooKeeper's <c>dump</c>: the sessions (on the leader, its expiry buckets; elsewhere, each session's timeout), the
    /// ephemeral nodes of each session, and the connections by when each expires unless heard from again.
    /// </summary>
    public string Dump(ClientConnection? asking = null)
    {
        var text = new StringBuilder("SessionTracker dump:\n");
        long elapsedToWall = NowMs - ElapsedMs;
        var sessions = Tree.Sessions.ToList();
        if (_leading)
        {
            ExpiryDump.Append(text, "Session", [.. _expiry.Buckets().Select(b => ExpiryDump.Bucket(elapsedToWall + b.DeadlineMs, b.Sessions.Select(id => $"0x{id:x}")))]);
        }
        else
        {
            text.Append(Invariant, $"Global Sessions({sessions.Count}):\n");
            foreach (var s in sessions)
            {
                text.Append(Invariant, $"0x{s.SessionId:x}\t{s.TimeoutMs}ms\n");
            }
        }
        var withEphemerals = sessions.Where(s => s.EphemeralCount > 0).ToList();
        text.Append(Invariant, $"ephemeral nodes dump:\nSessions with Ephemerals ({withEphemerals.Count}):\n");
        foreach (var s in withEphemerals)
        {
            text.Append(Invariant, $"0x{s.SessionId:x}:\n");
            foreach (string path in Tree.GetEphemerals(s.SessionId))
            {
                text.Append('\t').Append(path).Append('\n');
            }
        }
        text.Append("Connections dump:\n");
        ExpiryDump.Append(text, "Connections", ConnectionExpiry(asking, elapsedToWall));
        return text.ToString();
    }

    /// <summary>
    /// The connections grouped as ZooKeeper's connection expiry queue groups them: each is due its session's timeout
    /// (a connection without a session, the handshake timeout) after its last packet, rounded up to the next multiple
    /// of the handshake timeout. Buckets a connection has left are not kept.
    /// </summary>
    private List<ExpiryDump.Entries> ConnectionExpiry(ClientConnection? asking, long elapsedToWall)
    {
        long interval = _options.HandshakeTimeoutMs;
        return [.. Listed(asking)
            .Select(c => (Connection: c, Due: ((c.LastHeardMs + (c.Session is { SessionId: not 0 } s ? s.TimeoutMs : interval)) / interval + 1) * interval))
            .GroupBy(c => c.Due)
            .OrderBy(bucket => bucket.Key)
            .Select(bucket => ExpiryDump.Bucket(elapsedToWall + bucket.Key, bucket
                .OrderBy(c => c.Connection.Id)
                .Select(c => $"ip: /{c.Connection.Remote} sessionId: 0x{c.Connection.Session?.SessionId ?? 0:x}")))];
    }

    public string ResetCounters()
    {
        var c = _counters;
        c.Received = c.Sent = c.TotalLatencyMs = c.Requests = c.MaxLatencyMs = 0;
        c.MinLatencyMs = long.MaxValue;
        ResponseSizes.Reset(); // as ZooKeeper's reset clears its client response sizes
        return "Server stats reset.\n";
    }

    /// <summary>
    /// The connections, in ZooKeeper's shape: <c>stat</c> gives each one's counts (brief); <c>cons</c> adds, for one
    /// with a session, its id, last operation, times and latencies. As in ZooKeeper, the connection asking is one of
    /// them, with its reading stopped (interest 0).
    /// </summary>
    private void AppendConnections(StringBuilder text, bool brief, ClientConnection? asking)
    {
        foreach (var connection in Listed(asking))
        {
            var session = connection.Session;
            int interest = connection == asking ? 0 : 1;
            text.Append(Invariant, $" /{connection.Remote}[{interest}](queued={session?.Pending.Count ?? 0},recved={connection.Received},sent={connection.Sent}");
            if (!brief && session is { SessionId: not 0 })
            {
                var s = connection.Stats;
                text.Append(Invariant, $",sid=0x{session.SessionId:x},lop={s.LastOp},est={s.EstablishedMs},to={session.TimeoutMs}");
                if (s.LastCxid >= 0)
                {
                    text.Append(Invariant, $",lcxid=0x{s.LastCxid:x}");
                }
                text.Append(Invariant, $",lzxid=0x{s.LastZxid:x},lresp={s.LastResponseMs},llat={s.LastLatencyMs},minlat={s.MinLatencyMs},avglat={s.AverageLatencyMs},maxlat={s.MaxLatencyMs}");
            }
            text.Append(")\n");
        }
    }

    private IEnumerable<ClientConnection> Listed(ClientConnection? asking) =>
        asking is null || _connections.Values.Contains(asking) ? _connections.Values : _connections.Values.Append(asking);

    private int ConnectionCount(ClientConnection? asking) => Listed(asking).Count();

    /// <summary><c>crst</c>: every connection's statistics start again.</summary>
    public string ResetConnectionStats()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Stats.Reset();
        }
        return "Connection stats reset.\n";
    }
}
