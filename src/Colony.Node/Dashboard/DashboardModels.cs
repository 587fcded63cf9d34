using System.Text.Json.Serialization;
using Colony.Coordination;

namespace Colony.Node.Dashboard;

// The JSON twins of the dashboard's pages (docs/operations.md, "HTTP API"). Property names are part of
// the API: tests check them against docs/api/*.schema.json.

/// <summary>A volume's size and free space.</summary>
public sealed record DiskView(
    [property: JsonPropertyName("totalBytes")] long TotalBytes,
    [property: JsonPropertyName("freeBytes")] long FreeBytes)
{
    [JsonIgnore]
    public double FreeFraction => TotalBytes <= 0 ? 1 : (double)FreeBytes / TotalBytes;
}

/// <summary>What a node says about itself to the others (GET /api/node/summary), about once a second.</summary>
public sealed record NodeSummary(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("roles")] IReadOnlyList<string> Roles,
    [property: JsonPropertyName("raftRole")] string RaftRole,
    [property: JsonPropertyName("term")] ulong Term,
    [property: JsonPropertyName("leader")] ulong Leader,
    [property: JsonPropertyName("commit")] ulong Commit,
    [property: JsonPropertyName("applied")] ulong Applied,
    [property: JsonPropertyName("healthy")] bool Healthy,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("http")] string Http,
    [property: JsonPropertyName("zooKeeper")] string? ZooKeeper,
    [property: JsonPropertyName("disk")] DiskView Disk,
    [property: JsonPropertyName("connections")] int Connections,
    [property: JsonPropertyName("zooKeeperRequests")] long ZooKeeperRequests,
    [property: JsonPropertyName("znodes")] int Znodes,
    [property: JsonPropertyName("watches")] int Watches,
    [property: JsonPropertyName("sessions")] int Sessions);

/// <summary>One node as the overview shows it: what it last said, and how long ago.</summary>
public sealed record ClusterNodeView(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("http")] string Http,
    [property: JsonPropertyName("voter")] bool Voter,
    [property: JsonPropertyName("health")] string Health,
    [property: JsonPropertyName("lastSeen")] DateTimeOffset? LastSeen,
    [property: JsonPropertyName("secondsSinceSeen")] double? SecondsSinceSeen,
    [property: JsonPropertyName("requestsPerSecond")] double RequestsPerSecond,
    [property: JsonPropertyName("summary")] NodeSummary? Summary,
    [property: JsonPropertyName("blocks")] int? Blocks = null,
    [property: JsonPropertyName("runningTasks")] int RunningTasks = 0);

/// <summary>Something wrong that an operator should see first.</summary>
public sealed record AlertView(
    [property: JsonPropertyName("severity")] string Severity,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("message")] string Message);

/// <summary>GET /api/cluster: the overview.</summary>
public sealed record ClusterView(
    [property: JsonPropertyName("clusterId")] string ClusterId,
    [property: JsonPropertyName("servedBy")] ulong ServedBy,
    [property: JsonPropertyName("generatedAt")] DateTimeOffset GeneratedAt,
    [property: JsonPropertyName("leader")] ulong Leader,
    [property: JsonPropertyName("term")] ulong Term,
    [property: JsonPropertyName("commit")] ulong Commit,
    [property: JsonPropertyName("healthy")] bool Healthy,
    [property: JsonPropertyName("nodes")] IReadOnlyList<ClusterNodeView> Nodes,
    [property: JsonPropertyName("alerts")] IReadOnlyList<AlertView> Alerts);

/// <summary>How many requests of one opcode this node answered.</summary>
public sealed record OpcodeCount(
    [property: JsonPropertyName("opcode")] string Opcode,
    [property: JsonPropertyName("count")] long Count);

/// <summary>This node's coordination figures.</summary>
public sealed record CoordinationStats(
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("connections")] int Connections,
    [property: JsonPropertyName("sessions")] int Sessions,
    [property: JsonPropertyName("znodes")] int Znodes,
    [property: JsonPropertyName("watches")] int Watches,
    [property: JsonPropertyName("ephemerals")] int Ephemerals,
    [property: JsonPropertyName("approximateDataBytes")] long ApproximateDataBytes,
    [property: JsonPropertyName("lastZxid")] long LastZxid,
    [property: JsonPropertyName("received")] long Received,
    [property: JsonPropertyName("sent")] long Sent,
    [property: JsonPropertyName("outstanding")] int Outstanding,
    [property: JsonPropertyName("averageLatencyMs")] double AverageLatencyMs,
    [property: JsonPropertyName("maxLatencyMs")] long MaxLatencyMs,
    [property: JsonPropertyName("byOpcode")] IReadOnlyList<OpcodeCount> ByOpcode);

/// <summary>One node's share of the coordination load, from its summary.</summary>
public sealed record CoordinationNodeView(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("health")] string Health,
    [property: JsonPropertyName("connections")] int? Connections,
    [property: JsonPropertyName("requestsPerSecond")] double RequestsPerSecond,
    [property: JsonPropertyName("znodes")] int? Znodes,
    [property: JsonPropertyName("watches")] int? Watches);

