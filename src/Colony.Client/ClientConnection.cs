using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>Handles one received frame; the span is only valid during the call.</summary>
internal delegate void FrameHandler(ReadOnlySpan<byte> frame);

/// <summary>
/// One TCP connection to a server: length-prefixed frames in both directions. Sends are queued, and
/// the thread that queues a frame writes it itself when no other thread is writing and the socket
/// takes it at once, so a request leaves without waking a writer; a write the socket cannot take at
/// once finishes asynchronously, and callers never wait on the socket. Frames are read through a pipe
/// over pooled buffers. Knows nothing about sessions or requests.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly PipeReader reader;
    private readonly ConcurrentQueue<FrameBuffer> outgoing = new();
    private readonly CancellationTokenSource closed = new();
    private readonly TimeProvider time;
    private readonly int maxFrameBytes;
    private int writing; // 1 while a thread owns the socket's sending side
    private volatile Task pendingWrite = Task.CompletedTask; // a write finishing asynchronously
    private long lastSendTimestamp;

    private ClientConnection(Socket socket, DnsEndPoint server, int maxFrameBytes, TimeProvider time)
    {
        this.socket = socket;
        this.time = time;
        this.maxFrameBytes = maxFrameBytes;
        Server = server;
        stream = new NetworkStream(socket, ownsSocket: false);
        reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
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

    /// <summary>Reads exactly one frame and returns a copy (the connect response, before the receive loop starts).</summary>
    public async Task<byte[]> ReadFrameAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        byte[]? result = null;
        await ReceiveAsync(frame => result = frame.ToArray(), timeout, stopAfterOne: true, cancellationToken).ConfigureAwait(false);
        return result ?? throw new IOException($"{Describe()} closed the connection during the handshake.");
    }

    /// <summary>
    /// Hands every frame to <paramref name="handler"/> until the server closes the connection
    /// (returns) or it fails (throws). A frame over the limit, or no bytes at all for
    /// <paramref name="readTimeout"/>, fails the connection.
    /// </summary>
    public Task ReceiveAsync(FrameHandler handler, TimeSpan readTimeout, CancellationToken cancellationToken) =>
        ReceiveAsync(handler, readTimeout, stopAfterOne: false, cancellationToken);

    /// <summary>Fails the connection: writes stop and pending reads end.</summary>
    public void Abort()
    {
        try
        {
            closed.Cancel();
        }
        catch (ObjectDisposedException)
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
        await reader.CompleteAsync().ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
        closed.Dispose();
    }

    public override string ToString() => Describe();

    private string Describe() => $"{Server.Host}:{Server.Port}";

    private async Task ReceiveAsync(FrameHandler handler, TimeSpan readTimeout, bool stopAfterOne, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closed.Token);
        var idle = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
        byte[]? scratch = null;
        try
        {
            while (true)
            {
                idle.CancelAfter(readTimeout);
                ReadResult read;
                try
                {
                    read = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!linked.IsCancellationRequested)
                {
                    throw new TimeoutException($"{Describe()} sent nothing for {readTimeout.TotalMilliseconds:0} ms.");
                }
                if (!idle.TryReset())
                {
                    // The timer fired just as the read completed: start over with a fresh source.
                    idle.Dispose();
                    idle = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
                }

                ReadOnlySequence<byte> buffer = read.Buffer;
                bool stop = false;
                try
                {
                    while (!stop && FrameReader.TryReadFrame(ref buffer, maxFrameBytes, out ReadOnlySequence<byte> frame))
                    {
                        if (frame.IsSingleSegment)
                        {
                            handler(frame.FirstSpan);
                        }
                        else
                        {
                            int length = (int)frame.Length;
                            if (scratch is null || scratch.Length < length)
                            {
                                if (scratch is not null)
                                {
                                    ArrayPool<byte>.Shared.Return(scratch);
                                }
                                scratch = ArrayPool<byte>.Shared.Rent(length);
                            }
                            frame.CopyTo(scratch);
                            handler(scratch.AsSpan(0, length));
                        }
                        stop = stopAfterOne;
                    }
                }
                finally
                {
                    // After a single frame the rest is unexamined: the next read must see it without waiting for more bytes.
                    reader.AdvanceTo(buffer.Start, stop ? buffer.Start : buffer.End);
                }

                if (stop)
                {
                    return;
                }
                if (read.IsCompleted || read.IsCanceled)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new IOException($"{Describe()} closed the connection inside a frame.");
                    }
                    return;
                }
            }
        }
        finally
        {
            idle.Dispose();
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>
    /// Writes queued frames, in order, on the calling thread, unless another thread is writing (that
    /// one takes them). A write the socket cannot take at once continues asynchronously and keeps the
    /// sending side until the queue is empty.
    /// </summary>
    private void WriteQueued()
    {
        while (Interlocked.CompareExchange(ref writing, 1, 0) == 0)
        {
            while (outgoing.TryDequeue(out FrameBuffer? frame))
            {
                ValueTask write;
                try
                {
                    write = stream.WriteAsync(frame.Memory, closed.Token);
                }
                catch (Exception)
                {
                    frame.Dispose();
                    FailWrites();
                    return;
                }
                if (!write.IsCompleted)
                {
                    pendingWrite = FinishWriteAsync(write, frame);
                    return;
                }
                if (!Written(Succeeded(write), frame))
                {
                    return;
                }
            }
            Interlocked.Exchange(ref writing, 0);
            // A frame queued after the queue looked empty, while this thread still held the sending side.
            if (outgoing.IsEmpty)
            {
                return;
            }
        }
    }

    private async Task FinishWriteAsync(ValueTask write, FrameBuffer frame)
    {
        bool ok;
        try
        {
            await write.ConfigureAwait(false);
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

    /// <summary>Consumes a completed write: true if it succeeded.</summary>
    private static bool Succeeded(ValueTask write)
    {
        try
        {
            write.GetAwaiter().GetResult();
            return true;
        }
        catch (Exception)
        {
            return false;
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
