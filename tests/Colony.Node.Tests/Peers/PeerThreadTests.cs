using System.Buffers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using Colony.Consensus;
using Colony.Core;
using Colony.Node.Peers;
using Xunit.Abstractions;

namespace Colony.Node.Tests.Peers;

/// <summary>
/// The threads of the peer transport: each connection's own thread, what wakes it, and that disposing
/// ends every one of them, even one blocked in the middle of a connect, a handshake or a send.
/// Node ids are unique to each test, so thread names are too.
/// </summary>
public class PeerThreadTests(ITestOutputHelper output)
{
    private const int Connected = 1500;

    private readonly RecordingLoggerProvider _logs = new(output);

    [Fact]
    public async Task Each_connection_runs_on_named_threads_that_end_on_dispose()
    {
        var a = PeerTestNode.Start(71, _logs);
        var b = PeerTestNode.Start(72, _logs);
        b.Knows(a);
        b.Transport.Send(TestPeers.Heartbeat(72, 71, term: 1));
        Assert.Equal(1UL, (await a.ReceiveAsync()).Term);

        // Node 72 sends to 71 on peer-out-71 (with peer-watch-71 waiting for a close); node 71 receives on peer-in-72.
        var names = OsThreads.Names();
        Assert.Equal(1, names.Count(name => name == "peer-out-71"));
        Assert.Equal(1, names.Count(name => name == "peer-watch-71"));
        Assert.Equal(1, names.Count(name => name == "peer-in-72"));
        Assert.Contains("peer-accept", names);

        await b.DisposeAsync();
        await a.DisposeAsync();
        await OsThreads.WaitUntilGoneAsync("peer-out-71", "peer-watch-71", "peer-in-72");
    }

    [Fact]
    public async Task Disposing_ends_a_sender_blocked_in_a_send_to_a_peer_that_stopped_reading()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(TestPeers.AnyLoopbackPort);
        listener.Listen(1);
        var options = TestPeers.Options(74);
        var transport = new PeerTransport(
            new PeerTransportOptions
            {
                LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret, WriteTimeout = TimeSpan.FromMinutes(5),
            },
            _logs.Logger<PeerTransport>());
        transport.SetPeer(73, listener.LocalEndPoint!);
        await using var stuck = await RawPeer.AcceptAsync(listener);
        Assert.Equal(new NodeId(74), await stuck.AcceptHandshakeAsync(TestPeers.Options(73)));
        await _logs.WaitForAsync(Connected);

        // Far more than the socket buffers hold, and nobody reads: the sender ends up blocked in a send,
        // which shows as its thread asleep with messages still queued.
        var chunk = new Message { Type = MessageType.SnapshotChunk, From = 74, To = 73, SnapshotData = new byte[1 << 20] };
        for (int i = 0; i < 64; i++)
        {
            transport.Send(chunk);
        }
        await WaitForAsync(() => transport.GetStatus(73)!.SentMessages > 0 && OsThreads.IsAsleep("peer-out-73"));
        Assert.True(transport.GetStatus(73)!.QueuedMessages > 0);

