using System.Net;

namespace Colony.Node.Hosting;

/// <summary>One member of the cluster as a node's configuration names it.</summary>
public sealed class MemberOptions
{
    public ulong Id { get; set; }

    /// <summary>The member's peer (Raft) address, host:port.</summary>
    public string Peer { get; set; } = "";

    /// <summary>The member's HTTP base address.</summary>
    public string Http { get; set; } = "";

    /// <summary>The member's ZooKeeper client address, host:port, for <c>/zookeeper/config</c>; optional.</summary>
    public string? ZooKeeper { get; set; }
}

/// <summary>
/// A node's configuration, section "Colony": from its JSON file, then COLONY_ environment variables,
/// then command-line flags.
/// </summary>
public sealed class NodeOptions
{
    public const string SectionName = "Colony";

    /// <summary>This node's id, from 1.</summary>
    public ulong NodeId { get; set; }

    /// <summary>The cluster's id: peers of another cluster are refused.</summary>
    public string ClusterId { get; set; } = "";

    /// <summary>A file holding the cluster's shared secret (base64).</summary>
    public string? SecretFile { get; set; }

    /// <summary>The shared secret itself (base64), when not in a file.</summary>
    public string? Secret { get; set; }

    /// <summary>Where the write-ahead log and snapshots live.</summary>
    public string DataDir { get; set; } = "";

    /// <summary>The ZooKeeper client address (served once the coordination service lands).</summary>
    public string? ZooKeeper { get; set; }

    /// <summary>The TLS ZooKeeper client address (ZooKeeper's secureClientPort); needs "Colony:Tls".</summary>
    public string? SecureZooKeeper { get; set; }

    /// <summary>This node's peer (Raft) listen address, host:port.</summary>
    public string Peer { get; set; } = "";

    /// <summary>This node's HTTP address (status, health, admin).</summary>
    public string Http { get; set; } = "";

    /// <summary>
    /// Most connections open to the HTTP port from one client IP address; more are closed on arrival. 0: no
    /// limit. Default 512: the dashboard, the CLI, the other nodes and a 256-connection load run fit well within it.
    /// </summary>
    public int MaxHttpConnectionsPerIp { get; set; } = 512;

    /// <summary>
    /// This node's block data-transfer listen address, host:port: file blocks are written, read and
    /// copied between nodes through it. Unset: the node stores no blocks.
    /// </summary>
    public string? DataTransfer { get; set; }

    /// <summary>This data node's rack, for placement (replicas spread over racks); unset: one rack for all.</summary>
    public string? Rack { get; set; }

    /// <summary>Free space a data node keeps back from blocks. Default 256 MiB.</summary>
    public long BlockReserveBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Most bytes of replicas a data node holds; 0 (the default): the whole volume.</summary>
    public long BlockCapacityBytes { get; set; }

    /// <summary>Cap on the bytes/s a data node sends copying replicas for repair. Default 32 MiB/s.</summary>
    public long ReplicationBytesPerSecond { get; set; } = 32L * 1024 * 1024;

    /// <summary>A file's writer silent this long loses its lease: the leader closes the file. Default 60 s.</summary>
    public long LeaseHardLimitMs { get; set; } = 60_000;

    /// <summary>The initial members (for a new cluster) or the members to contact (when joining).</summary>
    public List<MemberOptions> Members { get; set; } = [];

    /// <summary>True for a node added to a running cluster: it starts with no membership and waits to be added.</summary>
    public bool Join { get; set; }

    /// <summary>With <see cref="Join"/>: any member's HTTP address, through which the node asks to be added.</summary>
    public string? JoinVia { get; set; }

    /// <summary>Milliseconds per Raft tick. Default 50: elections after 0.5–1 s of silence.</summary>
    public int TickMilliseconds { get; set; } = 50;

    /// <summary>Ticks without a leader before an election. Default 10.</summary>
    public int ElectionTicks { get; set; } = 10;

    /// <summary>Ticks between heartbeats. Default 2.</summary>
    public int HeartbeatTicks { get; set; } = 2;

    /// <summary>Applied entries between state-machine snapshots. Default 10,000.</summary>
    public ulong SnapshotEveryEntries { get; set; } = 10_000;

    /// <summary>
    /// A snapshot also waits until the log since the last one is this many times its size, so a large
    /// state is not rewritten every <see cref="SnapshotEveryEntries"/> entries. Default 1.
    /// </summary>
    public double SnapshotLogBytesRatio { get; set; } = 1;

    /// <summary>Throws with a one-line reason if the configuration cannot work.</summary>
    public void Validate()
    {
        Require(NodeId > 0, "NodeId must be set (from 1)");
        Require(!string.IsNullOrWhiteSpace(ClusterId), "ClusterId must be set");
        Require(!string.IsNullOrWhiteSpace(DataDir), "DataDir must be set");
        Require(IPEndPoint.TryParse(Peer, out _), $"Peer must be host:port, not '{Peer}'");
        Require(Uri.TryCreate(Http, UriKind.Absolute, out _), $"Http must be a URL, not '{Http}'");
        Require(string.IsNullOrEmpty(SecureZooKeeper) || IPEndPoint.TryParse(SecureZooKeeper, out _), $"SecureZooKeeper must be host:port, not '{SecureZooKeeper}'");
        Require(string.IsNullOrEmpty(DataTransfer) || IPEndPoint.TryParse(DataTransfer, out _), $"DataTransfer must be host:port, not '{DataTransfer}'");
        Require(SecretFile is not null || Secret is not null, "SecretFile or Secret must be set");
        Require(BlockReserveBytes >= 0 && BlockCapacityBytes >= 0 && ReplicationBytesPerSecond > 0 && LeaseHardLimitMs > 0,
            "BlockReserveBytes and BlockCapacityBytes must not be negative; ReplicationBytesPerSecond and LeaseHardLimitMs must be positive");
        Require(TickMilliseconds > 0, "TickMilliseconds must be positive");
        Require(MaxHttpConnectionsPerIp >= 0, "MaxHttpConnectionsPerIp must be 0 (no limit) or positive");
        Require(JoinVia is null || (Join && Uri.TryCreate(JoinVia, UriKind.Absolute, out _)), "JoinVia must be a URL, and needs Join");
        Require(Join || Members.Any(m => m.Id == NodeId), "Members must include this node (or set Join)");
        foreach (var member in Members)
        {
            Require(member.Id > 0 && IPEndPoint.TryParse(member.Peer, out _), $"member {member.Id} needs an id and a host:port peer address");
        }
    }

    /// <summary>The shared secret's bytes.</summary>
    public byte[] LoadSecret()
    {
        string text = Secret ?? File.ReadAllText(SecretFile!);
        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("the cluster secret is not base64");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"invalid configuration: {message}");
        }
    }
}
