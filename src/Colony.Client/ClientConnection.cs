using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>Handles one received frame; the span is only valid during the call.</summary>
internal delegate void FrameHandler(ReadOnlySpan<byte> frame);

/// <summary>
/// One TCP connection to a server: length-prefixed frames in both directions. Sends are queued and
/// written by one loop, so callers never wait on the socket; frames are read through a pipe over
/// pooled buffers. Knows nothing about sessions or requests.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly PipeReader reader;
    private readonly Channel<FrameBuffer> outgoing = Channel.CreateUnbounded<FrameBuffer>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource closed = new();
    private readonly TimeProvider time;
    private readonly int maxFrameBytes;
    private readonly Task sendLoop;
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
        sendLoop = Task.Run(SendLoopAsync);
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
        if (outgoing.Writer.TryWrite(frame))
        {
            return true;
        }
        frame.Dispose();
        return false;
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

    /// <summary>Fails the connection: the send loop stops and pending reads end.</summary>
    public void Abort()
    {
        outgoing.Writer.TryComplete();
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
            await sendLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The send loop's failure was already seen as the connection dropping.
        }
        while (outgoing.Reader.TryRead(out FrameBuffer? frame))
        {
            frame.Dispose();
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

    private async Task SendLoopAsync()
    {
        try
        {
            while (await outgoing.Reader.WaitToReadAsync(closed.Token).ConfigureAwait(false))
            {
                while (outgoing.Reader.TryRead(out FrameBuffer? frame))
                {
                    using (frame)
                    {
                        await stream.WriteAsync(frame.Memory, closed.Token).ConfigureAwait(false);
                    }
                    Interlocked.Exchange(ref lastSendTimestamp, time.GetTimestamp());
                }
            }
        }
        catch (Exception) when (closed.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            // A failed write means the connection is gone; the receive side sees it as closed.
            Abort();
        }
    }
}
