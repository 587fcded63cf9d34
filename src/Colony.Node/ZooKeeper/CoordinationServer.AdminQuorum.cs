using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Colony.Coordination.Reconfig;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// The AdminServer commands about the server and its place in the ensemble (server_stats, stats, leader,
/// voting_view, zabstate, last_snapshot, observers...), in ZooKeeper 3.8's field names, types and nesting.
/// A read-only server answers as ZooKeeper's read-only server does: it is not a quorum server there.
/// </summary>
internal sealed partial class CoordinationServer
{
    /// <summary>The replies' sizes, for server_stats' client_response (any thread).</summary>
    public ResponseSizeStats ResponseSizes { get; } = new();

    /// <summary>The log entries this node appended as leader, by size: ZooKeeper's proposal_stats.</summary>
    private ResponseSizeStats ProposalSizes { get; } = new();

    /// <summary>The last zxid and Unix time in seconds of the last snapshot this node took; null before its first.</summary>
    private (long Zxid, long Seconds)? _lastSnapshot;

    /// <summary>Under the gate, as the loop captures the tree (the snapshot is written after, off the loop).</summary>
    private void OnSnapshotCaptured(long zxid) => _lastSnapshot = (zxid, NowMs / 1000);

    /// <summary>srvr: the version, the server's statistics and reply sizes, the leader's proposal sizes, the node count.</summary>
    private JsonObject ServerStatsFields()
    {
        var fields = new JsonObject
        {
            ["version"] = FourLetterWords.Version,
            ["read_only"] = _readOnlyMode,
            ["server_stats"] = ServerStatistics(),
            ["client_response"] = Sizes(ResponseSizes),
        };
        if (_leading)
        {
            fields["proposal_stats"] = Sizes(ProposalSizes);
        }
        fields["node_count"] = Tree.NodeCount;
        return fields;
    }

    /// <summary>stat: srvr's fields and each connection's counts (cons's brief fields).</summary>
    private JsonObject StatsFields()
    {
        var fields = ServerStatsFields();
        fields["connections"] = new JsonArray([.. _connections.Values.OrderBy(c => c.Id).Select(c => (JsonNode)ConnectionInfo(c, brief: true))]);
        fields["secure_connections"] = new JsonArray();
        return fields;
    }

    private JsonObject ServerStatistics()
    {
        var c = _counters;
        long bytes = _places?.LogBytes() ?? 0;
        return new JsonObject
        {
            ["packets_sent"] = c.Sent,
            ["packets_received"] = c.Received,
            ["fsync_threshold_exceed_count"] = 0, // the Raft log's fsyncs are not timed against a threshold
            ["client_response_stats"] = Sizes(ResponseSizes),
            ["provider_null"] = false,
            ["server_state"] = Mode,
            ["outstanding_requests"] = Outstanding,
            ["min_latency"] = c.MinOrZero,
            ["avg_latency"] = c.AverageLatencyMs,
            ["max_latency"] = c.MaxLatencyMs,
            ["data_dir_size"] = bytes,
            ["log_dir_size"] = bytes,
            ["last_processed_zxid"] = Tree.LastZxid,
            ["num_alive_client_connections"] = ConnectionCount(null),
            ["uptime"] = ElapsedMs - _startedMs,
            ["auth_failed_count"] = c.AuthFailed,
            ["non_mtlsremote_conn_count"] = 0, // counted by ZooKeeper only with client certificates required
            ["non_mtlslocal_conn_count"] = 0,
        };
    }

    private static JsonObject Sizes(ResponseSizeStats stats)
    {
        var (last, min, max) = stats.Read();
        return new JsonObject { ["last_buffer_size"] = last, ["min_buffer_size"] = min, ["max_buffer_size"] = max };
    }

    /// <summary>leader: whether this node leads, and the leader's id and host; -1 and "" while there is none.</summary>
    private JsonObject LeaderFields()
    {
        if (_readOnlyMode)
        {
            return new JsonObject { ["error"] = "server is not initialized" };
        }
        var leader = _leader == 0 ? null : _ensemble.FirstOrDefault(s => s.Id == _leader);
        return new JsonObject
        {
            ["is_leader"] = _leading,
            ["leader_id"] = _leader == 0 ? -1 : (long)_leader,
            ["leader_ip"] = leader?.Host ?? "",
        };
    }

    /// <summary>
    /// voting_view: the voting members by id. ZooKeeper's second address is the election port; Colony has
    /// none, and its config's second port is the node's HTTP port, so that is what <c>election_addresses</c> holds.
    /// </summary>
    private JsonObject VotingViewFields()
    {
        var view = new JsonObject();
        if (!_readOnlyMode)
        {
            foreach (var server in _ensemble.Where(s => s.Role == ServerRole.Participant).OrderBy(s => s.Id))
            {
                view[server.Id.ToString(Invariant)] = new JsonObject
                {
                    ["server_addresses"] = new JsonArray(server.PeerAddress),
                    ["election_addresses"] = new JsonArray(ElectionAddress(server)),
                    ["client_address"] = server.ClientAddress ?? "",
                    ["learner_type"] = "participant",
                };
            }
        }
        return new JsonObject { ["current_config"] = view };
    }

