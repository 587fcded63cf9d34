using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// What the server knows about one connection's session, touched only on the loop thread: its id
/// once established, the identities it authenticated as, and its requests in arrival order.
/// </summary>
internal sealed class SessionState(ClientConnection connection, int timeoutMs)
{
    public ClientConnection Connection { get; } = connection;

    /// <summary>0 until the session is created or resumed.</summary>
    public long SessionId { get; set; }

    public int TimeoutMs { get; set; } = timeoutMs;

    public byte[] Password { get; set; } = [];

    public bool Established { get; set; }

    /// <summary>Identities for ACL checks: the client's address (ip scheme) and whatever it added with auth.</summary>
    public List<Id> Auth { get; } = [];

    /// <summary>Requests in arrival order; replies leave in this order (ZooKeeper's per-session FIFO).</summary>
    public Queue<PendingRequest> Pending { get; } = new();

    /// <summary>Writes in <see cref="Pending"/> still waiting for the log.</summary>
    public int PendingWrites { get; set; }

    /// <summary>Of those, the ones handed to Raft (the rest wait for a reachable leader): lost if the leader changes.</summary>
    public int ProposedWrites { get; set; }

    public long LastZxidSent { get; set; }

    /// <summary>
    /// A session granted by a node in read-only mode: known only to this node, never in the log. It
    /// may read, and gets NotReadOnly for any write.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>A local session (localSessionsEnabled): known only to this node until it is upgraded.</summary>
    public bool Local { get; set; }

    /// <summary>The nonce of a SASL DIGEST-MD5 challenge sent and not yet answered.</summary>
    public string? SaslNonce { get; set; }

    /// <summary>For a read-only session: when its client was last heard from, for its local expiry.</summary>
    public long LastHeardMs { get; set; }
}

/// <summary>One request waiting for its turn: a write waits for the log, a read for the writes before it.</summary>
internal sealed class PendingRequest(RequestHeader header, ClientRequest request, bool isWrite, long sinceMs)
{
    public RequestHeader Header { get; } = header;

    public ClientRequest Request { get; } = request;

    public bool IsWrite { get; } = isWrite;

    public long SinceMs { get; } = sinceMs;

    /// <summary>Arrival, in <see cref="System.Diagnostics.Stopwatch"/> ticks: latency histograms need better than milliseconds.</summary>
    public long SinceTimestamp { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Set once the reply is known.</summary>
    public bool Done { get; private set; }

    public ReplyHeader Reply { get; private set; }

    public IJuteWritable? Body { get; private set; }

    public bool CloseAfter { get; private set; }

    public void Complete(ReplyHeader reply, IJuteWritable? body, bool closeAfter = false)
    {
        Done = true;
        Reply = reply;
        Body = body;
        CloseAfter = closeAfter;
    }
}
