using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Client.Tests;

/// <summary>
/// The connection's sending side: a frame is written by the thread that queues it when nobody else is
/// writing, and a write the socket cannot take at once finishes on the thread pool. Whichever way, every
/// frame must arrive whole, and the frames of one caller in the order it queued them. Its receiving side:
/// frames of any size reach the handler whole, on the connection's own thread, and a silent, truncated,
/// oversized or aborted stream ends the loop with the matching error.
/// </summary>
public sealed class ClientConnectionTests
{
    private const int Senders = 4;
    private const int FramesPerSender = 40;
    private const int DataBytes = 128 * 1024;

    [Fact]
    public async Task Frames_queued_from_several_threads_past_a_full_socket_arrive_whole_and_in_order()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        await using var link = await Link.OpenAsync(timeout.Token);
        var (connection, server) = (link.Connection, link.Server);

        // Nothing is read until every frame is queued: 20 MiB fill the socket's buffers, so writes go asynchronous.
        using var start = new Barrier(Senders);
        var senders = Enumerable.Range(0, Senders).Select(sender => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(timeout.Token);
            for (int sequence = 0; sequence < FramesPerSender; sequence++)
            {
                var frame = FrameBuffer.Create(new RequestHeader(Xid(sender, sequence), OpCode.SetData),
                    new SetDataRequest($"/sender-{sender}", Pattern(sender, sequence), sequence));
                Assert.True(connection.TrySend(frame));
            }
        }, timeout.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(senders);

