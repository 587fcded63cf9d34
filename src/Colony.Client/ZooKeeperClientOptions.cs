using System.Net;
using System.Net.Sockets;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>How a <see cref="ZooKeeperClient"/> connects and what it allows. Every value has a working default.</summary>
public sealed record ZooKeeperClientOptions
{
    /// <summary>The session timeout to ask for; the server clamps it to its own bounds. Default 10 s.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="ZooKeeperClient.ConnectAsync"/> tries the servers before giving up. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A session to resume (with <see cref="SessionPassword"/>) instead of creating one; 0 for a new session.</summary>
    public long SessionId { get; init; }

    public byte[]? SessionPassword { get; init; }

    /// <summary>Asks for a read-only session when the server has lost its quorum (ZooKeeper's canBeReadOnly flag).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Receives session-state events and the events of watches set with <c>watch: true</c>.</summary>
    public Watcher? DefaultWatcher { get; init; }

    /// <summary>Requests sent and not yet answered; further requests wait for room. Default 1,000.</summary>
    public int MaxOutstandingRequests { get; init; } = 1000;

    /// <summary>The largest frame accepted from a server; a bigger one drops the connection. Default 1 MiB + 64 KiB.</summary>
    public int MaxFrameBytes { get; init; } = FrameReader.DefaultMaxFrameBytes;

    /// <summary>
    /// The longest pause between rounds of connection attempts while the client cannot reach any
    /// server; the first attempt after a drop is immediate. Default 1 s.
    /// </summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Lets code awaiting a request continue on the connection's receiving thread, as soon as the reply
    /// is read: one thread wake-up per reply instead of two or three, which is most of a request's cost
    /// on a loaded machine. Default true. It stays safe when a continuation blocks (say, waiting on
    /// another request's result): after 100 ms another thread takes over the reading, and this client's
    /// continuations run on the thread pool from then on. False runs them on the thread pool from the start.
    /// Watch and state-change callbacks are not affected: they always run one at a time, off the receiving thread.
    /// </summary>
    public bool InlineContinuations { get; init; } = true;

    /// <summary>Shuffle the servers before trying them, so clients spread over the ensemble. Default true.</summary>
    public bool ShuffleServers { get; init; } = true;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Opens the TCP connection to one server and returns the connected socket, which the client then
    /// owns. Null (the default): a new socket connected directly. A hook for what the default cannot
    /// do, as <c>SocketsHttpHandler.ConnectCallback</c> is for HTTP: binding a source address, a
    /// socket made in another network namespace, a tunnel. <see cref="ConnectTimeout"/> and the
    /// per-server attempt time still apply, through the token.
    /// </summary>
    public Func<DnsEndPoint, CancellationToken, ValueTask<Socket>>? ConnectCallback { get; init; }

    internal void Validate()
    {
        Positive(SessionTimeout, nameof(SessionTimeout));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        if (MaxReconnectDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReconnectDelay), MaxReconnectDelay, "must not be negative");
        }
        if (SessionTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(SessionTimeout), SessionTimeout, "does not fit the protocol's 32-bit milliseconds");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOutstandingRequests, 1, nameof(MaxOutstandingRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameBytes, 1024, nameof(MaxFrameBytes));
        if (SessionId != 0 && SessionPassword is null)
        {
            throw new ArgumentException("Resuming a session needs its password.", nameof(SessionPassword));
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be positive");
        }
    }
}
