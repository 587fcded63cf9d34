using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Colony.Node.Peers;

/// <summary>A connected TCP socket seen as a pair of pipes. Disposing closes the socket at once.</summary>
internal sealed class SocketDuplexPipe : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Writes are gathered into buffers of at least this size, so a batch of frames costs few send calls.</summary>
    private const int MinimumBufferBytes = 64 << 10;

    private readonly NetworkStream _stream;
    private int _disposed;

    public SocketDuplexPipe(Socket socket)
    {
        socket.NoDelay = true;
        RemoteEndPoint = socket.RemoteEndPoint;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: MinimumBufferBytes, leaveOpen: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: MinimumBufferBytes, leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// Connects to <paramref name="endPoint"/> (an IP or a host name and port). Where the system allows
    /// it (Linux), data the peer leaves unacknowledged for <paramref name="unacknowledgedTimeout"/>
    /// aborts the connection, so a peer that vanished without a reset is noticed in that time rather
    /// than after the system's retransmission limit (about 15 minutes).
    /// </summary>
    public static async Task<SocketDuplexPipe> ConnectAsync(EndPoint endPoint, TimeSpan unacknowledgedTimeout, CancellationToken cancellationToken)
    {
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (OperatingSystem.IsLinux())
            {
                const int TcpUserTimeout = 18;
                socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpUserTimeout, BitConverter.GetBytes((uint)unacknowledgedTimeout.TotalMilliseconds));
            }
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new SocketDuplexPipe(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Close first, so that completing the writer cannot block on a peer that stopped reading;
            // completing with an error skips flushing whatever is still buffered.
            _stream.Dispose();
            Input.Complete();
            Output.Complete(new ObjectDisposedException(nameof(SocketDuplexPipe)));
        }
        return ValueTask.CompletedTask;
    }
}
