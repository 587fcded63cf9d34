using System.Net;
using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>
/// An asynchronous ZooKeeper client: one session, kept alive across connection drops by pinging,
/// reconnecting and failing over to the other servers, re-sending its credentials and watches.
/// Requests are pipelined on a single connection and answered in the order they were sent.
/// <para>
/// A request outstanding when the connection drops fails with <see cref="ConnectionLossException"/>
/// (it may or may not have been applied); requests made while disconnected wait for the reconnect.
/// When the session expires every request fails with <see cref="SessionExpiredException"/> and the
/// client stops; create a new one.
/// </para>
/// </summary>
public sealed partial class ZooKeeperClient : IAsyncDisposable
{
    private const int ProtocolVersion = 0;
    private const int PasswordBytes = 16;

    private readonly ConnectString connectString;
    private readonly ZooKeeperClientOptions options;
    private readonly TimeProvider time;
    private readonly DnsEndPoint[] servers;
    private readonly WatchRegistry watches = new();
    private readonly RequestPipeline pipeline;
    private readonly ContinuationPolicy continuations;
    private readonly EventDispatcher events = new();
    private readonly CancellationTokenSource lifetime = new();
    private readonly TaskCompletionSource firstConnection = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object gate = new();

    // Guarded by gate.
    private readonly List<(string Scheme, byte[] Auth)> credentials = [];
    private ClientConnection? connection;
    private TaskCompletionSource connectedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private KeeperState state = KeeperState.Disconnected;
    private Func<Exception>? terminalError;
    private long sessionId;
    private byte[] sessionPassword;
    private TimeSpan negotiatedTimeout;
    private int lastXid;

    private long lastZxid;
    private int closing;
    private Task sessionLoop = Task.CompletedTask;
    private Exception? lastConnectError;

    private ZooKeeperClient(ConnectString connectString, ZooKeeperClientOptions options)
    {
        this.connectString = connectString;
        this.options = options;
        time = options.TimeProvider;
        servers = [.. connectString.Servers];
        if (options.ShuffleServers)
        {
            Random.Shared.Shuffle(servers);
        }
        pipeline = new RequestPipeline(options.MaxOutstandingRequests);
        continuations = new ContinuationPolicy(options.InlineContinuations);
        sessionId = options.SessionId;
        sessionPassword = options.SessionPassword ?? new byte[PasswordBytes];
        negotiatedTimeout = options.SessionTimeout;
        events.CallbackFailed += e => CallbackFailed?.Invoke(this, e);
    }

    /// <summary>Session changes: Disconnected, SyncConnected (or ConnectedReadOnly), Expired, AuthFailed, Closed. Raised on the event loop, in order with watch callbacks.</summary>
    public event EventHandler<SessionStateChangedEventArgs>? StateChanged;

    /// <summary>A watcher callback or state handler threw; the exception is otherwise ignored.</summary>
    public event EventHandler<Exception>? CallbackFailed;

    public KeeperState State
    {
        get
        {
            lock (gate)
            {
                return state;
            }
        }
    }

    public long SessionId
    {
        get
        {
            lock (gate)
            {
                return sessionId;
            }
        }
    }

    /// <summary>The session's password: with <see cref="SessionId"/>, it lets another client resume the session.</summary>
    public byte[] SessionPassword
    {
        get
        {
            lock (gate)
            {
                return (byte[])sessionPassword.Clone();
            }
        }
    }

    /// <summary>The session timeout the server granted (the requested one until the first connection).</summary>
    public TimeSpan SessionTimeout
    {
        get
        {
            lock (gate)
            {
                return negotiatedTimeout;
            }
        }
    }

    /// <summary>The server of the current connection, or null while disconnected.</summary>
    public DnsEndPoint? ConnectedServer
    {
        get
        {
            lock (gate)
            {
                return connection?.Server;
            }
        }
    }

    /// <summary>Why the last connection attempt or connection failed, for diagnostics; null before any failure.</summary>
    public Exception? LastConnectionError => Volatile.Read(ref lastConnectError);

    /// <summary>The last zxid this client saw in a reply.</summary>
    public long LastZxid => Interlocked.Read(ref lastZxid);

    /// <summary>The chroot every path is relative to, or null.</summary>
    public string? Chroot => connectString.Chroot;