    /// <summary>
    /// zabstate: this server's addresses, whether it votes, its last zxid split into epoch and counter, and
    /// its phase: broadcast while it has a leader (a Raft member serves as soon as it follows), else election.
    /// </summary>
    private JsonObject ZabStateFields()
    {
        if (_readOnlyMode)
        {
            return new JsonObject { ["voting"] = false, ["zabstate"] = "" };
        }
        var self = _ensemble.FirstOrDefault(s => s.Id == _host.NodeId);
        long zxid = Tree.LastZxid;
        return new JsonObject
        {
            ["myid"] = (long)_host.NodeId,
            ["is_leader"] = _leading,
            ["quorum_address"] = self is null ? null : MultipleAddresses(self.Host, self.PeerAddress, self.PeerPort),
            ["election_address"] = self is null ? null : MultipleAddresses(self.Host, ElectionAddress(self), self.ElectionPort),
            ["client_address"] = _places?.ClientAddress ?? self?.ClientAddress ?? "",
            ["voting"] = self is { Role: ServerRole.Participant },
            ["last_zxid"] = $"0x{zxid:x}",
            ["zab_epoch"] = zxid >> 32,
            ["zab_counter"] = zxid & 0xffffffffL,
            ["zabstate"] = _leader != 0 ? "broadcast" : "election",
        };
    }

    private static string ElectionAddress(ServerSpec server) => $"{(server.Host.Contains(':', StringComparison.Ordinal) ? $"[{server.Host}]" : server.Host)}:{server.ElectionPort}";

    /// <summary>One address as ZooKeeper 3.8 prints its MultipleAddresses type: every view of its list of addresses.</summary>
    private static JsonObject MultipleAddresses(string host, string address, int port) => new()
    {
        ["empty"] = false,
        ["all_addresses"] = new JsonArray(address),
        ["all_reachable_addresses"] = new JsonArray(address),
        ["one"] = address,
        ["reachable_address"] = address,
        ["wildcard_addresses"] = new JsonArray($"0.0.0.0:{port}"),
        ["all_ports"] = new JsonArray(port),
        ["all_host_strings"] = new JsonArray(host),
        ["all_reachable_addresses_or_all"] = new JsonArray(address),
        ["reachable_or_one"] = address,
    };

    /// <summary>last_snapshot: the last snapshot's zxid (hex, no 0x) and time in seconds; as ZooKeeper with none, -1 for both.</summary>
    private JsonObject LastSnapshotFields() => new()
    {
        ["zxid"] = (_lastSnapshot?.Zxid ?? -1).ToString("x", Invariant),
        ["timestamp"] = _lastSnapshot?.Seconds ?? -1,
    };

    /// <summary>
    /// observers: on the leader, the observers replicating and heard from lately, each as ZooKeeper lists a
    /// learner; elsewhere none (observers replicate from the leader here, never from a follower).
    /// </summary>
    private JsonObject ObserversFields()
    {
        var observers = new JsonArray();
        if (_leading)
        {
            foreach (var peer in _host.Status.Peers.Where(p => !p.Voter && p.Active && p.State == "Replicate").OrderBy(p => p.Id))
            {
                var spec = _ensemble.FirstOrDefault(s => s.Id == peer.Id);
                observers.Add(new JsonObject
                {
                    ["remote_socket_address"] = spec?.PeerAddress ?? "",
                    ["sid"] = (long)peer.Id,
                    ["established"] = 0, // Raft keeps no connection time, nor the counts below
                    ["queued_packets"] = peer.Next > peer.Match + 1 ? (long)(peer.Next - peer.Match - 1) : 0,
                    ["queued_packets_size"] = 0,
                    ["packets_received"] = 0,
                    ["packets_sent"] = 0,
                    ["requests"] = 0,
                    ["last_zxid"] = 0,
                });
            }
        }
        return new JsonObject { ["synced_observers"] = observers.Count, ["observers"] = observers };
    }

    /// <summary>
    /// system_properties: what Java's system properties tell of the process, from .NET: the runtime, the
    /// operating system, the user and directories, sorted by name. Environment variables and the command line are left out (they may hold secrets).
    /// </summary>
    private static JsonObject SystemPropertiesFields()
    {
        var properties = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["file.separator"] = Path.DirectorySeparatorChar.ToString(),
            ["line.separator"] = Environment.NewLine,
            ["os.arch"] = RuntimeInformation.OSArchitecture.ToString(),
            ["os.name"] = RuntimeInformation.OSDescription,
            ["os.version"] = Environment.OSVersion.Version.ToString(),
            ["path.separator"] = Path.PathSeparator.ToString(),
            ["process.id"] = Environment.ProcessId.ToString(Invariant),
            ["process.path"] = Environment.ProcessPath ?? "",
            ["processor.count"] = Environment.ProcessorCount.ToString(Invariant),
            ["runtime.description"] = RuntimeInformation.FrameworkDescription,
            ["runtime.gc.server"] = GCSettings.IsServerGC ? "true" : "false",
            ["runtime.identifier"] = RuntimeInformation.RuntimeIdentifier,
            ["runtime.version"] = Environment.Version.ToString(),
            ["tmpdir"] = Path.GetTempPath(),
            ["user.dir"] = Environment.CurrentDirectory,
            ["user.home"] = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            ["user.name"] = Environment.UserName,
            ["user.timezone"] = TimeZoneInfo.Local.Id,
            ["zookeeper.version"] = FourLetterWords.Version,
        };
        var fields = new JsonObject();
        foreach (var (key, value) in properties)
        {
            fields[key] = value;
        }
        return fields;
    }
}
