namespace Colony.Node.ZooKeeper;

/// <summary>
/// The coordination service's settings, section "Colony:Coordination". Defaults follow Apache
/// ZooKeeper's, so clients tuned for it behave the same here.
/// </summary>
public sealed class CoordinationOptions
{
    public const string SectionName = "Colony:Coordination";

    /// <summary>ZooKeeper's tickTime: session timeouts are negotiated within [2, 20] ticks. Default 2000 ms.</summary>
    public int TickTimeMs { get; set; } = 2000;

    /// <summary>The shortest session timeout granted; -1 means 2 × <see cref="TickTimeMs"/>.</summary>
    public int MinSessionTimeoutMs { get; set; } = -1;

    /// <summary>The longest session timeout granted; -1 means 20 × <see cref="TickTimeMs"/>.</summary>
    public int MaxSessionTimeoutMs { get; set; } = -1;

    /// <summary>
    /// The longest request frame accepted; a longer one closes the connection. Default 1,048,575 bytes,
    /// ZooKeeper's jute.maxbuffer, so the largest write is the one ZooKeeper takes, and what one client
    /// wrote, every client with ZooKeeper's default limits can read back.
    /// </summary>
    public int MaxFrameBytes { get; set; } = Colony.Coordination.Protocol.FrameReader.JuteMaxBuffer;

    /// <summary>How long a new connection may take to send its handshake (or a four-letter word). Default 10 s.</summary>
    public int HandshakeTimeoutMs { get; set; } = 10_000;

    /// <summary>Client connections accepted at once; more are closed at once. Default 10,000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>
    /// Client connections accepted at once from one IP address (ZooKeeper's maxClientCnxns); more are
    /// closed at once, logged and counted. 0 means no limit. Default 60, as in ZooKeeper.
    /// </summary>
    public int MaxClientConnectionsPerIp { get; set; } = 60;

    /// <summary>Requests one connection may have in flight before the server stops reading from it. Default 1,000.</summary>
    public int MaxOutstandingPerConnection { get; set; } = 1_000;

    /// <summary>
    /// Requests per second the node reads from all its clients together (a token bucket). Past it the
    /// server reads more slowly: nothing fails, clients wait. 0 means no limit, the default.
    /// </summary>
    public int MaxRequestsPerSecond { get; set; }

    /// <summary>Requests that may pass at once after an idle spell when <see cref="MaxRequestsPerSecond"/> is set; 0 means a tenth of a second's worth.</summary>
    public int RequestBurst { get; set; }

    /// <summary>Replies and notifications queued for a client that is not reading before it is disconnected. Default 10,000.</summary>
    public int MaxQueuedRepliesPerConnection { get; set; } = 10_000;

    /// <summary>How long a write may wait for the log before the client's connection is closed (outcome unknown). Default 15 s.</summary>
    public int WriteTimeoutMs { get; set; } = 15_000;

    /// <summary>How often the leader looks for empty containers and expired TTL nodes. Default 1000 ms.</summary>
    public int CleanupIntervalMs { get; set; } = 1000;

    /// <summary>
    /// Read-only mode: a node that has had no leader for <see cref="ReadOnlyAfterMs"/> keeps serving
    /// clients that ask for a read-only session (ZooKeeper's canBeReadOnly), from its last applied
    /// state, and refuses the others. On by default (ZooKeeper's readonlymode.enabled is off by default).
    /// </summary>
    public bool ReadOnlyModeEnabled { get; set; } = true;

    /// <summary>How long without a leader before a node turns read-only. Default 2000 ms.</summary>
    public int ReadOnlyAfterMs { get; set; } = 2000;

    /// <summary>
    /// A JAAS-style file of SASL users (<c>user_NAME="password"</c> entries, as ZooKeeper's
    /// DigestLoginModule reads them). Unset: SASL requests get AuthFailed.
    /// </summary>
    public string? SaslUsersFile { get; set; }

    /// <summary>
    /// ZooKeeper's superDigest: "super:base64(sha1(super:password))". A client that authenticates as
    /// that digest user may do anything. Unset by default.
    /// </summary>
    public string? SuperDigest { get; set; }

    /// <summary>
    /// ZooKeeper's reconfigEnabled: whether reconfig (op 16) is served at all; when off it answers
    /// ReconfigDisabled. On by default (ZooKeeper's is off): reconfig is still refused (NoAuth) to
    /// everyone but the super user, because <c>/zookeeper/config</c> grants write to nobody.
    /// </summary>
    public bool ReconfigEnabled { get; set; } = true;

    /// <summary>
    /// Like ZooKeeper's skipACL, for reconfig alone: any client may reconfigure the ensemble. Off by
    /// default; only for closed test setups.
    /// </summary>
    public bool ReconfigSkipAcl { get; set; }

    /// <summary>
    /// ZooKeeper's localSessionsEnabled: new sessions are local to the node the client connected to,
    /// made without a write to the log, and gone if that node dies. Off by default, as in ZooKeeper.
    /// </summary>
    public bool LocalSessionsEnabled { get; set; }

    /// <summary>
    /// ZooKeeper's localSessionsUpgradingEnabled: a local session's first ephemeral create makes it
    /// a global session. Off (the create fails with EphemeralOnLocalSession) by default.
    /// </summary>
    public bool LocalSessionsUpgradingEnabled { get; set; }

    /// <summary>Throws with a one-line reason if the settings cannot work.</summary>
    public void Validate()
    {
        Require(TickTimeMs > 0, "Coordination:TickTimeMs must be positive");
        Require(MaxFrameBytes >= 1024, "Coordination:MaxFrameBytes must be at least 1024");
        Require(HandshakeTimeoutMs > 0, "Coordination:HandshakeTimeoutMs must be positive");
        Require(MaxConnections > 0, "Coordination:MaxConnections must be positive");
        Require(MaxClientConnectionsPerIp >= 0, "Coordination:MaxClientConnectionsPerIp must be 0 (no limit) or positive");
        Require(MaxRequestsPerSecond >= 0, "Coordination:MaxRequestsPerSecond must be 0 (no limit) or positive");
        Require(RequestBurst >= 0, "Coordination:RequestBurst must be 0 (a tenth of a second's worth) or positive");
        Require(MaxOutstandingPerConnection > 0, "Coordination:MaxOutstandingPerConnection must be positive");
        Require(MaxQueuedRepliesPerConnection > MaxOutstandingPerConnection, "Coordination:MaxQueuedRepliesPerConnection must exceed MaxOutstandingPerConnection");
        Require(WriteTimeoutMs > 0, "Coordination:WriteTimeoutMs must be positive");
        Require(CleanupIntervalMs > 0, "Coordination:CleanupIntervalMs must be positive");
        Require(ReadOnlyAfterMs > 0, "Coordination:ReadOnlyAfterMs must be positive");
        Require(SuperDigest is null || SuperDigest.Contains(':', StringComparison.Ordinal), "Coordination:SuperDigest must be user:digest");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"invalid configuration: {message}");
        }
    }
}
