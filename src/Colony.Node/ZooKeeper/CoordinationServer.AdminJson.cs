using System.Text.Json.Nodes;
using Colony.Coordination.Watches;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// The AdminServer commands whose JSON ZooKeeper builds from its own data rather than from the four-letter word's
/// text: the same field names and value types (ids and times as numbers, maps keyed by decimal session id).
/// </summary>
internal sealed partial class CoordinationServer
{
    /// <summary>The JSON fields of <paramref name="word"/>'s AdminServer command, or null if it has none of its own.</summary>
    public JsonObject? AdminFields(string word)
    {
        lock (_gate)
        {
            return word switch
            {
                "cons" => new JsonObject
                {
                    ["connections"] = new JsonArray([.. _connections.Values.OrderBy(c => c.Id).Select(c => (JsonNode)ConnectionInfo(c, brief: false))]),
                    ["secure_connections"] = new JsonArray(),
                },
                "crst" => ResetConnectionStatsFields(),
                "dump" => DumpFields(),
                "wchs" => WatchSummaryFields(),
                "wchc" => new JsonObject { ["session_id_to_watched_paths"] = WatchedPathsBySession() },
                "wchp" => new JsonObject { ["path_to_session_ids"] = SessionsByWatchedPath() },
                "srvr" => ServerStatsFields(),
                "stat" => StatsFields(),
                "lead" => LeaderFields(),
                "voting_view" => VotingViewFields(),
                "zabstate" => ZabStateFields(),
                "lsnp" => LastSnapshotFields(),
                // A ZooKeeper 3.8 ensemble member never records the config it started with (only a standalone server does).
                "icfg" => new JsonObject { ["initial_configuration"] = null },
                "sysp" => SystemPropertiesFields(),
                "obsr" => ObserversFields(),
                "orst" => [], // no per-observer counts are kept (see observers)
                "hash" => new JsonObject { ["digests"] = new JsonArray() }, // no tree digest: as ZooKeeper before its first digest
                _ => null,
            };
        }
    }

    /// <summary>A connection as ZooKeeper's <c>connections</c> lists it (its <c>cons</c> line, as fields); brief, as <c>stats</c> does (its <c>stat</c> line).</summary>
    private static JsonObject ConnectionInfo(ClientConnection connection, bool brief)
    {
        var stats = connection.Stats;
        var session = connection.Session;
        var info = new JsonObject
        {
            ["remote_socket_address"] = connection.Remote,
            ["interest_ops"] = 1,
            ["outstanding_requests"] = session?.Pending.Count ?? 0,
            ["packets_received"] = connection.Received,
            ["packets_sent"] = connection.Sent,
        };
        if (brief)
        {
            return info;
        }
        info["session_id"] = session?.SessionId ?? 0;
        info["last_operation"] = stats.LastOp;
        info["established"] = stats.EstablishedMs;
        info["session_timeout"] = session?.TimeoutMs ?? 0;
        info["last_cxid"] = stats.LastCxid;
        info["last_zxid"] = stats.LastZxid;
        info["last_response_time"] = stats.LastResponseMs;
        info["last_latency"] = stats.LastLatencyMs;
        info["min_latency"] = stats.MinLatencyMs;
        info["avg_latency"] = stats.AverageLatencyMs;
        info["max_latency"] = stats.MaxLatencyMs;
        return info;
    }

    private JsonObject ResetConnectionStatsFields()
    {
        ResetConnectionStats();
        return [];
    }

    /// <summary>
    /// The leader's session expiry buckets (elsewhere none, as on a ZooKeeper learner), keyed by the bucket's time on
    /// the monotonic clock in milliseconds, as ZooKeeper keys them (its elapsed time), and each session's ephemeral paths.
    /// </summary>
    private JsonObject DumpFields()
    {
        var expiry = new JsonObject();
        if (_leading)
        {
            foreach (var (deadline, sessions) in _expiry.Buckets())
            {
                expiry[deadline.ToString(Invariant)] = new JsonArray([.. sessions.Select(id => (JsonNode)id)]);
            }
        }
        var ephemerals = new JsonObject();
        foreach (var session in Tree.Sessions.Where(s => s.EphemeralCount > 0))
        {
            ephemerals[session.SessionId.ToString(Invariant)] = new JsonArray([.. Tree.GetEphemerals(session.SessionId).Select(p => (JsonNode)p)]);
        }
        return new JsonObject { ["expiry_time_to_session_ids"] = expiry, ["session_id_to_ephemeral_paths"] = ephemerals };
    }

    private JsonObject WatchSummaryFields()
    {
        var summary = _watches.SummaryOf(WatchKinds.DataTable);
        return new JsonObject
        {
            ["num_connections"] = summary.Connections,
            ["num_paths"] = summary.Paths,
            ["num_total_watches"] = summary.Watches,
        };
    }

    private JsonObject WatchedPathsBySession()
    {
        var bySession = new JsonObject();
        foreach (var watcher in _watches.DumpByWatcher(WatchKinds.DataTable))
        {
            // Two connections gone from the table both count as session 0: their paths go in one list.
            string session = SessionOfWatcher(watcher.WatcherId).ToString(Invariant);
            if (bySession[session] is not JsonArray paths)
            {
                paths = [];
                bySession[session] = paths;
            }
            foreach (string path in watcher.Paths)
            {
                paths.Add(path);
            }
        }
        return bySession;
    }

    private JsonObject SessionsByWatchedPath()
    {
        var byPath = new JsonObject();
        foreach (var path in _watches.DumpByPath(WatchKinds.DataTable))
        {
            byPath[path.Path] = new JsonArray([.. path.WatcherIds.Select(w => (JsonNode)SessionOfWatcher(w))]);
        }
        return byPath;
    }

    /// <summary>The session of the connection a watch belongs to; 0 once the connection is gone.</summary>
    private long SessionOfWatcher(long watcherId) =>
        _connections.TryGetValue(watcherId, out var c) && c.Session is { } s ? s.SessionId : 0;
}
