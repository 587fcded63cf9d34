using System.Net;
using System.Net.Sockets;

namespace Colony.Client.Tests;

/// <summary>
/// A loopback TCP forwarder between a client and one server, for cutting and stalling connections
/// on cue: stop accepting, drop live connections, hold the server's replies, and count the bytes
/// the client sent.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly DnsEndPoint target;
    private readonly object gate = new();
    private readonly List<Socket> live = [];
    private TcpListener? listener;
    private Task accepting = Task.CompletedTask;
    private TaskCompletionSource released = Released();
    private long clientBytes;
    private TaskCompletionSource bytesArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TcpProxy(string targetAddress)
    {
        int colon = targetAddress.LastIndexOf(':');
        target = new DnsEndPoint(targetAddress[..colon], int.Parse(targetAddress[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        Listen(port: 0);
    }

    public int Port { get; private set; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Bytes the clients have sent through the proxy so far.</summary>
    public long ClientBytes => Interlocked.Read(ref clientBytes);

    /// <summary>Stops accepting connections: new ones are refused until <see cref="StartListening"/>.</summary>
    public void StopListening()
    {
        lock (gate)
        {
            listener?.Stop();
            listener = null;
        }
    }

    /// <summary>Accepts connections again, on the same port.</summary>
    public void StartListening() => Listen(Port);

    /// <summary>Closes every forwarded connection (both sides).</summary>
    public void DropConnections()
    {
        lock (gate)
        {
            foreach (Socket socket in live)
            {
                socket.Dispose();
            }
            live.Clear();
        }
    }

    /// <summary>While held, the server's bytes wait in the proxy instead of reaching the client.</summary>
    public void HoldReplies()
    {
        lock (gate)
        {
            if (released.Task.IsCompleted)
            {
                released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void ReleaseReplies()
    {
        lock (gate)
        {
            released.TrySetResult();
        }
    }

    /// <summary>Waits until the clients have sent at least <paramref name="bytes"/> bytes in total.</summary>
    public async Task WaitForClientBytesAsync(long bytes, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (ClientBytes < bytes)
        {
            Task next;
            lock (gate)
            {
                next = bytesArrived.Task;
            }
            if (ClientBytes >= bytes)
            {
                break;
            }
            await next.WaitAsync(cancel.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        StopListening();
        DropConnections();
        ReleaseReplies();
        try
        {
            await accepting;
        }
        catch (Exception)
        {
        }
    }

    private static TaskCompletionSource Released()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }

    private void Listen(int port)
    {
        lock (gate)
        {
            if (listener is not null)
            {
                return;
            }
            var started = new TcpListener(IPAddress.Loopback, port);
            started.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            started.Start();
            listener = started;
            Port = ((IPEndPoint)started.LocalEndpoint).Port;
            accepting = AcceptAsync(started);
        }
    }

    private async Task AcceptAsync(TcpListener from)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await from.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(target.Host, target.Port);
            }
            catch (SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            lock (gate)
            {
                live.Add(client);
                live.Add(server);
            }
            _ = PumpAsync(client, server, fromClient: true);
            _ = PumpAsync(server, client, fromClient: false);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    break;
                }
                if (!fromClient)
                {
                    Task gateTask;
                    lock (gate)
                    {
                        gateTask = released.Task;
                    }
                    await gateTask;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                if (fromClient)
                {
                    Interlocked.Add(ref clientBytes, read);
                    TaskCompletionSource arrived;
                    lock (gate)
                    {
                        arrived = bytesArrived;
                        bytesArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                    arrived.TrySetResult();
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
