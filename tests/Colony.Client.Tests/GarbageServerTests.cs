using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Colony.Coordination.Protocol;

namespace Colony.Client.Tests;

/// <summary>A server that answers with random bytes can drop connections and fail requests, but never crash the client or throw anything but ZooKeeper errors.</summary>
public sealed class GarbageServerTests
{
    [Fact]
    public async Task Garbage_handshakes_end_in_connection_loss()
    {
        var random = new Random(20240611);
        await using var server = new GarbageServer(random, validHandshake: false);

        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => ZooKeeperClient.ConnectAsync(
            server.Address, new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(1), MaxReconnectDelay = TimeSpan.FromMilliseconds(10) }));

        Assert.Contains(server.Address, error.Message, StringComparison.Ordinal);
        Assert.True(server.Connections >= 1);
    }

    [Fact]
    public async Task Garbage_replies_fail_requests_with_zookeeper_errors_only()
    {
        var random = new Random(424242);
        await using var server = new GarbageServer(random, validHandshake: true);
        await using var client = await ZooKeeperClient.ConnectAsync(server.Address, new ZooKeeperClientOptions { MaxReconnectDelay = TimeSpan.FromMilliseconds(10) });
        var unexpected = new List<Exception>();

        for (int i = 0; i < 300; i++)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TestSupport.Patience);
                await client.GetDataAsync("/x", watcher: null, timeout.Token);
            }
            catch (ZooKeeperException)
            {
            }
            catch (Exception e)
            {
                unexpected.Add(e);
            }
        }

        Assert.Empty(unexpected);
        Assert.True(server.Connections > 1);
    }

    internal sealed class GarbageServer : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly Random random;
        private readonly bool validHandshake;
        private readonly Task accepting;
        private readonly CancellationTokenSource stop = new();
        private int connections;

        public GarbageServer(Random random, bool validHandshake)
        {
            this.random = random;
            this.validHandshake = validHandshake;
            listener.Start();
            accepting = AcceptAsync();
        }

        public string Address => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        public int Connections => Volatile.Read(ref connections);

        public async ValueTask DisposeAsync()
        {
            stop.Cancel();
            listener.Stop();
            try
            {
                await accepting;
            }
            catch (Exception)
            {
            }
        }

        private async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                using Socket socket = await listener.AcceptSocketAsync(stop.Token);
                Interlocked.Increment(ref connections);
                try
                {
                    await ServeAsync(new NetworkStream(socket));
                }
                catch (IOException)
                {
                }
            }
        }

        private async Task ServeAsync(NetworkStream stream)
        {
            await ReadFrameAsync(stream);
            if (!validHandshake)
            {
                await stream.WriteAsync(Garbage(xid: null), stop.Token);
                return;
            }
            byte[] handshake = Jute.Encode(new ConnectResponse(0, 30_000, 1, new byte[16], false));
            await stream.WriteAsync(Frame(handshake), stop.Token);
            while (true)
            {
                byte[] request = await ReadFrameAsync(stream);
                int xid = BinaryPrimitives.ReadInt32BigEndian(request);
                byte[] reply = Garbage(random.Next(3) == 0 ? null : xid);
                await stream.WriteAsync(reply, stop.Token);
                if (random.Next(10) == 0)
                {
                    return;
                }
            }
        }

        /// <summary>A frame of random bytes: sometimes a plausible reply header for the xid, sometimes a hostile length.</summary>
        private byte[] Garbage(int? xid)
        {
            byte[] body = new byte[random.Next(0, 80)];
            random.NextBytes(body);
            if (xid is { } id && body.Length >= 16)
            {
                BinaryPrimitives.WriteInt32BigEndian(body, id);
                BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(12), random.Next(2) == 0 ? 0 : -random.Next(130));
            }
            byte[] frame = Frame(body);
            if (random.Next(8) == 0)
            {
                BinaryPrimitives.WriteInt32BigEndian(frame, random.Next(2) == 0 ? -5 : int.MaxValue);
            }
            return frame;
        }

        private static byte[] Frame(byte[] body)
        {
            byte[] frame = new byte[body.Length + 4];
            BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
            body.CopyTo(frame, 4);
            return frame;
        }

        private async Task<byte[]> ReadFrameAsync(NetworkStream stream)
        {
            byte[] prefix = new byte[4];
            await stream.ReadExactlyAsync(prefix, stop.Token);
            byte[] body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
            await stream.ReadExactlyAsync(body, stop.Token);
            return body;
        }
    }
}
