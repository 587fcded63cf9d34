using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>Handles one received frame; the span is only valid during the call.</summary>
/// <param name="continueHere">True when the callers a frame answers may continue on the calling thread (<see cref="ReceiveLoop"/>).</param>
internal delegate void FrameHandler(ReadOnlySpan<byte> frame, bool continueHere);

/// <summary>
/// One TCP connection to a server: length-prefixed frames in both directions. The socket stays in
/// blocking mode and never meets the runtime's socket event loop, so that a frame's arrival wakes
/// exactly one thread, the <see cref="ReceiveLoop"/>'s. Sends are queued, and the thread that queues a
/// frame writes it itself, without blocking, when no other thread is writing and the socket takes it
/// at once; what the socket cannot take at once is finished by a blocking write on the thread pool, so
/// callers (the receive loop among them) never wait on the socket. Knows nothing about sessions or requests.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly ConcurrentQueue<FrameBuffer> outgoing = new();
    private readonly CancellationTokenSource closed = new();
    private readonly TimeProvider time;
    private readonly int maxFrameBytes;
    private int writing; // 1 while a thread owns the socket's sending side
    private volatile Task pendingWrite = Task.CompletedTask; // a write finishing on the thread pool
    private volatile bool aborted;
    private long lastSendTimestamp;

    private ClientConnection(Socket socket, DnsEndPoint server, int maxFrameBytes, TimeProvider time)
    {
        this.socket = socket;
        this.time = time;
        this.maxFrameBytes = maxFrameBytes;
        Server = server;
        lastSendTimestamp = time.GetTimestamp();
    }

    public DnsEndPoint Server { get; }

    /// <summary>When the last frame went out: the session pings only when the connection has been idle.</summary>
    public long LastSendTimestamp => Interlocked.Read(ref lastSendTimestamp);

    /// <summary>Cancelled when the connection fails or is closed.</summary>
    public CancellationToken Closed => closed.Token;

    public static async Task<ClientConnection> OpenAsync(DnsEndPoint server, int maxFrameBytes, TimeProvider time, TimeSpan timeout,
        Func<DnsEndPoint, CancellationToken, ValueTask<Socket>>? connect, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Socket socket;
        try
        {
            socket = await (connect ?? DirectConnect.ConnectAsync)(server, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Connecting to {server.Host}:{server.Port} took longer than {timeout.TotalMilliseconds:0} ms.");
        }
        try
        {
            socket.NoDelay = true;
            // The reading thread needs blocking reads, whatever mode a connect callback left the socket in.
            socket.Blocking = true;
            return new ClientConnection(socket, server, maxFrameBytes, time);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Queues a frame; the connection disposes it once sent. Returns false (and disposes it) when the connection is closed.</summary>
    public bool TrySend(FrameBuffer frame)
    {
        if (closed.IsCancellationRequested)
        {
            frame.Dispose();
            return false;
        }
        outgoing.Enqueue(frame);
        WriteQueued();
        return true;
    }

    /// <summary>Reads exactly one frame (the connect response, before the receive loop starts), with a blocking read on the thread pool.</summary>
    public async Task<byte[]> ReadFrameAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration abort = cancellationToken.Register(static state => ((ClientConnection)state!).Abort(), this);
        try
        {
            return await Task.Run(() =>
            {
                socket.ReceiveTimeout = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
                var prefix = new byte[FrameReader.LengthPrefixBytes];
                ReadExactly(prefix);
                int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
                FrameReader.CheckLength(length, maxFrameBytes);
                var frame = new byte[length];
                ReadExactly(frame);
                return frame;
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw new TimeoutException($"{Describe()} sent nothing for {timeout.TotalMilliseconds:0} ms.", e);
        }
    }

    /// <summary>
    /// Hands every frame to <paramref name="handler"/>, on a thread of the connection's own, until the
    /// server closes the connection (completes) or it fails (throws). A frame over the limit, or no
    /// bytes at all for <paramref name="readTimeout"/>, fails the connection.
    /// </summary>
    public async Task ReceiveAsync(FrameHandler handler, ContinuationPolicy policy, TimeSpan readTimeout, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration abort = cancellationToken.Register(static state => ((ClientConnection)state!).Abort(), this);
        try
        {
            await ReceiveLoop.Start(socket, handler, policy, maxFrameBytes, readTimeout, () => aborted, Describe()).Completion.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>Fails the connection: writes stop, and the blocked read ends.</summary>
    public void Abort()
    {
        aborted = true;
        try
        {
            closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        try
        {
            // Wakes a thread blocked on the socket, in a read or a write, before the descriptor goes.
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Abort();
        try
        {
            await pendingWrite.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A failed write was already seen as the connection dropping.
        }
        // Keep the sending side for good: frames queued from now on are never written.
        if (Interlocked.CompareExchange(ref writing, 1, 0) == 0)
        {
            DisposeQueued();
        }
        closed.Dispose();
    }

    public override string ToString() => Describe();

    private string Describe() => $"{Server.Host}:{Server.Port}";

    private void ReadExactly(Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int read = socket.Receive(buffer);
            if (read == 0)
            {
                throw new IOException($"{Describe()} closed the connection during the handshake.");
            }
            buffer = buffer[read..];
        }
    }

    /// <summary>
    /// Writes queued frames, in order, on the calling thread, unless another thread is writing (that
    /// one takes them). A frame the socket cannot take at once is finished by a blocking write on the
    /// thread pool, which keeps the sending side until the queue is empty.
    /// </summary>
    private void WriteQueued()
    {
        while (Interlocked.CompareExchange(ref writing, 1, 0) == 0)
        {
            while (outgoing.TryDequeue(out FrameBuffer? frame))
            {
                // Zero on a full socket, and on an error, which the blocking write then reports.
                int sent = NonBlockingSend.IsSupported ? NonBlockingSend.TrySend(socket.SafeHandle, frame.Memory.Span) : 0;
                if (sent < frame.Memory.Length)
                {
                    pendingWrite = Task.Run(() => FinishWrite(frame, sent));
                    return;
                }
                Written(ok: true, frame);
            }
            Interlocked.Exchange(ref writing, 0);
            // A frame queued after the queue looked empty, while this thread still held the sending side.
            if (outgoing.IsEmpty)
            {
                return;
            }
        }
    }

    private void FinishWrite(FrameBuffer frame, int sent)
    {
        bool ok;
        try
        {
            ReadOnlySpan<byte> rest = frame.Memory.Span[sent..];
            while (rest.Length > 0)
            {
                rest = rest[socket.Send(rest)..];
            }
            ok = true;
        }
        catch (Exception)
        {
            ok = false;
        }
        if (Written(ok, frame))
        {
            Interlocked.Exchange(ref writing, 0);
            WriteQueued();
        }
    }

    /// <summary>Ends a finished write; false (with the sending side kept and the connection failed) if it failed.</summary>
    private bool Written(bool ok, FrameBuffer frame)
    {
        frame.Dispose();
        if (!ok)
        {
            FailWrites();
            return false;
        }
        Interlocked.Exchange(ref lastSendTimestamp, time.GetTimestamp());
        return true;
    }

    /// <summary>A failed write means the connection is gone; the receive side sees it as closed. Keeps the sending side.</summary>
    private void FailWrites()
    {
        Abort();
        DisposeQueued();
    }

    private void DisposeQueued()
    {
        while (outgoing.TryDequeue(out FrameBuffer? frame))
        {
            frame.Dispose();
        }
    }
}
