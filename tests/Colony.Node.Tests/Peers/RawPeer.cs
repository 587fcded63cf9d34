using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Colony.Consensus;
using Colony.Core;
using Colony.Node.Peers;

namespace Colony.Node.Tests.Peers;

/// <summary>A hand-driven client of the peer port, for sending what a well-behaved transport never would.</summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawPeer(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Pipe = new DuplexPipe(PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true)));
    }

    public IDuplexPipe Pipe { get; }

    public static async Task<RawPeer> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        return new RawPeer(socket);
    }

    /// <summary>Takes the next connection made to <paramref name="listener"/>.</summary>
    public static async Task<RawPeer> AcceptAsync(Socket listener) => new(await listener.AcceptAsync());

    /// <summary>Answers the handshake as the node of <paramref name="options"/>; returns who connected.</summary>
    public Task<NodeId> AcceptHandshakeAsync(PeerTransportOptions options) =>
        PeerHandshake.AcceptAsync(Pipe, PeerCredentials.From(options), CancellationToken.None).WaitAsync(Wait.Timeout);

    /// <summary>Authenticates as the node of <paramref name="options"/> to node <paramref name="server"/>.</summary>
    public Task AuthenticateAsync(PeerTransportOptions options, NodeId server) =>
        PeerHandshake.ConnectAsync(Pipe, PeerCredentials.From(options), server, CancellationToken.None).WaitAsync(Wait.Timeout);

    public async Task SendAsync(ReadOnlyMemory<byte> bytes) => await Pipe.Output.WriteAsync(bytes);

    public Task SendAsync(Message message) => SendAsync(TestPeers.Frame(message));

    /// <summary>Closes our sending half: the other side sees the stream end.</summary>
    public void EndSending() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Completes when the other side closes the connection (a reset counts).</summary>
    public async Task WaitForCloseAsync()
    {
        using var cancellation = new CancellationTokenSource(Wait.Timeout);
        try
        {
            while (true)
            {
                var result = await Pipe.Input.ReadAsync(cancellation.Token);
                Pipe.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (IOException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
