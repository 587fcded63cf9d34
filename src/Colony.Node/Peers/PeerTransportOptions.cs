using System.Text;
using Colony.Consensus.Wire;
using Colony.Core;

namespace Colony.Node.Peers;

/// <summary>
/// Settings of the peer transport, both directions: identity and credentials, wire limits, queue
/// bounds and timeouts. The defaults suit a cluster on one data-centre network.
/// </summary>
public sealed class PeerTransportOptions
{
    public const string SectionName = "Peers";

    /// <summary>The longest cluster id, in UTF-8 bytes.</summary>
    public const int MaxClusterIdBytes = 128;

    /// <summary>The shortest shared secret, in bytes.</summary>
    public const int MinSecretBytes = 16;

    /// <summary>This node's id. Required, non-zero.</summary>
    public NodeId LocalId { get; init; }

    /// <summary>Names the cluster; a peer of another cluster is turned away. Required, 1 to 128 UTF-8 bytes.</summary>
    public string ClusterId { get; init; } = "";

    /// <summary>
    /// The secret every node of the cluster shares; peers prove they know it without sending it.
    /// Required, 16 to 1,024 bytes (32 random bytes is a good choice).
    /// </summary>
    public byte[] Secret { get; init; } = [];

    /// <summary>
    /// When set, every peer connection runs inside mutual TLS: both sides present their certificate and
    /// accept only the cluster CA's. The secret handshake still runs, inside the TLS session. Default
    /// null: plain TCP.
    /// </summary>
    public Colony.Client.Security.ClusterTrust? Tls { get; init; }

    /// <summary>Frame and entry-count limits, enforced on what is sent and on what is received. Default <see cref="WireLimits.Default"/>.</summary>
    public WireLimits Wire { get; init; } = WireLimits.Default;

    /// <summary>The most messages queued for one peer. Default 4,096; 1 to 1,048,576.</summary>
    public int MaxQueuedMessagesPerPeer { get; init; } = 4096;

    /// <summary>The most frame bytes queued for one peer. Default 128 MiB; at least <see cref="WireLimits.MaxFrameBytes"/>.</summary>
    public long MaxQueuedBytesPerPeer { get; init; } = 128L << 20;

    /// <summary>What to drop when a peer's queue is full. Default <see cref="PeerQueueFullMode.DropOldest"/>.</summary>
    public PeerQueueFullMode QueueFullMode { get; init; } = PeerQueueFullMode.DropOldest;

    /// <summary>A peer's sender encodes up to this many bytes of frames for one send. Default 1 MiB; 4 KiB to 64 MiB.</summary>
    public int MaxBatchBytes { get; init; } = 1 << 20;

    /// <summary>How long a TCP connect may take. Default 5 s; 1 ms to 5 min.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the authentication handshake may take, on either side. Default 5 s; 1 ms to 5 min.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A send to a peer that takes longer (the socket's send timeout), or (on Linux) sent data it leaves
    /// unacknowledged that long, means it is stuck or gone: the connection is dropped. Default 10 s; 1 ms to 5 min.
    /// </summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The pause after the first failed attempt to reach a peer; it doubles per failure. Default 100 ms; 1 ms to 1 min.</summary>
    public TimeSpan InitialReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest pause between attempts to reach a peer. Default 5 s; from <see cref="InitialReconnectDelay"/> to 10 min.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The fraction of each pause that is random, so that peers do not retry in lockstep: a pause of
    /// d lasts between d × (1 − jitter) and d. Default 0.5; 0 to 1.
    /// </summary>
    public double ReconnectJitter { get; init; } = 0.5;

    /// <summary>The most inbound peer connections at once, handshakes included. Default 256; 1 to 65,536.</summary>
    public int MaxInboundConnections { get; init; } = 256;

    public void Validate()
    {
        Require(!LocalId.IsNone, nameof(LocalId), "0", "must be non-zero");
        int clusterIdBytes = Encoding.UTF8.GetByteCount(ClusterId ?? "");
        Require(clusterIdBytes is >= 1 and <= MaxClusterIdBytes, nameof(ClusterId), $"{clusterIdBytes} bytes", "must be 1 to 128 UTF-8 bytes");
        Require(Secret is { Length: >= MinSecretBytes and <= 1024 }, nameof(Secret), $"{Secret?.Length ?? 0} bytes", "must be 16 to 1,024 bytes");
        ArgumentNullException.ThrowIfNull(Wire);
        Wire.Validate();
        Require(MaxQueuedMessagesPerPeer is >= 1 and <= 1 << 20, nameof(MaxQueuedMessagesPerPeer), MaxQueuedMessagesPerPeer, "must be 1 to 1,048,576");
        Require(MaxQueuedBytesPerPeer >= Wire.MaxFrameBytes, nameof(MaxQueuedBytesPerPeer), MaxQueuedBytesPerPeer, "must hold at least one frame of Wire.MaxFrameBytes");
        Require(Enum.IsDefined(QueueFullMode), nameof(QueueFullMode), QueueFullMode, "is not a defined mode");
        Require(MaxBatchBytes is >= 4 << 10 and <= 64 << 20, nameof(MaxBatchBytes), MaxBatchBytes, "must be 4 KiB to 64 MiB");
        RequireTime(ConnectTimeout, nameof(ConnectTimeout), TimeSpan.FromMinutes(5));
        RequireTime(HandshakeTimeout, nameof(HandshakeTimeout), TimeSpan.FromMinutes(5));
        RequireTime(WriteTimeout, nameof(WriteTimeout), TimeSpan.FromMinutes(5));
        RequireTime(InitialReconnectDelay, nameof(InitialReconnectDelay), TimeSpan.FromMinutes(1));
        Require(MaxReconnectDelay >= InitialReconnectDelay && MaxReconnectDelay <= TimeSpan.FromMinutes(10),
            nameof(MaxReconnectDelay), MaxReconnectDelay, "must be from InitialReconnectDelay to 10 min");
        Require(ReconnectJitter is >= 0 and <= 1, nameof(ReconnectJitter), ReconnectJitter, "must be 0 to 1");
        Require(MaxInboundConnections is >= 1 and <= 1 << 16, nameof(MaxInboundConnections), MaxInboundConnections, "must be 1 to 65,536");
    }

    private static void RequireTime(TimeSpan value, string name, TimeSpan max) =>
        Require(value >= TimeSpan.FromMilliseconds(1) && value <= max, name, value, $"must be 1 ms to {max}");

    private static void Require<T>(bool condition, string name, T value, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} = {value} {rule}", name);
        }
    }
}