/// <summary>GET /api/coordination.</summary>
public sealed record CoordinationView(
    [property: JsonPropertyName("servedBy")] ulong ServedBy,
    [property: JsonPropertyName("local")] CoordinationStats Local,
    [property: JsonPropertyName("nodes")] IReadOnlyList<CoordinationNodeView> Nodes);

/// <summary>An ACL entry, with permissions as ZooKeeper's CLI prints them ("cdrwa").</summary>
public sealed record AclView(
    [property: JsonPropertyName("scheme")] string Scheme,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("perms")] string Perms);

/// <summary>The first bytes of a znode's data: as text when they are UTF-8 without control characters, else hex.</summary>
public sealed record DataPreview(
    [property: JsonPropertyName("encoding")] string Encoding,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("truncated")] bool Truncated)
{
    public static DataPreview Of(ReadOnlySpan<byte> data, int limit)
    {
        var shown = data[..Math.Min(data.Length, limit)];
        bool truncated = shown.Length < data.Length;
        if (System.Text.Unicode.Utf8.IsValid(shown) && !ContainsControl(shown))
        {
            return new DataPreview("utf-8", System.Text.Encoding.UTF8.GetString(shown), truncated);
        }
        return new DataPreview("hex", Convert.ToHexStringLower(shown), truncated);
    }

    private static bool ContainsControl(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b < 0x20 && b is not (byte)'\n' and not (byte)'\r' and not (byte)'\t')
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>GET /api/coordination/tree?path=…: one znode.</summary>
public sealed record ZNodeBrowse(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("stat")] Stat Stat,
    [property: JsonPropertyName("acl")] IReadOnlyList<AclView> Acl,
    [property: JsonPropertyName("children")] IReadOnlyList<string> Children,
    [property: JsonPropertyName("childCount")] int ChildCount,
    [property: JsonPropertyName("worldReadable")] bool WorldReadable,
    [property: JsonPropertyName("data")] DataPreview? Data);

/// <summary>A configuration setting, with secrets masked.</summary>
public sealed record SettingView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] string Value);

/// <summary>A follower's replication progress as its leader sees it.</summary>
public sealed record PeerView(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("match")] ulong Match,
    [property: JsonPropertyName("next")] ulong Next,
    [property: JsonPropertyName("lag")] ulong Lag,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("voter")] bool Voter);

/// <summary>A log line on the node page.</summary>
public sealed record LogLineView(
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("message")] string Message);

/// <summary>GET /api/node: this node in full.</summary>
public sealed record NodeDetails(
    [property: JsonPropertyName("summary")] NodeSummary Summary,
    [property: JsonPropertyName("leaderHttp")] string? LeaderHttp,
    [property: JsonPropertyName("peers")] IReadOnlyList<PeerView>? Peers,
    [property: JsonPropertyName("configuration")] IReadOnlyList<SettingView> Configuration,
    [property: JsonPropertyName("recentLogs")] IReadOnlyList<LogLineView> RecentLogs);

/// <summary>GET /api/storage?path=…: one directory or file of the file system, read-only.</summary>
public sealed record StorageView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("entry")] Colony.Node.FileSystem.FileStatusView Entry,
    [property: JsonPropertyName("children")] IReadOnlyList<Colony.Node.FileSystem.FileStatusView> Children,
    [property: JsonPropertyName("files")] long Files,
    [property: JsonPropertyName("directories")] long Directories,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("totalFiles")] long TotalFiles,
    [property: JsonPropertyName("totalBlocks")] int TotalBlocks,
    [property: JsonPropertyName("health")] StorageHealthView? Health);

/// <summary>A data node as the leader's block map sees it.</summary>
public sealed record DataNodeHealthView(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("blocks")] int Blocks,
    [property: JsonPropertyName("corruptReplicas")] int CorruptReplicas,
    [property: JsonPropertyName("capacityBytes")] long CapacityBytes,
    [property: JsonPropertyName("freeBytes")] long FreeBytes);

/// <summary>
/// GET /api/storage/health: the cluster's block health (the same report as <c>colony fs fsck</c>) and its data
/// nodes, from the leader, which alone keeps the block map.
/// </summary>
public sealed record StorageHealthView(
    [property: JsonPropertyName("leader")] ulong Leader,
    [property: JsonPropertyName("fsck")] Colony.Node.FileSystem.FsckView Fsck,
    [property: JsonPropertyName("dataNodes")] IReadOnlyList<DataNodeHealthView> DataNodes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(NodeSummary))]
[JsonSerializable(typeof(ClusterView))]
[JsonSerializable(typeof(CoordinationView))]
[JsonSerializable(typeof(ZNodeBrowse))]
[JsonSerializable(typeof(NodeDetails))]
[JsonSerializable(typeof(StorageView))]
[JsonSerializable(typeof(StorageHealthView))]
internal sealed partial class DashboardJson : JsonSerializerContext;
