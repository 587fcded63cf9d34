using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Colony.Consensus;
using Colony.Consensus.Wire;
using Xunit.Abstractions;

namespace Colony.IntegrationTests;

/// <summary>
/// Bad input on the HTTP and peer ports of every node: each bad connection is turned away (and the
/// peer-port ones logged), and the cluster keeps serving.
/// </summary>
public class BadInputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Bad_input_on_every_port_is_rejected_and_logged_and_the_nodes_keep_serving()
    {
        await using var cluster = new LocalCluster(3);
        using var logs = cluster.DumpLogsOnFailure(output, tailLines: 60);
        await cluster.WaitForLeaderAsync();
        await cluster.WriteAsync("before", "1");
        var ids = cluster.Ids.ToArray();

        foreach (var id in ids)
        {
            // HTTP: random bytes, a request line cut short, and a PUT whose body stops before its Content-Length.
            string? garbageAnswer = await ExchangeAsync(cluster.HttpPort(id), RandomBytes(4096, seed: (int)id));
            Assert.True(garbageAnswer is null || garbageAnswer.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), $"garbage on node {id}'s HTTP port got: {First(garbageAnswer)}");
            string? cutAnswer = await ExchangeAsync(cluster.HttpPort(id), "GET /sta"u8.ToArray());
            Assert.True(cutAnswer is null || cutAnswer.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), $"a request line cut short on node {id} got: {First(cutAnswer)}");
            string? truncatedAnswer = await ExchangeAsync(cluster.HttpPort(id),
                Encoding.ASCII.GetBytes($"PUT /kv/truncated{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {cluster.ClusterToken}\r\nContent-Length: 100\r\n\r\nonly part of it"));
            Assert.True(truncatedAnswer is null || !truncatedAnswer.StartsWith("HTTP/1.1 2", StringComparison.Ordinal), $"a truncated PUT on node {id} got: {First(truncatedAnswer)}");

            // Peer port, before authentication: random bytes, a hello of another cluster, a hello cut short,
            // and a well-formed handshake from a member that does not hold the secret.
            ulong other = ids.First(o => o != id);
            Assert.Null(await ExchangeAsync(cluster.PeerPort(id), RandomBytes(4096, seed: 100 + (int)id)));
            byte[] foreign = Hello("another-cluster", other, id, RandomNumberGenerator.GetBytes(32));
            Assert.Equal([2], await ExchangeRawAsync(cluster.PeerPort(id), foreign)); // WrongCluster
            byte[] hello = Hello(cluster.ClusterId, other, id, RandomNumberGenerator.GetBytes(32));
            Assert.Empty(await ExchangeRawAsync(cluster.PeerPort(id), hello[..(hello.Length / 2)]));
            byte[] wrongSecret = RandomNumberGenerator.GetBytes(32);
            Assert.Equal(4, await HandshakeAsync(cluster, id, clientId: other, wrongSecret, afterWelcome: null)); // BadProof

            // Peer port, after a genuine handshake: a frame cut short, then a frame whose checksum is wrong.
            const ulong stranger = 99;
            var frame = Frame(new Message { Type = MessageType.Heartbeat, From = stranger, To = id, Term = 1 });
            Assert.Equal(0, await HandshakeAsync(cluster, id, stranger, cluster.Secret, afterWelcome: frame[..(frame.Length - 3)]));
            frame[^1] ^= 0xFF;
            Assert.Equal(0, await HandshakeAsync(cluster, id, stranger, cluster.Secret, afterWelcome: frame));
        }

        // Every rejection on the peer port is in the node's log.
        foreach (var id in ids)
        {
            string[] expected =
            [
                "rejected in the handshake (Malformed)",
                "rejected in the handshake (WrongCluster)",
                "rejected in the handshake (ConnectionClosed)",
                "rejected in the handshake (BadProof)",
                "closed for a protocol violation: the connection closed inside a frame",
            ];
            await LocalCluster.WaitForAsync(() => Task.FromResult<string?>(cluster.LogOf(id)),
                log => expected.All(log.Contains) && Count(log, "closed for a protocol violation") >= 2,
                TimeSpan.FromSeconds(30), $"node {id} to log every rejection");
            foreach (var line in cluster.LogOf(id).Split('\n').Where(l => l.Contains("rejected in the handshake") || l.Contains("protocol violation")))
            {
                output.WriteLine($"node {id}: {line.Trim()}");
            }
            int httpLines = cluster.LogOf(id).Split('\n').Count(l => l.Contains("Kestrel.BadRequests", StringComparison.Ordinal));
            output.WriteLine($"node {id}: {httpLines} log lines about the bad HTTP requests");
            Assert.True(httpLines >= 2, $"node {id} logged {httpLines} bad HTTP requests");
        }

        // The cluster still serves: every node answers, a write commits, and the truncated PUTs took no effect.
        await cluster.WriteAsync("after", "2");
        foreach (var id in ids)
        {
            await LocalCluster.WaitForAsync(() => cluster.StatusAsync(id), s => s.Healthy, TimeSpan.FromSeconds(30), $"node {id} to be healthy");
            Assert.Equal("2", await cluster.Http.GetStringAsync($"{cluster.HttpAddress(id)}/kv/after"));
            var truncated = await cluster.Http.GetAsync($"{cluster.HttpAddress(id)}/kv/truncated{id}");
            Assert.Equal(HttpStatusCode.NotFound, truncated.StatusCode);
        }
        logs.Pass();
    }

    /// <summary>Sends <paramref name="bytes"/>, closes the sending side, and returns what the server said before closing (null for nothing).</summary>
    private static async Task<string?> ExchangeAsync(int port, byte[] bytes)
    {
        var answer = await ExchangeRawAsync(port, bytes);
        return answer.Length == 0 ? null : Encoding.ASCII.GetString(answer);
    }

    private static async Task<byte[]> ExchangeRawAsync(int port, byte[] bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(bytes);
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The server may close as soon as it has seen enough.
        }
        return await ReadToEndAsync(stream);
    }

    /// <summary>Reads until the server closes; failing if it keeps the connection open longer than <see cref="ReadTimeout"/>.</summary>
    private static async Task<byte[]> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // Reset by the server: it closed.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the server kept a bad connection open for {ReadTimeout.TotalSeconds:0} s");
        }
        return received.ToArray();
    }

    /// <summary>
    /// Runs the connecting side of the peer handshake as <paramref name="clientId"/> with <paramref name="secret"/>.
    /// Returns the server's final status byte (0 = welcomed). If welcomed, sends <paramref name="afterWelcome"/> and
    /// closes, and the server must close too.
    /// </summary>
    private static async Task<int> HandshakeAsync(LocalCluster cluster, ulong serverId, ulong clientId, byte[] secret, byte[]? afterWelcome)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, cluster.PeerPort(serverId));
        var stream = client.GetStream();
        using var timeout = new CancellationTokenSource(ReadTimeout);
        byte[] clientNonce = RandomNumberGenerator.GetBytes(32);
        await stream.WriteAsync(Hello(cluster.ClusterId, clientId, serverId, clientNonce), timeout.Token);

        byte[] challenge = new byte[1 + 8 + 32 + 32];
        await stream.ReadExactlyAsync(challenge.AsMemory(0, 1), timeout.Token);
        Assert.Equal(0, challenge[0]);
        await stream.ReadExactlyAsync(challenge.AsMemory(1), timeout.Token);
        Assert.Equal(serverId, BinaryPrimitives.ReadUInt64BigEndian(challenge.AsSpan(1)));
        byte[] serverNonce = challenge[9..41];

        byte[] reply = [0, .. ClientProof(secret, cluster.ClusterId, clientId, serverId, clientNonce, serverNonce)];
        await stream.WriteAsync(reply, timeout.Token);
        byte[] status = new byte[1];
        await stream.ReadExactlyAsync(status, timeout.Token);
        if (status[0] != 0)
        {
            Assert.Empty(await ReadToEndAsync(stream));
            return status[0];
        }
        if (afterWelcome is not null)
        {
            await stream.WriteAsync(afterWelcome, timeout.Token);
            client.Client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await ReadToEndAsync(stream));
        }
        return 0;
    }

    /// <summary>The opening of the peer handshake: "CLNY", version 1, the cluster id, both node ids and a nonce.</summary>
    private static byte[] Hello(string clusterId, ulong client, ulong server, byte[] nonce)
    {
        byte[] cluster = Encoding.UTF8.GetBytes(clusterId);
        var hello = new List<byte>();
        hello.AddRange("CLNY"u8.ToArray());
        hello.Add(1);
        hello.Add((byte)cluster.Length);
        hello.AddRange(cluster);
        hello.AddRange(BigEndian(client));
        hello.AddRange(BigEndian(server));
        hello.AddRange(nonce);
        return [.. hello];
    }

    /// <summary>The connecting side's proof: HMAC-SHA256 under the secret over the role, cluster, ids and nonces.</summary>
    private static byte[] ClientProof(byte[] secret, string clusterId, ulong client, ulong server, byte[] clientNonce, byte[] serverNonce)
    {
        byte[] cluster = Encoding.UTF8.GetBytes(clusterId);
        byte[] transcript =
        [
            .. "colony peer v1 client"u8.ToArray(), (byte)cluster.Length, .. cluster,
            .. BigEndian(client), .. BigEndian(server), .. clientNonce, .. serverNonce,
        ];
        return HMACSHA256.HashData(secret, transcript);
    }

    private static byte[] Frame(Message message)
    {
        var writer = new ArrayBufferWriter<byte>();
        MessageCodec.Default.WriteFrame(message, writer);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] BigEndian(ulong value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        // Never by chance the start of a valid handshake or request.
        bytes[0] = 0xFF;
        return bytes;
    }

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static string First(string? text) => text is null ? "(nothing)" : text.Split('\n')[0];
}
