using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Threading.Channels;
using Colony.Consensus;
using Colony.Core;
using Colony.Node.Peers;
using Xunit.Abstractions;

namespace Colony.Node.Tests.Peers;

/// <summary>The receiving side over in-memory pipes, as Kestrel would drive it: no sockets, no clocks.</summary>
public class PeerInboundTests(ITestOutputHelper output)
{
    private const int ProtocolViolation = 1523;
    private const int HandshakeRejected = 1522;

    private readonly RecordingLoggerProvider _logs = new(output);
    private readonly Channel<Message> _inbox = Channel.CreateUnbounded<Message>();

    private PeerInbound CreateInbound(PeerTransportOptions? options = null, TimeProvider? time = null) =>
        new(options ?? TestPeers.Options(1), _inbox.Writer, _logs.Logger<PeerInbound>(), time);

    /// <summary>Starts serving one in-memory connection; the server end is closed when the handler returns, as Kestrel does.</summary>
    private static (DuplexPipe Client, Task Session) Connect(PeerInbound inbound, CancellationToken cancellationToken = default)
    {
        var (client, server) = DuplexPipe.CreatePair();
        async Task ServeAsync()
        {
            await inbound.RunAsync(server, null, cancellationToken);
            await server.Input.CompleteAsync();
            await server.Output.CompleteAsync();
        }
        return (client, ServeAsync());
    }

    private static Task AuthenticateAsync(DuplexPipe client, ulong asNode = 2) =>
        Wait.ForAsync(PeerHandshake.ConnectAsync(client, PeerCredentials.From(TestPeers.Options(asNode)), 1, CancellationToken.None));

    [Fact]
    public async Task Messages_from_an_authenticated_peer_reach_the_inbox_in_order()
    {
        var inbound = CreateInbound();
        var (client, session) = Connect(inbound);
        await AuthenticateAsync(client);
        for (ulong i = 1; i <= 100; i++)
        {
            await client.Output.WriteAsync(TestPeers.Frame(TestPeers.Append(2, 1, i)));
        }
        for (ulong i = 1; i <= 100; i++)
        {
            var message = await Wait.ReadAsync(_inbox.Reader);
            Assert.Equal(i, message.Entries[0].Index);
        }
        await client.Output.CompleteAsync();
        await Wait.ForAsync(session);
        Assert.Equal(new PeerInboundStats(0, 1, 0, 0, 0, 100), inbound.Stats);
    }

    [Theory]
    [InlineData(3UL, 1UL, "claiming to be from node 3")]
    [InlineData(2UL, 5UL, "for node 5")]
    public async Task A_spoofed_sender_or_a_message_for_another_node_closes_the_connection(ulong from, ulong to, string error)
    {
        var inbound = CreateInbound();
        var (client, session) = Connect(inbound);
        await AuthenticateAsync(client);
        await client.Output.WriteAsync(TestPeers.Frame(TestPeers.Heartbeat(from, to)));
        await Wait.ForAsync(session);
        var violation = await _logs.WaitForAsync(ProtocolViolation);
        Assert.Contains(error, violation.Message);
        Assert.False(_inbox.Reader.TryRead(out _));
        Assert.Equal(1, inbound.Stats.ProtocolViolations);
    }

