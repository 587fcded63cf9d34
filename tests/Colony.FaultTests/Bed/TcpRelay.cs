using System.Net;
using System.Net.Sockets;
using Colony.Testing;

namespace Colony.FaultTests.Bed;

/// <summary>
/// A TCP relay in the test process between clients and one node. <see cref="Cut"/> closes every
/// connection and stops listening, so a client behind it vanishes without closing its session, as
/// if its machine had died: the servers hear nothing more and must expire the session.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly ClientHost? _from;
    private readonly List<Socket> _sockets = [];
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private bool _cut;

    /// <summary>A relay to <paramref name="target"/>, whose connections leave from <paramref name="from"/> (null: the root namespace).</summary>
    public TcpRelay(IPEndPoint target, ClientHost? from = null)
    {
        _target = target;
        _from = from;
        // A port the kernel picks: a campaign makes thousands of relays, and a reserved port that something else binds
        // between the probe and the listen would end the whole run.
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>Drops every connection and refuses new ones. Idempotent.</summary>
    public void Cut()
    {
        List<Socket> sockets;
        lock (_gate)
        {
            if (_cut)
            {
                return;
            }
            _cut = true;
            sockets = [.. _sockets];
        }
        _listener.Stop();
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Cut();
        await _accepting;
        TestPorts.Release([Port]);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync();
                var server = _from is null ? new Socket(SocketType.Stream, ProtocolType.Tcp) : await _from.CreateSocketAsync();
                if (!Track(client, server))
                {
                    return;
                }
                _ = RelayAsync(client, server);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped by Cut.
        }
    }

    private bool Track(Socket client, Socket server)
    {
        lock (_gate)
        {
            if (_cut)
            {
                client.Dispose();
                server.Dispose();
                return false;
            }
            _sockets.Add(client);
            _sockets.Add(server);
            return true;
        }
    }

    private async Task RelayAsync(Socket client, Socket server)
    {
        try
        {
            await server.ConnectAsync(_target);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