        var next = new int[Senders];
        for (int received = 0; received < Senders * FramesPerSender; received++)
        {
            byte[] payload = await ReadFrameAsync(server, timeout.Token);
            var reader = new JuteReader(payload);
            var header = RequestHeader.Read(ref reader);
            var request = SetDataRequest.Read(ref reader);
            int sender = header.Xid / 1000;
            int sequence = header.Xid % 1000;
            Assert.Equal(OpCode.SetData, header.Type);
            Assert.Equal(next[sender], sequence);
            Assert.Equal($"/sender-{sender}", request.Path);
            Assert.Equal(sequence, request.Version);
            Assert.Equal(Pattern(sender, sequence), request.Data);
            next[sender]++;
        }
        Assert.All(next, count => Assert.Equal(FramesPerSender, count));
    }

    [Fact]
    public async Task A_frame_queued_after_the_connection_failed_is_refused()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        await using var link = await Link.OpenAsync(timeout.Token);
        var connection = link.Connection;

        connection.Abort();

        Assert.True(connection.Closed.IsCancellationRequested);
        Assert.False(connection.TrySend(FrameBuffer.Create(new RequestHeader(1, OpCode.Ping), EmptyRequest.Instance)));
    }

    [Fact]
    public async Task Frames_of_every_size_arrive_whole_and_in_order_on_the_receiving_thread()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        await using var link = await Link.OpenAsync(timeout.Token);
        // Small frames several to a segment, and frames larger than the reader's first buffer, split across reads.
        int[] sizes = [0, 1, 7, 300, 70_000, 5, 200_000, 64 * 1024 - 4, 64 * 1024, 3];
        var received = new List<byte[]>();
        var threads = new HashSet<string?>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task receiving = link.Connection.ReceiveAsync((frame, continueHere) =>
        {
            Assert.True(continueHere);
            received.Add(frame.ToArray());
            threads.Add(Thread.CurrentThread.Name);
            if (received.Count == sizes.Length)
            {
                all.TrySetResult();
            }
        }, new ContinuationPolicy(inline: true), TestSupport.Patience, timeout.Token);
        byte[] stream = [.. sizes.SelectMany((size, i) => Frame(Pattern(i, 0, size)))];
        for (int offset = 0; offset < stream.Length; offset += 50_000)
        {
            await link.Server.SendAsync(stream.AsMemory(offset, Math.Min(50_000, stream.Length - offset)), SocketFlags.None, timeout.Token);
        }
        await all.Task.WaitAsync(timeout.Token);

        Assert.Equal(sizes.Select((size, i) => Pattern(i, 0, size)), received);
        Assert.Single(threads);
        Assert.StartsWith("zk-receive", threads.Single(), StringComparison.Ordinal);
        Assert.False(receiving.IsCompleted);
    }

    [Fact]
    public async Task A_server_silent_for_the_read_timeout_fails_the_connection_with_a_timeout()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        await using var link = await Link.OpenAsync(timeout.Token);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => link.Connection.ReceiveAsync(
            (_, _) => { }, new ContinuationPolicy(inline: true), TimeSpan.FromMilliseconds(300), timeout.Token));

        Assert.Contains("sent nothing for 300 ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_closes_inside_a_frame_fails_the_connection()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        await using var link = await Link.OpenAsync(timeout.Token);
        Task receiving = link.Connection.ReceiveAsync((_, _) => { }, new ContinuationPolicy(inline: true), TestSupport.Patience, timeout.Token);

        await link.Server.SendAsync(Frame(new byte[100])[..50], SocketFlags.None, timeout.Token);
        link.Server.Shutdown(SocketShutdown.Send);

        var error = await Assert.ThrowsAsync<IOException>(() => receiving);
        Assert.Contains("inside a frame", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_over_the_limit_fails_the_connection_before_its_body_arrives()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        await using var link = await Link.OpenAsync(timeout.Token);
        Task receiving = link.Connection.ReceiveAsync((_, _) => { }, new ContinuationPolicy(inline: true), TestSupport.Patience, timeout.Token);

        byte[] prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, (16 << 20) + 1);
        await link.Server.SendAsync(prefix, SocketFlags.None, timeout.Token);

        await Assert.ThrowsAsync<ProtocolException>(() => receiving);
    }

    [Fact]
    public async Task Aborting_ends_a_read_blocked_on_a_silent_server()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        await using var link = await Link.OpenAsync(timeout.Token);
        using var stop = new CancellationTokenSource();
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receiving = link.Connection.ReceiveAsync((_, _) => blocked.TrySetResult(), new ContinuationPolicy(inline: true), TestSupport.Patience, stop.Token);
        // One frame handled: the loop is running, and now waits in a read for the next.
        await link.Server.SendAsync(Frame([1, 2, 3]), SocketFlags.None, timeout.Token);
        await blocked.Task.WaitAsync(timeout.Token);

        stop.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving.WaitAsync(TestSupport.Patience));
        Assert.True(link.Connection.Closed.IsCancellationRequested);
    }

    [Fact]
    public async Task Aborting_while_frames_wait_in_the_buffer_ends_the_loop_without_handling_them()
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        await using var link = await Link.OpenAsync(timeout.Token);
        var inHandler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        int handled = 0;
        Task receiving = link.Connection.ReceiveAsync((_, _) =>
        {
            if (Interlocked.Increment(ref handled) == 1)
            {
                inHandler.TrySetResult();
                release.Wait(timeout.Token);
            }
        }, new ContinuationPolicy(inline: true), TestSupport.Patience, CancellationToken.None);
        // Two frames in one segment: the second waits in the reader's buffer while the first is handled.
        await link.Server.SendAsync((byte[])[.. Frame([1]), .. Frame([2])], SocketFlags.None, timeout.Token);
        await inHandler.Task.WaitAsync(timeout.Token);

        link.Connection.Abort();
        release.Set();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving.WaitAsync(TestSupport.Patience));
        Assert.Equal(1, Volatile.Read(ref handled));
    }

    /// <summary>A client connection to a listener on loopback, and the server's end of it.</summary>
    private sealed class Link(ClientConnection connection, Socket server) : IAsyncDisposable
    {
        public ClientConnection Connection { get; } = connection;

        public Socket Server { get; } = server;

        public static async Task<Link> OpenAsync(CancellationToken cancellationToken)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var accepting = listener.AcceptSocketAsync(cancellationToken).AsTask();
            var connection = await ClientConnection.OpenAsync(new DnsEndPoint("127.0.0.1", port), 16 << 20, TimeProvider.System,
                TestSupport.Patience, connect: null, cancellationToken);
            return new Link(connection, await accepting);
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            Server.Dispose();
        }
    }

    private static int Xid(int sender, int sequence) => sender * 1000 + sequence;

    private static byte[] Frame(byte[] body)
    {
        byte[] frame = new byte[body.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    private static byte[] Pattern(int sender, int sequence, int size = DataBytes)
    {
        var data = new byte[size];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 31 + sender * 7 + sequence);
        }
        return data;
    }

    private static async Task<byte[]> ReadFrameAsync(Socket socket, CancellationToken cancellationToken)
    {
        var prefix = new byte[4];
        await ReadExactlyAsync(socket, prefix, cancellationToken);
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await ReadExactlyAsync(socket, payload, cancellationToken);
        return payload;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            Assert.NotEqual(0, read);
            buffer = buffer[read..];
        }
    }
}