    [Fact]
    public async Task A_frame_cut_short_by_the_end_of_the_stream_is_a_violation()
    {
        var inbound = CreateInbound();
        var (client, session) = Connect(inbound);
        await AuthenticateAsync(client);
        byte[] frame = TestPeers.Frame(TestPeers.Heartbeat(2, 1));
        await client.Output.WriteAsync(frame);
        await client.Output.WriteAsync(frame.AsMemory(0, frame.Length - 1));
        await client.Output.CompleteAsync();
        await Wait.ForAsync(session);
        Assert.Contains("inside a frame", (await _logs.WaitForAsync(ProtocolViolation)).Message);
        Assert.True(_inbox.Reader.TryRead(out _));
        Assert.False(_inbox.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_corrupt_frame_closes_the_connection_after_the_good_ones()
    {
        var inbound = CreateInbound();
        var (client, session) = Connect(inbound);
        await AuthenticateAsync(client);
        byte[] good = TestPeers.Frame(TestPeers.Heartbeat(2, 1));
        byte[] bad = TestPeers.Frame(TestPeers.Heartbeat(2, 1));
        bad[^1] ^= 0x40;
        await client.Output.WriteAsync(new byte[][] { good, bad, good }.SelectMany(b => b).ToArray());
        await Wait.ForAsync(session);
        Assert.Contains("checksum", (await _logs.WaitForAsync(ProtocolViolation)).Message);
        Assert.Equal(1, inbound.Stats.MessagesReceived);
    }

    [Fact]
    public async Task An_oversize_frame_is_refused_from_its_header()
    {
        var inbound = CreateInbound();
        var (client, session) = Connect(inbound);
        await AuthenticateAsync(client);
        byte[] header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, 1u << 30);
        await client.Output.WriteAsync(header);
        await Wait.ForAsync(session);
        Assert.Contains("exceeds the limit", (await _logs.WaitForAsync(ProtocolViolation)).Message);
    }

    [Fact]
    public async Task A_stalled_handshake_times_out_on_the_injected_clock()
    {
        var time = new ManualTimeProvider();
        var inbound = CreateInbound(time: time);
        var (client, session) = Connect(inbound);
        await client.Output.WriteAsync("CL"u8.ToArray());
        await time.WaitForTimerAsync(TestPeers.Options(1).HandshakeTimeout);
        Assert.False(session.IsCompleted);
        time.Advance(TestPeers.Options(1).HandshakeTimeout);
        await Wait.ForAsync(session);
        var rejected = await _logs.WaitForAsync(HandshakeRejected);
        Assert.Equal(HandshakeFailure.TimedOut, rejected["Failure"]);
        Assert.Equal(1, inbound.Stats.HandshakesRejected);
    }

    [Fact]
    public async Task Connections_above_the_limit_are_refused_at_once()
    {
        var options = TestPeers.Options(1);
        var inbound = CreateInbound(new PeerTransportOptions
        {
            LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret, MaxInboundConnections = 1,
        });
        var (first, firstSession) = Connect(inbound);
        var (_, refused) = Connect(inbound);
        await Wait.ForAsync(refused);
        Assert.Equal(1, inbound.Stats.RefusedOverLimit);
        Assert.False(firstSession.IsCompleted);
        await AuthenticateAsync(first);
        await first.Output.CompleteAsync();
        await Wait.ForAsync(firstSession);
        Assert.Equal(0, inbound.Stats.ActiveConnections);
    }

    [Fact]
    public async Task A_newer_connection_from_the_same_peer_replaces_the_older()
    {
        var inbound = CreateInbound();
        var (old, oldSession) = Connect(inbound);
        await AuthenticateAsync(old);
        var (fresh, freshSession) = Connect(inbound);
        await AuthenticateAsync(fresh);
        await Wait.ForAsync(oldSession);
        await fresh.Output.WriteAsync(TestPeers.Frame(TestPeers.Heartbeat(2, 1)));
        Assert.Equal(new NodeId(2), (await Wait.ReadAsync(_inbox.Reader)).From);
        Assert.False(freshSession.IsCompleted);
        await _logs.WaitForAsync(1527);
    }

    [Fact]
    public async Task Connections_from_different_peers_coexist()
    {
        var inbound = CreateInbound();
        var (a, sessionA) = Connect(inbound);
        var (b, sessionB) = Connect(inbound);
        await AuthenticateAsync(a, asNode: 2);
        await AuthenticateAsync(b, asNode: 3);
        await a.Output.WriteAsync(TestPeers.Frame(TestPeers.Heartbeat(2, 1)));
        await b.Output.WriteAsync(TestPeers.Frame(TestPeers.Heartbeat(3, 1)));
        var from = new HashSet<NodeId> { (await Wait.ReadAsync(_inbox.Reader)).From, (await Wait.ReadAsync(_inbox.Reader)).From };
        Assert.Equal([new NodeId(2), new NodeId(3)], from.Order());
        Assert.False(sessionA.IsCompleted || sessionB.IsCompleted);
    }

    [Fact]
    public async Task A_closed_inbox_or_cancellation_ends_the_connection_quietly()
    {
        using var cancellation = new CancellationTokenSource();
        var inbound = CreateInbound();
        var (client, session) = Connect(inbound, cancellation.Token);
        await AuthenticateAsync(client);
        await cancellation.CancelAsync();
        await Wait.ForAsync(session);

        var (client2, session2) = Connect(inbound);
        await AuthenticateAsync(client2);
        _inbox.Writer.Complete();
        await client2.Output.WriteAsync(TestPeers.Frame(TestPeers.Heartbeat(2, 1)));
        await Wait.ForAsync(session2);
        Assert.Empty(_logs.Events(1526));
        Assert.Equal(0, inbound.Stats.ProtocolViolations);
    }
}
