using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Colony.Consensus;
using Colony.Core;
using Colony.Node.Peers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Colony.Node.Tests.Peers;

/// <summary>Transports, listeners and real sockets on loopback, on ports the system picks.</summary>
public class PeerTransportTests(ITestOutputHelper output)
{
    private const int Connected = 1500;
    private const int ConnectFailed = 1501;
    private const int ConnectionLost = 1502;
    private const int ReconnectScheduled = 1503;
    private const int HandshakeRejected = 1522;
    private const int ProtocolViolation = 1523;

    private readonly RecordingLoggerProvider _logs = new(output);

    [Fact]
    public async Task Messages_flow_every_way_between_three_nodes()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        await using var b = PeerTestNode.Start(2, _logs);
        await using var c = PeerTestNode.Start(3, _logs);
        PeerTestNode[] nodes = [a, b, c];
        foreach (var node in nodes)
        {
            node.Knows([.. nodes.Where(other => other != node)]);
        }
        foreach (var from in nodes)
        {
            foreach (var to in nodes.Where(other => other != from))
            {
                from.Transport.Send(TestPeers.Heartbeat(from.Id.Value, to.Id.Value, term: 7));
            }
        }
        foreach (var node in nodes)
        {
            var received = new[] { await node.ReceiveAsync(), await node.ReceiveAsync() };
            Assert.All(received, message => Assert.Equal((MessageType.Heartbeat, node.Id, 7UL), (message.Type, message.To, message.Term)));
            Assert.Equal(nodes.Where(other => other != node).Select(other => other.Id), received.Select(m => m.From).Order());
        }
    }

    [Fact]
    public async Task A_large_snapshot_chunk_arrives_intact()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        await using var b = PeerTestNode.Start(2, _logs);
        b.Knows(a);
        var data = new byte[8 << 20];
        var random = new SeededRandom(42);
        for (int i = 0; i < data.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i), random.NextUInt64());
        }
        var chunk = new Message
        {
            Type = MessageType.SnapshotChunk, From = 2, To = 1, Term = 3,
            Snapshot = new SnapshotMetadata(1000, 3, Membership.OfVoters(new NodeId(1), new NodeId(2))),
            SnapshotOffset = 0, SnapshotSize = data.Length, SnapshotData = data,
        };
        b.Transport.Send(chunk);
        var received = await a.ReceiveAsync();
        Assert.Equal(chunk.Snapshot, received.Snapshot);
        Assert.True(received.SnapshotData.Span.SequenceEqual(data), "snapshot data differs");
    }

    [Fact]
    public async Task Thousands_of_messages_arrive_intact_and_in_order()
    {
        const int Count = 5000;
        await using var a = PeerTestNode.Start(1, _logs);
        await using var b = PeerTestNode.Start(2, _logs, WithQueue(TestPeers.Options(2), Count));
        b.Knows(a);
        for (ulong i = 1; i <= Count; i++)
        {
            b.Transport.Send(TestPeers.Append(2, 1, i, dataBytes: (int)(i % 300)));
        }
        for (ulong i = 1; i <= Count; i++)
        {
            var message = await a.ReceiveAsync();
            Assert.Equal(i, message.Entries[0].Index);
            Assert.Equal((int)(i % 300), message.Entries[0].Data.Length);
            Assert.True(message.Entries[0].Data.Span.IndexOfAnyExcept((byte)i) < 0, $"entry {i} is corrupt");
        }
        var status = b.Transport.GetStatus(1)!;
        Assert.Equal((0L, 0, 1L), (status.DroppedMessages, status.QueuedMessages, status.Connections));
    }

    [Fact]
    public async Task A_restarted_peer_is_reached_again_on_its_port()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        await using var b = PeerTestNode.Start(2, _logs);
        b.Knows(a);
        b.Transport.Send(TestPeers.Heartbeat(2, 1, term: 1));
        Assert.Equal(1UL, (await a.ReceiveAsync()).Term);

        await a.RestartListenerAsync();
        await _logs.WaitForAsync(ConnectionLost);
        // Logged after the unreachable report.
        await _logs.WaitForAsync(ReconnectScheduled);
        Assert.Contains(new NodeId(1), b.Unreachable);
        // Sent while the peer is away: dropped unless the sender is already back, as Raft expects of a lossy network.
        b.Transport.Send(TestPeers.Heartbeat(2, 1, term: 2));

        await _logs.WaitForCountAsync(Connected, 2);
        b.Transport.Send(TestPeers.Heartbeat(2, 1, term: 3));
        var next = await a.ReceiveAsync();
        Assert.True(next.Term is 2 or 3);
        Assert.Equal(2, b.Transport.GetStatus(1)!.Connections);
    }

    [Fact]
    public async Task A_port_in_use_cannot_be_bound_twice()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        var inbound = new PeerInbound(TestPeers.Options(3), Channel.CreateUnbounded<Message>().Writer);
        var e = Assert.Throws<SocketException>(() => PeerListener.Start(a.EndPoint, inbound));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
    }

    [Fact]
    public async Task A_peer_with_the_wrong_secret_is_rejected_and_delivers_nothing()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        await using var impostor = PeerTestNode.Start(2, _logs, TestPeers.Options(2, secret: Encoding.UTF8.GetBytes("a guessed secret, not the one")));
        impostor.Knows(a);
        impostor.Transport.Send(TestPeers.Heartbeat(2, 1));
        var rejected = await _logs.WaitForAsync(HandshakeRejected);
        Assert.Equal(HandshakeFailure.BadProof, rejected["Failure"]);
        await _logs.WaitForAsync(ConnectFailed, record => ((string)record["Reason"]!).Contains("secret", StringComparison.Ordinal));
        await _logs.WaitForAsync(ReconnectScheduled);
        Assert.Contains(new NodeId(1), impostor.Unreachable);
        Assert.False(a.Inbox.Reader.TryRead(out _));
        Assert.Equal(0, a.Inbound.Stats.Authenticated);
    }

    [Fact]
    public async Task A_peer_of_another_cluster_is_rejected_and_delivers_nothing()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        await using var stranger = PeerTestNode.Start(2, _logs, TestPeers.Options(2, clusterId: "another-cluster"));
        stranger.Knows(a);
        stranger.Transport.Send(TestPeers.Heartbeat(2, 1));
        var rejected = await _logs.WaitForAsync(HandshakeRejected);
        Assert.Equal(HandshakeFailure.WrongCluster, rejected["Failure"]);
        await _logs.WaitForAsync(ConnectFailed, record => ((string)record["Reason"]!).Contains("WrongCluster", StringComparison.Ordinal));
        Assert.False(a.Inbox.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_stale_address_that_now_belongs_to_another_node_is_refused()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        await using var b = PeerTestNode.Start(2, _logs);
        b.Transport.SetPeer(3, a.EndPoint);
        b.Transport.Send(TestPeers.Heartbeat(2, 3));
        Assert.Equal(HandshakeFailure.WrongNode, (await _logs.WaitForAsync(HandshakeRejected))["Failure"]);
        Assert.False(a.Inbox.Reader.TryRead(out _));
    }

    [Fact]
    public async Task An_authenticated_peer_spoofing_its_sender_is_cut_off()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        await using var raw = await RawPeer.ConnectAsync(a.EndPoint);
        await raw.AuthenticateAsync(TestPeers.Options(2), 1);
        await raw.SendAsync(TestPeers.Heartbeat(3, 1));
        await raw.WaitForCloseAsync();
        Assert.Contains("claiming to be from node 3", (await _logs.WaitForAsync(ProtocolViolation)).Message);
        Assert.False(a.Inbox.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Garbage_truncated_oversize_and_stalled_connections_are_rejected_while_a_good_peer_keeps_working()
    {
        var options = TestPeers.Options(1);
        await using var a = PeerTestNode.Start(1, _logs, new PeerTransportOptions
        {
            LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret, HandshakeTimeout = TimeSpan.FromSeconds(1),
        });
        await using var good = PeerTestNode.Start(2, _logs);
        good.Knows(a);
        // The transport is lossy by design: on a loaded machine the first handshake may time out and
        // its queued message is dropped, so send until one arrives.
        Message? first = null;
        for (int attempt = 0; attempt < 20 && first is null; attempt++)
        {
            good.Transport.Send(TestPeers.Heartbeat(2, 1, term: 1));
            try
            {
                first = await Wait.ReadAsync(a.Inbox.Reader, TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
            }
        }
        Assert.Equal(1UL, first?.Term);
        while (a.Inbox.Reader.TryRead(out _))
        {
            // duplicates of the first heartbeat
        }
        // Count only what the bad connections below cause.
        long rejectedBefore = a.Inbound.Stats.HandshakesRejected;
        int rejectionEventsBefore = _logs.Events(HandshakeRejected).Count();

        // Not a handshake at all.
        await using var http = await RawPeer.ConnectAsync(a.EndPoint);
        await http.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        await http.WaitForCloseAsync();

        // Connected, then silent: the handshake times out.
        await using var silent = await RawPeer.ConnectAsync(a.EndPoint);
        await silent.WaitForCloseAsync();

        // Authenticated, then random bytes.
        await using var noise = await RawPeer.ConnectAsync(a.EndPoint);
        await noise.AuthenticateAsync(TestPeers.Options(3), 1);
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        BinaryPrimitives.WriteUInt32BigEndian(garbage, 100);
        await noise.SendAsync(garbage);
        await noise.WaitForCloseAsync();

        // Authenticated, then a frame cut short by the end of the stream.
        await using var cut = await RawPeer.ConnectAsync(a.EndPoint);
        await cut.AuthenticateAsync(TestPeers.Options(4), 1);
        byte[] frame = TestPeers.Frame(TestPeers.Append(4, 1, 1));
        await cut.SendAsync(frame.AsMemory(0, frame.Length / 2));
        cut.EndSending();
        await cut.WaitForCloseAsync();

        // Authenticated, then a header announcing a gigabyte.
        await using var huge = await RawPeer.ConnectAsync(a.EndPoint);
        await huge.AuthenticateAsync(TestPeers.Options(5), 1);
        byte[] header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, 1u << 30);
        await huge.SendAsync(header);
        await huge.WaitForCloseAsync();

        var stats = a.Inbound.Stats;
        Assert.Equal(2, stats.HandshakesRejected - rejectedBefore);
        Assert.Equal(3, stats.ProtocolViolations);
        Assert.Equal(
            [HandshakeFailure.Malformed, HandshakeFailure.TimedOut],
            _logs.Events(HandshakeRejected).Skip(rejectionEventsBefore).Select(record => (HandshakeFailure)record["Failure"]!).Order());
        Assert.False(a.Inbox.Reader.TryRead(out _));

        // The good peer's connection was never disturbed, and new peers are still welcome.
        good.Transport.Send(TestPeers.Heartbeat(2, 1, term: 2));
        Assert.Equal(2UL, (await a.ReceiveAsync()).Term);
        await using var late = PeerTestNode.Start(6, _logs);
        late.Knows(a);
        late.Transport.Send(TestPeers.Heartbeat(6, 1, term: 3));
        Assert.Equal(new NodeId(6), (await a.ReceiveAsync()).From);
        Assert.Equal(1, good.Transport.GetStatus(1)!.Connections);
    }

    [Fact]
    public async Task Sending_to_an_unreachable_peer_never_blocks_and_reports_it()
    {
        using var dead = TestPeers.BindWithoutListening();
        var unreachable = new TaskCompletionSource<NodeId>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = TestPeers.Options(2);
        await using var transport = new PeerTransport(
            new PeerTransportOptions
            {
                LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
                InitialReconnectDelay = TimeSpan.FromMinutes(1), MaxReconnectDelay = TimeSpan.FromMinutes(1),
            },
            _logs.Logger<PeerTransport>(),
            peerUnreachable: peer => unreachable.TrySetResult(peer));
        transport.SetPeer(1, dead.LocalEndPoint!);
        var clock = Stopwatch.StartNew();
        for (ulong i = 1; i <= 10_000; i++)
        {
            transport.Send(TestPeers.Append(2, 1, i));
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"sending took {clock.Elapsed}");
        Assert.Equal(new NodeId(1), await Wait.ForAsync(unreachable.Task));
        var status = transport.GetStatus(1)!;
        Assert.Equal(PeerConnectionState.Backoff, status.State);
        Assert.Equal((0, 10_000L), (status.QueuedMessages, status.DroppedMessages));
        transport.Send(TestPeers.Heartbeat(2, 1));
        Assert.Equal(10_001, transport.DroppedMessages);
        Assert.Contains("refused", (string)(await _logs.WaitForAsync(ConnectFailed))["Reason"]!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_queue_to_a_peer_that_does_not_take_messages_drops_rather_than_grows()
    {
        // A port that completes TCP connects (the backlog) but never answers the handshake.
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        stalled.Bind(TestPeers.AnyLoopbackPort);
        stalled.Listen(16);
        var options = TestPeers.Options(2);
        await using var transport = new PeerTransport(
            new PeerTransportOptions
            {
                LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
                MaxQueuedMessagesPerPeer = 100, HandshakeTimeout = TimeSpan.FromMinutes(1),
            },
            _logs.Logger<PeerTransport>());
        transport.SetPeer(1, stalled.LocalEndPoint!);
        for (ulong i = 1; i <= 1000; i++)
        {
            transport.Send(TestPeers.Append(2, 1, i));
        }
        var status = transport.GetStatus(1)!;
        Assert.Equal(PeerConnectionState.Connecting, status.State);
        Assert.Equal((100, 900L), (status.QueuedMessages, status.DroppedMessages));
        Assert.InRange(status.QueuedBytes, 100 * 100, 100 * 200);
    }

    [Fact]
    public async Task A_peer_that_stops_reading_is_dropped_after_the_write_timeout()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(TestPeers.AnyLoopbackPort);
        listener.Listen(1);
        var options = TestPeers.Options(2);
        await using var transport = new PeerTransport(
            new PeerTransportOptions
            {
                LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
                WriteTimeout = TimeSpan.FromMilliseconds(300), InitialReconnectDelay = TimeSpan.FromMinutes(1), MaxReconnectDelay = TimeSpan.FromMinutes(1),
            },
            _logs.Logger<PeerTransport>());
        transport.SetPeer(1, listener.LocalEndPoint!);
        await using var stuck = await RawPeer.AcceptAsync(listener);
        Assert.Equal(new NodeId(2), await stuck.AcceptHandshakeAsync(TestPeers.Options(1)));
        await _logs.WaitForAsync(Connected);

        // Far more than the socket buffers hold, and nobody reads.
        var chunk = new Message { Type = MessageType.SnapshotChunk, From = 2, To = 1, SnapshotData = new byte[1 << 20] };
        for (int i = 0; i < 64; i++)
        {
            transport.Send(chunk);
        }
        var lost = await _logs.WaitForAsync(ConnectionLost);
        output.WriteLine($"dropped because: {lost["Reason"]}");
        Assert.Equal(PeerConnectionState.Backoff, transport.GetStatus(1)!.State);
    }

    [Fact]
    public async Task Reconnect_pauses_back_off_exponentially_on_the_injected_clock()
    {
        using var dead = TestPeers.BindWithoutListening();
        var time = new ManualTimeProvider();
        int reports = 0;
        var options = TestPeers.Options(2);
        var settings = new PeerTransportOptions
        {
            LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
            InitialReconnectDelay = TimeSpan.FromSeconds(1), MaxReconnectDelay = TimeSpan.FromSeconds(4), ReconnectJitter = 0.5,
            ConnectTimeout = TimeSpan.FromMinutes(2),
        };
        await using var transport = new PeerTransport(
            settings, _logs.Logger<PeerTransport>(), time, new SeededRandom(99), _ => Interlocked.Increment(ref reports));
        var expected = new SeededRandom(99);
        transport.SetPeer(1, dead.LocalEndPoint!);
        for (int failure = 1; failure <= 5; failure++)
        {
            var delay = ReconnectBackoff.Delay(failure, settings.InitialReconnectDelay, settings.MaxReconnectDelay, settings.ReconnectJitter, expected);
            await time.WaitForTimerAsync(delay);
            // Each failed attempt reports once, and no attempt comes before the clock allows.
            Assert.Equal(failure, Volatile.Read(ref reports));
            Assert.Equal(failure, transport.GetStatus(1)!.ConsecutiveFailures);
            time.Advance(delay);
        }
    }

    [Fact]
    public async Task A_new_address_takes_effect_at_once_even_during_a_long_pause()
    {
        using var dead = TestPeers.BindWithoutListening();
        await using var a = PeerTestNode.Start(1, _logs);
        var options = TestPeers.Options(2);
        await using var b = PeerTestNode.Start(2, _logs, new PeerTransportOptions
        {
            LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
            InitialReconnectDelay = TimeSpan.FromMinutes(1), MaxReconnectDelay = TimeSpan.FromMinutes(1),
        });
        b.Transport.SetPeer(1, dead.LocalEndPoint!);
        await _logs.WaitForAsync(ConnectFailed);
        b.Transport.SetPeer(1, a.EndPoint);
        await _logs.WaitForAsync(Connected);
        b.Transport.Send(TestPeers.Heartbeat(2, 1, term: 9));
        Assert.Equal(9UL, (await a.ReceiveAsync()).Term);
    }

    [Fact]
    public async Task A_removed_peer_gets_nothing_more_and_unknown_peers_are_dropped()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        await using var b = PeerTestNode.Start(2, _logs);
        b.Knows(a);
        b.Transport.Send(TestPeers.Heartbeat(2, 1));
        await a.ReceiveAsync();
        Assert.True(b.Transport.RemovePeer(1));
        Assert.False(b.Transport.RemovePeer(1));
        Assert.Null(b.Transport.GetStatus(1));
        b.Transport.Send(TestPeers.Heartbeat(2, 1));
        b.Transport.Send(TestPeers.Heartbeat(2, 7));
        Assert.Equal(2, b.Transport.DroppedMessages);
        Assert.Throws<ArgumentException>(() => b.Transport.SetPeer(2, a.EndPoint));
    }

    [Fact]
    public async Task A_message_too_large_for_the_wire_is_dropped_not_sent()
    {
        await using var a = PeerTestNode.Start(1, _logs);
        var options = TestPeers.Options(2);
        await using var b = PeerTestNode.Start(2, _logs, new PeerTransportOptions
        {
            LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
            Wire = new Colony.Consensus.Wire.WireLimits { MaxFrameBytes = 4096 }, MaxQueuedBytesPerPeer = 1 << 20,
        });
        b.Knows(a);
        b.Transport.Send(TestPeers.Append(2, 1, 1, dataBytes: 5000));
        b.Transport.Send(TestPeers.Heartbeat(2, 1, term: 4));
        Assert.Equal(4UL, (await a.ReceiveAsync()).Term);
        Assert.Equal(1, b.Transport.DroppedMessages);
        await _logs.WaitForAsync(1504);
    }

    [Fact]
    public async Task The_inbound_handler_serves_the_peer_port_from_kestrel()
    {
        var inbox = Channel.CreateUnbounded<Message>();
        var inbound = new PeerInbound(TestPeers.Options(1), inbox.Writer, _logs.Logger<PeerInbound>());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(inbound);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseConnectionHandler<PeerConnectionHandler>()));
        await using var app = builder.Build();
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
            await using var b = new PeerTransport(TestPeers.Options(2), _logs.Logger<PeerTransport>());
            b.SetPeer(1, new IPEndPoint(IPAddress.Loopback, address.Port));
            b.Send(TestPeers.Heartbeat(2, 1, term: 5));
            Assert.Equal(5UL, (await Wait.ReadAsync(inbox.Reader)).Term);

            await using var raw = await RawPeer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, address.Port));
            await raw.AuthenticateAsync(TestPeers.Options(3), 1);
            await raw.SendAsync(TestPeers.Heartbeat(4, 1));
            await raw.WaitForCloseAsync();
            await _logs.WaitForAsync(ProtocolViolation);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static PeerTransportOptions WithQueue(PeerTransportOptions options, int maxMessages) => new()
    {
        LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
        InitialReconnectDelay = options.InitialReconnectDelay, MaxReconnectDelay = options.MaxReconnectDelay,
        MaxQueuedMessagesPerPeer = maxMessages,
    };
}
