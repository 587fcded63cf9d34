using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Colony.Client.Tests;

/// <summary><see cref="ZooKeeperClientOptions.ConnectCallback"/>: the client's connections are the callback's sockets.</summary>
public sealed class ConnectCallbackTests
{
    [Fact]
    public async Task The_session_runs_over_the_socket_the_callback_opened()
    {
        await using var server = new GarbageServerTests.GarbageServer(new Random(7), validHandshake: true);
        var asked = new ConcurrentQueue<DnsEndPoint>();
        var opened = new ConcurrentQueue<Socket>();
        var options = new ZooKeeperClientOptions
        {
            ConnectCallback = async (endpoint, cancellationToken) =>
            {
                asked.Enqueue(endpoint);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint, cancellationToken);
                opened.Enqueue(socket);
                return socket;
            },
        };

        await using var client = await ZooKeeperClient.ConnectAsync(server.Address, options);

        var first = Assert.Single(asked.Take(1));
        Assert.Equal(server.Address, $"{first.Host}:{first.Port}");
        Assert.NotEqual(0, client.SessionId);
        Assert.Equal(asked.Count, opened.Count);
        Assert.True(opened.First().NoDelay, "the client sets TCP_NODELAY on a socket it is given");
    }

    [Fact]
    public async Task A_callback_that_fails_fails_the_attempt_like_an_unreachable_server()
    {
        int calls = 0;
        var options = new ZooKeeperClientOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(1),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(10),
            ConnectCallback = (_, _) =>
            {
                Interlocked.Increment(ref calls);
                throw new SocketException((int)SocketError.NetworkUnreachable);
            },
        };

        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => ZooKeeperClient.ConnectAsync("127.0.0.1:1", options));

        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
        Assert.True(Volatile.Read(ref calls) >= 1);
    }

    [Fact]
    public async Task A_callback_that_never_connects_is_given_up_at_the_connect_timeout()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new ZooKeeperClientOptions
        {
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
            ConnectCallback = async (_, cancellationToken) =>
            {
                using var registration = cancellationToken.Register(() => cancelled.TrySetResult());
                await Task.Delay(Timeout.Infinite, cancellationToken);
                throw new InvalidOperationException("unreachable");
            },
        };

        await Assert.ThrowsAnyAsync<ZooKeeperException>(() => ZooKeeperClient.ConnectAsync("127.0.0.1:1", options));
        await cancelled.Task.WaitAsync(TestSupport.Patience); // the callback's token was cancelled: nothing is left connecting
    }
}

/// <summary><see cref="Blocks.BlockTransferOptions.ConnectCallback"/>: block transfers connect through it too.</summary>
public sealed class BlockConnectCallbackTests
{
    [Fact]
    public async Task A_block_connection_is_the_callbacks_socket()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var asked = new ConcurrentQueue<DnsEndPoint>();
        var options = new Blocks.BlockTransferOptions
        {
            ConnectCallback = async (endpoint, cancellationToken) =>
            {
                asked.Enqueue(endpoint);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint, cancellationToken);
                return socket;
            },
        };

        await using var connection = await Blocks.FrameConnection.ConnectAsync($"127.0.0.1:{port}", options, CancellationToken.None);
        using var accepted = await listener.AcceptSocketAsync().WaitAsync(TestSupport.Patience);

        var endpoint = Assert.Single(asked);
        Assert.Equal(("127.0.0.1", port), (endpoint.Host, endpoint.Port));
    }

    [Fact]
    public async Task A_block_connection_whose_callback_hangs_times_out()
    {
        var options = new Blocks.BlockTransferOptions
        {
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            ConnectCallback = async (_, cancellationToken) =>
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                throw new InvalidOperationException("unreachable");
            },
        };

        var error = await Assert.ThrowsAsync<TimeoutException>(() => Blocks.FrameConnection.ConnectAsync("127.0.0.1:1", options, CancellationToken.None));
        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A callback's socket serves a whole session, whatever mode the callback left it in.</summary>
[Collection(ColonyCollection.Name)]
public sealed class ConnectCallbackSessionTests(ColonyClusterOneNode server)
{
    [Fact]
    public async Task A_socket_left_in_non_blocking_mode_serves_requests_and_replies()
    {
        var options = new ZooKeeperClientOptions
        {
            ConnectCallback = async (endpoint, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint, cancellationToken);
                socket.Blocking = false;
                return socket;
            },
        };
        await using var client = await ZooKeeperClient.ConnectAsync(server.ConnectString, options);
        string root = TestSupport.UniqueRoot("nonblocking");

        await client.CreateAsync(root, "over a callback's socket");

        Assert.Equal("over a callback's socket", TestSupport.Text((await client.GetDataAsync(root)).Data));
        await client.DeleteAsync(root);
    }
}
