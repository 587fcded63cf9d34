using System.Net;
using System.Net.Sockets;
using System.Text;
using Colony.IntegrationTests.FileSystem;
using Colony.IntegrationTests.ZooKeeper;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.Security;

/// <summary>
/// The HTTP port's limit on connections per client address, over real sockets: the connection over the
/// limit is closed on arrival, the others and other addresses are served, and a freed slot is taken again.
/// </summary>
public sealed class HttpConnectionLimitTests(ITestOutputHelper output)
{
    private const int Limit = 8;

    [Fact]
    public async Task The_connection_over_an_address_limit_is_closed_while_the_others_and_other_addresses_are_served()
    {
        using var settings = new NodeEnvironment(new Dictionary<string, string> { ["MaxHttpConnectionsPerIp"] = $"{Limit}" });
        await using var cluster = new LocalCluster(1);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        ulong node = await cluster.WaitForLeaderAsync();
        int port = cluster.HttpPort(node);
        var crowded = IPAddress.Parse("127.0.62.1");
        var connections = new List<RawHttpConnection>();
        try
        {
            for (int i = 0; i < Limit; i++)
            {
                var connection = await RawHttpConnection.OpenAsync(port, crowded);
                connections.Add(connection);
                Assert.StartsWith("HTTP/1.1 200", await connection.GetAsync("/status"), StringComparison.Ordinal);
            }

            // One more from the same address: closed before a byte of HTTP is read (the reset can even reach
            // the client before its connect completes).
            using (var excess = await TryOpenAsync(port, crowded))
            {
                Assert.True(excess is null || await TryGetAsync(excess, "/status") is null, "the connection over the limit was served");
            }

            // The last and the first admitted connection still work; so does another address.
            foreach (var connection in new[] { connections[^1], connections[0] })
            {
                Assert.StartsWith("HTTP/1.1 200", await connection.GetAsync("/status"), StringComparison.Ordinal);
            }
            using (var neighbour = await RawHttpConnection.OpenAsync(port, IPAddress.Parse("127.0.62.2")))
            {
                Assert.StartsWith("HTTP/1.1 200", await neighbour.GetAsync("/status"), StringComparison.Ordinal);
            }

            // The refusal is logged and counted.
            await LocalCluster.WaitForAsync(() => Task.FromResult<string?>(cluster.LogOf(node)),
                log => log.Contains("too many connections from 127.0.62.1", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the refusal to be logged");
            double refused = await ZooKeeperLimitsTests.MetricAsync(cluster, node, "colony_http_connections_refused_total", "reason=\"per_ip\"");
            Assert.True(refused >= 1, $"{refused} refusals counted");

            // A slot freed is a slot taken again.
            connections[0].Dispose();
            connections.RemoveAt(0);
            var replacement = await LocalCluster.WaitForAsync(async () =>
            {
                // The server may not have counted the closed connection out yet: refused again, try again.
                if (await TryOpenAsync(port, crowded) is not { } connection)
                {
                    return null;
                }
                if (await TryGetAsync(connection, "/status") is not null)
                {
                    return connection;
                }
                connection.Dispose();
                return null;
            }, _ => true, TimeSpan.FromSeconds(10), "the freed slot to admit a new connection");
            connections.Add(replacement);
            Assert.StartsWith("HTTP/1.1 200", await replacement.GetAsync("/status"), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
        logs.Pass();
    }

    /// <summary>A TCP connection from <paramref name="from"/>, or null when the server reset it at once.</summary>
    private static async Task<RawHttpConnection?> TryOpenAsync(int port, IPAddress from)
    {
        try
        {
            return await RawHttpConnection.OpenAsync(port, from);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>The response's status line, or null if the server closed the connection instead.</summary>
    private static async Task<string?> TryGetAsync(RawHttpConnection connection, string path)
    {
        try
        {
            return await connection.GetAsync(path);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null; // reset before or while we sent
        }
    }
}

/// <summary>An HTTP/1.1 keep-alive connection on a bare socket, from a loopback address of the test's choosing.</summary>
internal sealed class RawHttpConnection : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawHttpConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawHttpConnection> OpenAsync(int port, IPAddress from)
    {
        var tcp = new TcpClient(new IPEndPoint(from, 0)) { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        return new RawHttpConnection(tcp);
    }

    /// <summary>Sends GET <paramref name="path"/> and reads the whole response; returns its status line. Throws IOException if the server closes first.</summary>
    public async Task<string> GetAsync(string path)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        await _stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), timeout.Token);
        var received = new List<byte>();
        byte[] buffer = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOfBlankLine(received)) < 0)
        {
            await ReadSomeAsync(received, buffer, timeout.Token);
        }
        string head = Encoding.ASCII.GetString(received.ToArray(), 0, headEnd);
        var headers = head.Split("\r\n");
        if (headers.Any(l => l.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            // The body ends with the last, empty chunk.
            while (!Encoding.ASCII.GetString(received.ToArray(), headEnd, received.Count - headEnd).EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
            {
                await ReadSomeAsync(received, buffer, timeout.Token);
            }
        }
        else
        {
            int length = headers.Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(l => int.Parse(l["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            while (received.Count < headEnd + 4 + length)
            {
                await ReadSomeAsync(received, buffer, timeout.Token);
            }
        }
        return headers[0];
    }

    private async Task ReadSomeAsync(List<byte> received, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = await _stream.ReadAsync(buffer, cancellationToken);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }
        received.AddRange(buffer.AsSpan(0, read));
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (int i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