        // Well before the five-minute write timeout.
        await Wait.ForAsync(transport.DisposeAsync().AsTask());
        await OsThreads.WaitUntilGoneAsync("peer-out-73", "peer-watch-73");
    }

    [Fact]
    public async Task Disposing_ends_a_handshake_that_stalls_on_either_side()
    {
        // The sender's side: a port that completes TCP connects (the backlog) but never answers the handshake.
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        stalled.Bind(TestPeers.AnyLoopbackPort);
        stalled.Listen(16);
        var options = TestPeers.Options(76);
        var transport = new PeerTransport(
            new PeerTransportOptions
            {
                LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret, HandshakeTimeout = TimeSpan.FromMinutes(5),
            },
            _logs.Logger<PeerTransport>());
        transport.SetPeer(75, stalled.LocalEndPoint!);
        await WaitForAsync(() => OsThreads.Count("peer-out-75") == 1);

        // The receiving side: a connection that never says anything.
        var listening = PeerTestNode.Start(77, _logs, new PeerTransportOptions
        {
            LocalId = 77, ClusterId = options.ClusterId, Secret = options.Secret, HandshakeTimeout = TimeSpan.FromMinutes(5),
        });
        await using var silent = await RawPeer.ConnectAsync(listening.EndPoint);
        await WaitForAsync(() => listening.Inbound.Stats.ActiveConnections == 1);

        await Wait.ForAsync(transport.DisposeAsync().AsTask());
        await Wait.ForAsync(listening.DisposeAsync().AsTask());
        await silent.WaitForCloseAsync();
        Assert.Equal(0, listening.Inbound.Stats.ActiveConnections);
        await OsThreads.WaitUntilGoneAsync("peer-out-75");
    }

    [Fact]
    public async Task Deferred_messages_wait_for_a_flush_and_keep_their_order()
    {
        await using var a = PeerTestNode.Start(81, _logs);
        await using var b = PeerTestNode.Start(82, _logs);
        b.Knows(a);
        b.Transport.Send(TestPeers.Heartbeat(82, 81, term: 1));
        Assert.Equal(1UL, (await a.ReceiveAsync()).Term);
        // Idle: asleep, having found its queue empty.
        await WaitForAsync(() => OsThreads.IsAsleep("peer-out-81"));

        b.Transport.Deferred.Send(TestPeers.Heartbeat(82, 81, term: 2));
        b.Transport.Deferred.Send(TestPeers.Heartbeat(82, 81, term: 3));
        Assert.Equal(2, b.Transport.GetStatus(81)!.QueuedMessages);
        b.Transport.Flush();
        Assert.Equal(new[] { 2UL, 3UL }, await TermsAsync(a, 2));

        // A plain Send takes what was deferred along, in order; flushing with nothing queued is harmless.
        b.Transport.Deferred.Send(TestPeers.Heartbeat(82, 81, term: 4));
        b.Transport.Send(TestPeers.Heartbeat(82, 81, term: 5));
        b.Transport.Flush();
        Assert.Equal(new[] { 4UL, 5UL }, await TermsAsync(a, 2));
        Assert.Equal((0, 5L), (b.Transport.GetStatus(81)!.QueuedMessages, b.Transport.GetStatus(81)!.SentMessages));
    }

    [Fact]
    public async Task A_flush_sends_on_the_calling_thread_when_the_socket_takes_the_batch()
    {
        await using var a = PeerTestNode.Start(89, _logs);
        await using var b = PeerTestNode.Start(90, _logs);
        b.Knows(a);
        b.Transport.Send(TestPeers.Heartbeat(90, 89, term: 1));
        Assert.Equal(1UL, (await a.ReceiveAsync()).Term);
        await WaitForAsync(() => OsThreads.IsAsleep("peer-out-89"));
        long sleeps = OsThreads.Sleeps("peer-out-89");

        b.Transport.Deferred.Send(TestPeers.Heartbeat(90, 89, term: 2));
        b.Transport.Deferred.Send(TestPeers.Heartbeat(90, 89, term: 3));
        b.Transport.Flush();
        // Sent by the time Flush returns, and the sender's thread slept through it.
        Assert.Equal((0, 3L), (b.Transport.GetStatus(89)!.QueuedMessages, b.Transport.GetStatus(89)!.SentMessages));
        Assert.Equal(new[] { 2UL, 3UL }, await TermsAsync(a, 2));
        Assert.Equal(sleeps, OsThreads.Sleeps("peer-out-89"));
    }

    [Fact]
    public async Task What_a_flush_cannot_send_at_once_the_sender_finishes_in_order()
    {
        await using var a = PeerTestNode.Start(91, _logs);
        await using var b = PeerTestNode.Start(92, _logs);
        b.Knows(a);
        b.Transport.Send(TestPeers.Heartbeat(92, 91, term: 1));
        Assert.Equal(1UL, (await a.ReceiveAsync()).Term);

        // Larger than any socket buffer: the flush hands the kernel part of it, the sender's thread the rest.
        b.Transport.Deferred.Send(TestPeers.Append(92, 91, 2, dataBytes: 9 << 20));
        b.Transport.Deferred.Send(TestPeers.Append(92, 91, 3, dataBytes: 10));
        b.Transport.Flush();
        b.Transport.Deferred.Send(TestPeers.Append(92, 91, 4, dataBytes: 20));
        b.Transport.Flush();
        for (ulong index = 2; index <= 4; index++)
        {
            var entry = (await a.ReceiveAsync()).Entries[0];
            Assert.Equal(index, entry.Index);
            Assert.True(entry.Data.Span.IndexOfAnyExcept((byte)index) < 0, $"entry {index} is corrupt");
        }
        await WaitForAsync(() => b.Transport.GetStatus(91)!.SentMessages == 4);
    }

    [Fact]
    public async Task The_inbox_reader_is_woken_once_per_read_not_once_per_message()
    {
        const int Messages = 100;
        int wakes = 0;
        var inbox = Channel.CreateUnbounded<Message>();
        var inbound = new PeerInbound(TestPeers.Options(83), inbox.Writer, _logs.Logger<PeerInbound>(), received: () => Interlocked.Increment(ref wakes));
        await using var listener = PeerListener.Start(TestPeers.AnyLoopbackPort, inbound, _logs.Logger<PeerListener>());
        await using var raw = await RawPeer.ConnectAsync(listener.LocalEndPoint);
        await raw.AuthenticateAsync(TestPeers.Options(84), 83);

        // One write of a hundred frames: one read on loopback, one wake-up.
        await raw.SendAsync(Enumerable.Range(1, Messages).SelectMany(i => TestPeers.Frame(TestPeers.Append(84, 83, (ulong)i))).ToArray());
        for (int i = 1; i <= Messages; i++)
        {
            Assert.Equal((ulong)i, (await Wait.ReadAsync(inbox.Reader)).Entries[0].Index);
        }
        // The messages are readable as soon as each is written; the count and the wake-up follow the batch.
        await WaitForAsync(() => inbound.Stats.MessagesReceived == Messages && Volatile.Read(ref wakes) > 0);
        output.WriteLine($"{Messages} messages, {Volatile.Read(ref wakes)} wake-ups");
        Assert.InRange(Volatile.Read(ref wakes), 1, Messages / 10);
    }

    [Fact]
    public async Task Frames_sent_right_behind_the_handshake_are_not_lost()
    {
        await using var a = PeerTestNode.Start(85, _logs);
        await using var raw = await RawPeer.ConnectAsync(a.EndPoint);
        var credentials = PeerCredentials.From(TestPeers.Options(86));
        byte[] nonce = RandomNumberGenerator.GetBytes(PeerHandshake.NonceBytes);
        PeerHandshake.WriteHello(raw.Pipe.Output, new PeerHandshake.Hello(PeerHandshake.ProtocolVersion, credentials.ClusterId, 86, 85, nonce));
        await raw.Pipe.Output.FlushAsync();
        var challenge = await ReadAsync<PeerHandshake.Challenge>(raw, PeerHandshake.TryReadChallenge);

        // The reply and two frames in one write, without waiting for the welcome: the node reads them
        // together, and must keep what follows the handshake.
        var reply = new ArrayBufferWriter<byte>();
        reply.Write([PeerHandshake.StatusOk]);
        reply.Write(credentials.ProveAsClient(86, 85, nonce, challenge.Nonce));
        reply.Write(TestPeers.Frame(TestPeers.Heartbeat(86, 85, term: 1)));
        reply.Write(TestPeers.Frame(TestPeers.Heartbeat(86, 85, term: 2)));
        await raw.SendAsync(reply.WrittenMemory);

        Assert.Equal(PeerHandshake.StatusOk, await ReadAsync<byte>(raw, PeerHandshake.TryReadStatus));
        Assert.Equal(new[] { 1UL, 2UL }, await TermsAsync(a, 2));
    }

    [Fact]
    public async Task Large_and_small_frames_mixed_arrive_intact_and_in_order()
    {
        await using var a = PeerTestNode.Start(87, _logs);
        await using var b = PeerTestNode.Start(88, _logs);
        b.Knows(a);
        int[] sizes = [100, 3 << 20, 10, 200 << 10, 5, 70 << 10, 1, 9 << 20, 0, 64 << 10];
        for (int i = 0; i < sizes.Length; i++)
        {
            b.Transport.Send(TestPeers.Append(88, 87, (ulong)i + 1, sizes[i]));
        }
        for (int i = 0; i < sizes.Length; i++)
        {
            var entry = (await a.ReceiveAsync()).Entries[0];
            Assert.Equal(((ulong)i + 1, sizes[i]), (entry.Index, entry.Data.Length));
            Assert.True(entry.Data.Span.IndexOfAnyExcept((byte)(i + 1)) < 0, $"entry {i + 1} is corrupt");
        }
    }

    private static async Task<ulong[]> TermsAsync(PeerTestNode node, int count)
    {
        var terms = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            terms[i] = (await node.ReceiveAsync()).Term;
        }
        return terms;
    }

    private delegate bool Parser<T>(ref ReadOnlySequence<byte> buffer, out T value);

    private static async Task<T> ReadAsync<T>(RawPeer peer, Parser<T> parse)
    {
        using var timeout = new CancellationTokenSource(Wait.Timeout);
        while (true)
        {
            var result = await peer.Pipe.Input.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            bool parsed = parse(ref buffer, out var value);
            peer.Pipe.Input.AdvanceTo(buffer.Start, parsed ? buffer.Start : buffer.End);
            if (parsed)
            {
                return value;
            }
            Assert.False(result.IsCompleted, "the connection closed");
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Wait.Timeout);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
