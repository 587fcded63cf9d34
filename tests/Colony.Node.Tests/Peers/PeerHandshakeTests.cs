using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Colony.Core;
using Colony.Node.Peers;

namespace Colony.Node.Tests.Peers;

/// <summary>The handshake alone, over in-memory pipes.</summary>
public class PeerHandshakeTests
{
    private static readonly PeerCredentials Server = PeerCredentials.From(TestPeers.Options(1));
    private static readonly PeerCredentials Client = PeerCredentials.From(TestPeers.Options(2));

    private static async Task<(Exception? Client, Exception? Server, NodeId Authenticated)> RunAsync(
        PeerCredentials client, PeerCredentials server, NodeId expectedServer)
    {
        var (clientEnd, serverEnd) = DuplexPipe.CreatePair();
        var accepting = PeerHandshake.AcceptAsync(serverEnd, server, CancellationToken.None);
        var connecting = PeerHandshake.ConnectAsync(clientEnd, client, expectedServer, CancellationToken.None);
        NodeId authenticated = NodeId.None;
        Exception? serverError = null, clientError = null;
        try
        {
            authenticated = await Wait.ForAsync(accepting);
        }
        catch (PeerHandshakeException e)
        {
            serverError = e;
            // As the connection's owner would: close it.
            await serverEnd.Output.CompleteAsync();
        }
        try
        {
            await Wait.ForAsync(connecting);
        }
        catch (PeerHandshakeException e)
        {
            clientError = e;
        }
        return (clientError, serverError, authenticated);
    }

    private static HandshakeFailure? FailureOf(Exception? e) => (e as PeerHandshakeException)?.Failure;

    [Fact]
    public async Task Two_nodes_with_the_same_secret_authenticate_each_other()
    {
        var (client, server, authenticated) = await RunAsync(Client, Server, 1);
        Assert.Null(client);
        Assert.Null(server);
        Assert.Equal(new NodeId(2), authenticated);
    }

    [Fact]
    public async Task A_different_secret_fails_on_both_sides()
    {
        var impostor = PeerCredentials.From(TestPeers.Options(2, secret: Encoding.UTF8.GetBytes("not the secret of this cluster")));
        var (client, server, _) = await RunAsync(impostor, Server, 1);
        Assert.Equal(HandshakeFailure.BadProof, FailureOf(client));
        Assert.Equal(HandshakeFailure.BadProof, FailureOf(server));
    }

    [Fact]
    public async Task Another_cluster_is_turned_away_and_told_why()
    {
        var stranger = PeerCredentials.From(TestPeers.Options(2, clusterId: "another-cluster"));
        var (client, server, _) = await RunAsync(stranger, Server, 1);
        Assert.Equal(HandshakeFailure.WrongCluster, FailureOf(client));
        Assert.Equal(HandshakeFailure.WrongCluster, FailureOf(server));
    }