    /// <summary>
    /// Connects to one of the servers in <paramref name="connectString"/> ("h1:p1,h2:p2/chroot") and
    /// creates (or, with <see cref="ZooKeeperClientOptions.SessionId"/>, resumes) a session.
    /// Throws <see cref="ConnectionLossException"/> when no server answers within
    /// <see cref="ZooKeeperClientOptions.ConnectTimeout"/>, and <see cref="SessionExpiredException"/>
    /// when the session to resume is gone.
    /// </summary>
    public static async Task<ZooKeeperClient> ConnectAsync(string connectString, ZooKeeperClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ZooKeeperClientOptions();
        options.Validate();
        var client = new ZooKeeperClient(ConnectString.Parse(connectString), options);
        client.sessionLoop = Task.Run(client.RunSessionAsync, CancellationToken.None);
        try
        {
            await client.firstConnection.Task.WaitAsync(options.ConnectTimeout, options.TimeProvider, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch (TimeoutException)
        {
            Exception? last = client.lastConnectError;
            await client.DisposeAsync().ConfigureAwait(false);
            throw new ConnectionLossException(
                $"No ZooKeeper server of {connectString} answered within {options.ConnectTimeout.TotalSeconds:0.#} s{(last is null ? "" : $" ({last.Message})")}.",
                last);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Ends the session (the server deletes its ephemeral nodes at once) and stops the client.
    /// Outstanding and later requests fail with <see cref="ClientClosedException"/>.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref closing, 1) == 0)
        {
            try
            {
                await CloseSessionAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                EndSession(KeeperState.Closed, static () => new ClientClosedException());
            }
        }
        try
        {
            await sessionLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loop reports its failures as state changes; nothing is left to surface here.
        }
    }

    public ValueTask DisposeAsync() => new(CloseAsync());

    public override string ToString() => $"ZooKeeperClient(0x{SessionId:x16}, {State}, {connectString})";

    /// <summary>
    /// Asks the server to end the session, when connected. A disconnected client does not wait for
    /// a reconnect just to say goodbye: the server expires the session after its timeout.
    /// </summary>
    private async Task CloseSessionAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (terminalError is not null || connection is null)
            {
                return;
            }
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(SessionTimeout);
        try
        {
            await SendAsync(OpCode.CloseSession, EmptyRequest.Instance, (in ReplyHeader header, ReadOnlySpan<byte> _) =>
            {
                // Stop here, on the receive loop, before the server's closing the socket reads as a disconnect.
                EndSession(KeeperState.Closed, static () => new ClientClosedException());
                return true;
            }, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ZooKeeperException)
        {
            // Lost on the way: the session ends by expiry instead.
        }
    }

    /// <summary>Sends a request once connected and returns its decoded reply.</summary>
    private async Task<T> SendAsync<T>(OpCode type, ClientRequest body, ReplyDecoder<T> decode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfEnded();
        FrameBuffer frame = FrameBuffer.Create(new RequestHeader(0, type), body);
        bool handedOff = false;
        try
        {
            await pipeline.ReserveAsync(cancellationToken).ConfigureAwait(false);
            var request = new PendingRequest<T>(type, decode, pipeline.Release, continuations.Inline);
            try
            {
                while (!handedOff)
                {
                    ClientConnection current = await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
                    lock (gate)
                    {
                        if (connection == current)
                        {
                            // Xid order, queue order and send order must agree: all three happen under the lock.
                            request.Xid = NextXid();
                            frame.SetXid(request.Xid);
                            pipeline.Enqueue(request);
                            handedOff = true;
                            current.TrySend(frame);
                        }
                    }
                }
            }
            finally
            {
                if (!handedOff)
                {
                    pipeline.Release();
                }
            }
            return await request.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!handedOff)
            {
                frame.Dispose();
            }
        }
    }

    private async ValueTask<ClientConnection> WaitConnectedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (gate)
            {
                if (terminalError is not null)
                {
                    throw terminalError();
                }
                if (connection is not null)
                {
                    return connection;
                }
                signal = connectedSignal.Task;
            }
            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfEnded()
    {
        lock (gate)
        {
            if (terminalError is not null)
            {
                throw terminalError();
            }
        }
    }

    private int NextXid()
    {
        // Negative xids are reserved for pings, auth, notifications and setWatches.
        lastXid = lastXid == int.MaxValue ? 1 : lastXid + 1;
        return lastXid;
    }
}