    [Fact]
    public async Task Dialing_the_wrong_node_is_refused()
    {
        var (client, server, _) = await RunAsync(Client, Server, 3);
        Assert.Equal(HandshakeFailure.WrongNode, FailureOf(client));
        Assert.Equal(HandshakeFailure.WrongNode, FailureOf(server));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    public async Task A_client_claiming_no_id_or_the_servers_own_is_refused(ulong claimed)
    {
        var client = new PeerCredentials(claimed, TestPeers.ClusterId, TestPeers.Secret);
        var (_, server, _) = await RunAsync(client, Server, 1);
        Assert.Equal(HandshakeFailure.WrongNode, FailureOf(server));
    }

    [Theory]
    [InlineData("G")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("CLNX")]
    public async Task Bytes_that_are_not_a_handshake_are_rejected_from_the_first_wrong_byte(string garbage)
    {
        var (clientEnd, serverEnd) = DuplexPipe.CreatePair();
        var accepting = PeerHandshake.AcceptAsync(serverEnd, Server, CancellationToken.None);
        await clientEnd.Output.WriteAsync(Encoding.ASCII.GetBytes(garbage));
        var e = await Assert.ThrowsAsync<PeerHandshakeException>(() => Wait.ForAsync(accepting));
        Assert.Equal(HandshakeFailure.Malformed, e.Failure);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    [InlineData(255)]
    public async Task A_cluster_id_length_out_of_bounds_is_rejected_before_waiting_for_it(int length)
    {
        var (clientEnd, serverEnd) = DuplexPipe.CreatePair();
        var accepting = PeerHandshake.AcceptAsync(serverEnd, Server, CancellationToken.None);
        await clientEnd.Output.WriteAsync(new byte[] { (byte)'C', (byte)'L', (byte)'N', (byte)'Y', 1, (byte)length });
        var e = await Assert.ThrowsAsync<PeerHandshakeException>(() => Wait.ForAsync(accepting));
        Assert.Equal(HandshakeFailure.Malformed, e.Failure);
    }

    [Fact]
    public async Task Another_protocol_version_is_told_so()
    {
        var (clientEnd, serverEnd) = DuplexPipe.CreatePair();
        var accepting = PeerHandshake.AcceptAsync(serverEnd, Server, CancellationToken.None);
        await clientEnd.Output.WriteAsync(new byte[] { (byte)'C', (byte)'L', (byte)'N', (byte)'Y', 2 });
        var e = await Assert.ThrowsAsync<PeerHandshakeException>(() => Wait.ForAsync(accepting));
        Assert.Equal(HandshakeFailure.UnsupportedVersion, e.Failure);
        var reply = await clientEnd.Input.ReadAsync();
        Assert.Equal([(byte)HandshakeFailure.UnsupportedVersion], reply.Buffer.ToArray());
    }

    [Fact]
    public async Task A_closed_connection_mid_handshake_is_reported_as_such()
    {
        var (clientEnd, serverEnd) = DuplexPipe.CreatePair();
        var accepting = PeerHandshake.AcceptAsync(serverEnd, Server, CancellationToken.None);
        await clientEnd.Output.WriteAsync("CLN"u8.ToArray());
        await clientEnd.Output.CompleteAsync();
        var e = await Assert.ThrowsAsync<PeerHandshakeException>(() => Wait.ForAsync(accepting));
        Assert.Equal(HandshakeFailure.ConnectionClosed, e.Failure);
    }

    [Fact]
    public async Task A_recorded_client_reply_does_not_authenticate_a_later_connection()
    {
        // Watch a genuine handshake and keep the client's reply.
        var (clientEnd, serverEnd) = DuplexPipe.CreatePair();
        var recorder = new RecordingPipe(clientEnd);
        var accepting = PeerHandshake.AcceptAsync(serverEnd, Server, CancellationToken.None);
        await Wait.ForAsync(PeerHandshake.ConnectAsync(recorder, Client, 1, CancellationToken.None));
        await Wait.ForAsync(accepting);
        byte[] hello = recorder.Writes[0];
        byte[] reply = recorder.Writes[1];

        // Replay the hello and the reply: the server's fresh nonce makes the old proof worthless.
        var (replayEnd, serverEnd2) = DuplexPipe.CreatePair();
        var accepting2 = PeerHandshake.AcceptAsync(serverEnd2, Server, CancellationToken.None);
        await replayEnd.Output.WriteAsync(hello);
        await replayEnd.Input.ReadAsync();
        await replayEnd.Output.WriteAsync(reply);
        var e = await Assert.ThrowsAsync<PeerHandshakeException>(() => Wait.ForAsync(accepting2));
        Assert.Equal(HandshakeFailure.BadProof, e.Failure);
    }

    [Fact]
    public async Task A_recorded_server_challenge_does_not_fool_a_later_client()
    {
        var (clientEnd, serverEnd) = DuplexPipe.CreatePair();
        var recorder = new RecordingPipe(serverEnd);
        var accepting = PeerHandshake.AcceptAsync(recorder, Server, CancellationToken.None);
        await Wait.ForAsync(PeerHandshake.ConnectAsync(clientEnd, Client, 1, CancellationToken.None));
        await Wait.ForAsync(accepting);
        byte[] challenge = recorder.Writes[0];

        var (clientEnd2, fakeServerEnd) = DuplexPipe.CreatePair();
        var connecting = PeerHandshake.ConnectAsync(clientEnd2, Client, 1, CancellationToken.None);
        await fakeServerEnd.Input.ReadAsync();
        await fakeServerEnd.Output.WriteAsync(challenge);
        var e = await Assert.ThrowsAsync<PeerHandshakeException>(() => Wait.ForAsync(connecting));
        Assert.Equal(HandshakeFailure.BadProof, e.Failure);
    }

    [Fact]
    public void The_status_codes_on_the_wire_are_frozen() => Assert.Equal(
        [(1, "UnsupportedVersion"), (2, "WrongCluster"), (3, "WrongNode"), (4, "BadProof")],
        Enum.GetValues<HandshakeFailure>().Where(f => (byte)f < 64).Select(f => ((int)f, f.ToString())));

    [Fact]
    public void The_hello_layout_is_frozen()
    {
        var writer = new ArrayBufferWriter<byte>();
        PeerHandshake.WriteHello(writer, new PeerHandshake.Hello(1, "c"u8.ToArray(), 2, 1, new byte[32]));
        Assert.Equal(
            "434c4e59" + "01" + "01" + "63" + "0000000000000002" + "0000000000000001" + new string('0', 64),
            Convert.ToHexString(writer.WrittenSpan).ToLowerInvariant());
    }

    [Fact]
    public void The_proofs_are_frozen()
    {
        var credentials = new PeerCredentials(1, "c", "0123456789abcdef"u8);
        byte[] clientNonce = [.. Enumerable.Repeat((byte)0x11, 32)];
        byte[] serverNonce = [.. Enumerable.Repeat((byte)0x22, 32)];
        byte[] server = credentials.ProveAsServer(2, 1, clientNonce, serverNonce);
        byte[] client = credentials.ProveAsClient(2, 1, clientNonce, serverNonce);
        Assert.NotEqual(server, client);
        Assert.Equal(
            System.Security.Cryptography.HMACSHA256.HashData(
                "0123456789abcdef"u8,
                [.. "colony peer v1 server"u8, 1, (byte)'c', 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, .. clientNonce, .. serverNonce]),
            server);
        Assert.Equal(
            System.Security.Cryptography.HMACSHA256.HashData(
                "0123456789abcdef"u8,
                [.. "colony peer v1 client"u8, 1, (byte)'c', 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, .. clientNonce, .. serverNonce]),
            client);
    }

    /// <summary>Passes everything through and keeps a copy of each flushed write.</summary>
    private sealed class RecordingPipe(IDuplexPipe inner) : IDuplexPipe
    {
        private readonly RecordingWriter _writer = new(inner.Output);

        public List<byte[]> Writes => _writer.Writes;

        public PipeReader Input => inner.Input;

        public PipeWriter Output => _writer;

        private sealed class RecordingWriter(PipeWriter inner) : PipeWriter
        {
            private readonly ArrayBufferWriter<byte> _pending = new();

            public List<byte[]> Writes { get; } = [];

            public override void Advance(int bytes) => _pending.Advance(bytes);

            public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

            public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

            public override void CancelPendingFlush() => inner.CancelPendingFlush();

            public override void Complete(Exception? exception = null) => inner.Complete(exception);

            public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
            {
                byte[] bytes = _pending.WrittenSpan.ToArray();
                _pending.ResetWrittenCount();
                Writes.Add(bytes);
                return await inner.WriteAsync(bytes, cancellationToken);
            }
        }
    }
}
