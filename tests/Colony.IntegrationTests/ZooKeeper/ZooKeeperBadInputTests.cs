using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Colony.Coordination;
using Colony.Coordination.Protocol;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// Bad input on a node's ZooKeeper client port, sent over raw sockets. Each bad connection gets what
/// Apache ZooKeeper gives it (an error code in the reply header, or a closed connection), and after
/// each case the node still serves a well-behaved client and every acknowledged write is intact.
/// </summary>
[Collection(ZooKeeperClusterCollection.Name)]
public sealed class ZooKeeperBadInputTests(ZooKeeperClusterFixture fixture, ITestOutputHelper output)
{
    private const int MaxFrameBytes = ZooKeeperClusterFixture.MaxFrameBytes;
    private const int MaxDataBytes = FrameReader.MaxPayloadBytes;
    private const int MaxOutstandingPerConnection = 1000; // the node's default
    private static readonly string Root = ZooKeeperClusterFixture.Root;

    private ulong Node => fixture.Follower;

    private string Address => fixture.Address(Node);

    [Fact]
    public async Task Malformed_frames_close_the_connection_or_get_a_marshalling_error_as_in_ZooKeeper()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);

        // Garbage after a valid handshake: its first bytes, read as a length, are negative.
        using (var client = await fixture.ConnectAsync(Node))
        {
            await client.SendRawAsync(Garbage(4096, seed: 1));
            Assert.Empty(await client.ReadUntilClosedAsync());
        }

        // A frame too short to hold a request header.
        using (var client = await fixture.ConnectAsync(Node))
        {
            await client.SendRawAsync(RawZooKeeperClient.Frame(new byte[] { 0, 0, 0, 7, 0 }));
            Assert.Empty(await client.ReadUntilClosedAsync());
        }

        // A header that decodes, then a body that does not: ZooKeeper answers MarshallingError and
        // keeps the connection (and the session's order of replies).
        using (var client = await fixture.ConnectAsync(Node))
        {
            string path = $"{Root}/malformed-create";
            var cases = new (string What, OpCode Type, byte[] Body)[]
            {
                ("a getData whose path claims more bytes than the frame holds", OpCode.GetData, [.. RawZooKeeperClient.Int32(100), .. "/zk"u8]),
                ("a getData with no body at all", OpCode.GetData, []),
                ("an exists whose path length is -5", OpCode.Exists, [.. RawZooKeeperClient.Int32(-5), 0]),
                ("a create cut after its path", OpCode.Create, RawZooKeeperClient.JuteBytes(Encoding.UTF8.GetBytes(path))),
                ("a create whose ACL count exceeds the frame", OpCode.Create,
                    [.. RawZooKeeperClient.JuteBytes(Encoding.UTF8.GetBytes(path)), .. RawZooKeeperClient.Int32(1), (byte)'x', .. RawZooKeeperClient.Int32(1_000_000)]),
                ("a setData whose data length exceeds the frame", OpCode.SetData,
                    [.. RawZooKeeperClient.JuteBytes(Encoding.UTF8.GetBytes(Root)), .. RawZooKeeperClient.Int32(1 << 20), 1, 2, 3]),
                ("a multi holding an op of unknown type", OpCode.Multi, [.. MultiHeader(9999, done: false), .. MultiHeader(-1, done: true)]),
                ("a multi mixing a read and a write", OpCode.Multi,
                    [
                        .. MultiHeader((int)OpCode.GetData, done: false), .. RawZooKeeperClient.JuteBytes(Encoding.UTF8.GetBytes(Root)), 0,
                        .. MultiHeader((int)OpCode.Delete, done: false), .. RawZooKeeperClient.JuteBytes(Encoding.UTF8.GetBytes(path)), .. RawZooKeeperClient.Int32(-1),
                        .. MultiHeader(-1, done: true),
                    ]),
                ("a multi without its terminator", OpCode.Multi,
                    [.. MultiHeader((int)OpCode.Delete, done: false), .. RawZooKeeperClient.JuteBytes(Encoding.UTF8.GetBytes(path)), .. RawZooKeeperClient.Int32(-1)]),
            };
            var xids = new List<int>();
            foreach (var (_, type, body) in cases)
            {
                int xid = client.NextXid();
                xids.Add(xid);
                await client.SendRawAsync(RawZooKeeperClient.Frame(RawZooKeeperClient.Int32(xid), RawZooKeeperClient.Int32((int)type), body));
            }
            for (int i = 0; i < cases.Length; i++)
            {
                (ReplyHeader Header, byte[] Body) reply;
                try
                {
                    reply = await client.ReadReplyAsync(xids[i]);
                }
                catch (IOException e)
                {
                    throw new Xunit.Sdk.XunitException($"{cases[i].What}: the server closed the connection ({e.Message}); ZooKeeper answers MarshallingError");
                }
                Assert.True(reply.Header.Err == ErrorCode.MarshallingError, $"{cases[i].What}: got {reply.Header.Err}, ZooKeeper answers MarshallingError");
            }
            // The connection still works, and the malformed create created nothing.
            Assert.Equal(ErrorCode.NoNode, (await client.ExistsAsync(path)).Error);
            Assert.Equal(ErrorCode.Ok, (await client.GetDataAsync(Root)).Error);
            await client.CloseSessionAsync();
        }

        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task A_connection_closed_mid_frame_is_dropped_and_the_partial_request_takes_no_effect()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        string path = $"{Root}/truncated-create";

        // A create cut in the middle of its data, then the end of the stream.
        using (var client = await fixture.ConnectAsync(Node))
        {
            byte[] create = RawZooKeeperClient.RequestFrame(client.NextXid(), OpCode.Create,
                new CreateRequest(path, new byte[1000], Acl.OpenUnsafe, CreateMode.Persistent));
            await client.SendRawAsync(create[..(create.Length / 2)]);
            client.ShutdownSend();
            Assert.Empty(await client.ReadUntilClosedAsync());
        }

        // A connect request cut short, and a length prefix cut short: no session, no answer.
        foreach (int keep in new[] { 2, 20 })
        {
            using var client = await RawZooKeeperClient.OpenAsync(Address);
            byte[] connect = ConnectFrame(new ConnectRequest(0, 0, 10_000, 0, new byte[16], false));
            await client.SendRawAsync(connect[..keep]);
            client.ShutdownSend();
            Assert.Empty(await client.ReadUntilClosedAsync());
        }

        using (var client = await fixture.ConnectAsync(Node))
        {
            Assert.Equal(ErrorCode.Ok, await client.SyncAsync(Root));
            Assert.Equal(ErrorCode.NoNode, (await client.ExistsAsync(path)).Error);
            await client.CloseSessionAsync();
        }
        await LocalCluster.WaitForAsync(() => Task.FromResult<string?>(fixture.Cluster.LogOf(Node)),
            log => log.Contains("closed mid-frame", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the truncated frame to be logged");
        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task A_frame_over_the_size_limit_closes_the_connection_on_its_length_prefix_alone()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);

        // Only the prefix is sent: the server must decide without waiting for (or buffering) a body.
        foreach (int length in new[] { MaxFrameBytes + 1, 64 << 20, int.MaxValue, -1 })
        {
            using var client = await fixture.ConnectAsync(Node);
            await client.SendRawAsync(RawZooKeeperClient.Int32(length));
            var clock = Stopwatch.StartNew();
            Assert.Empty(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)));
            output.WriteLine($"declared length {length}: closed after {clock.ElapsedMilliseconds} ms");
        }

        // The same before the handshake.
        using (var client = await RawZooKeeperClient.OpenAsync(Address))
        {
            await client.SendRawAsync(RawZooKeeperClient.Int32(1 << 30));
            Assert.Empty(await client.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)));
        }

        // The limit itself is allowed: a frame of exactly the limit is read and answered (its data is
        // over the znode limit, so the answer is BadArguments), and the connection stays usable.
        using (var client = await fixture.ConnectAsync(Node))
        {
            string path = Root;
            int dataBytes = MaxFrameBytes - RequestHeader.Bytes - (4 + path.Length) - 4 - 4;
            int xid = client.NextXid();
            byte[] frame = RawZooKeeperClient.RequestFrame(xid, OpCode.SetData, new SetDataRequest(path, new byte[dataBytes], -1));
            Assert.Equal(MaxFrameBytes + 4, frame.Length);
            await client.SendRawAsync(frame);
            var (header, _) = await client.ReadReplyAsync(xid);
            Assert.Equal(ErrorCode.BadArguments, header.Err);
            Assert.Equal(ErrorCode.Ok, (await client.GetDataAsync(Root)).Error);
            await client.CloseSessionAsync();
        }

        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task An_unknown_opcode_gets_Unimplemented_in_order_and_the_connection_stays_usable()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        using var client = await fixture.ConnectAsync(Node);

        // Pipelined between two good reads: the replies come back in request order.
        int before = await client.SendAsync(OpCode.GetData, new GetDataRequest(Root, false));
        int unknown = client.NextXid();
        await client.SendRawAsync(RawZooKeeperClient.Frame(RawZooKeeperClient.Int32(unknown), RawZooKeeperClient.Int32(9999)));
        int withBody = client.NextXid();
        await client.SendRawAsync(RawZooKeeperClient.Frame(RawZooKeeperClient.Int32(withBody), RawZooKeeperClient.Int32(-9999), Garbage(100, seed: 2)));
        int after = await client.SendAsync(OpCode.Exists, new ExistsRequest(Root, false));

        Assert.Equal(ErrorCode.Ok, (await client.ReadReplyAsync(before)).Header.Err);
        Assert.Equal(ErrorCode.Unimplemented, (await client.ReadReplyAsync(unknown)).Header.Err);
        Assert.Equal(ErrorCode.Unimplemented, (await client.ReadReplyAsync(withBody)).Header.Err);
        Assert.Equal(ErrorCode.Ok, (await client.ReadReplyAsync(after)).Header.Err);

        // And writes still work on the same connection.
        string path = $"{Root}/after-unknown-opcode";
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(path, "x"u8.ToArray())).Error);
        Assert.Equal(ErrorCode.Ok, await client.DeleteAsync(path));
        await client.CloseSessionAsync();

        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task A_request_before_the_handshake_closes_the_connection_without_a_session()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        string path = $"{Root}/created-before-handshake";
        var firstFrames = new (string What, byte[] Frame)[]
        {
            ("a ping", RawZooKeeperClient.RequestFrame(SpecialXid.Ping, OpCode.Ping, EmptyRequest.Instance)),
            ("a getData", RawZooKeeperClient.RequestFrame(1, OpCode.GetData, new GetDataRequest(Root, false))),
            ("a create", RawZooKeeperClient.RequestFrame(1, OpCode.Create, new CreateRequest(path, [], Acl.OpenUnsafe, CreateMode.Persistent))),
            ("a closeSession", RawZooKeeperClient.RequestFrame(1, OpCode.CloseSession, EmptyRequest.Instance)),
        };
        foreach (var (what, frame) in firstFrames)
        {
            using var client = await RawZooKeeperClient.OpenAsync(Address);
            await client.SendRawAsync(frame);
            byte[] answer = await client.ReadUntilClosedAsync();
            Assert.True(answer.Length == 0, $"{what} as the first frame got {answer.Length} bytes back instead of a closed connection");
        }

        using (var client = await fixture.ConnectAsync(Node))
        {
            Assert.Equal(ErrorCode.Ok, await client.SyncAsync(Root));
            Assert.Equal(ErrorCode.NoNode, (await client.ExistsAsync(path)).Error);
            await client.CloseSessionAsync();
        }
        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task A_socket_that_never_sends_a_handshake_is_closed_after_the_handshake_timeout()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        using var silent = await RawZooKeeperClient.OpenAsync(Address);
        using var half = await RawZooKeeperClient.OpenAsync(Address);
        await half.SendRawAsync(RawZooKeeperClient.Int32(44)); // a frame length, then nothing

        var limit = TimeSpan.FromMilliseconds(ZooKeeperClusterFixture.HandshakeTimeoutMs + 10_000);
        Assert.Empty(await silent.ReadUntilClosedAsync(limit));
        Assert.Empty(await half.ReadUntilClosedAsync(limit));
        // The console logger writes from its own queue, so the line may land just after the close.
        await LocalCluster.WaitForAsync(() => Task.FromResult<string?>(fixture.Cluster.LogOf(Node)),
            log => log.Contains("no handshake within", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the handshake timeout to be logged");
        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task Invalid_paths_get_BadArguments_and_change_nothing()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        using var client = await fixture.ConnectAsync(Node);
        var rootChildren = (await client.GetChildrenAsync("/")).Children.Order(StringComparer.Ordinal).ToList();
        var zkItChildren = (await client.GetChildrenAsync(Root)).Children.Order(StringComparer.Ordinal).ToList();

        // Each path's parent exists (or it has none), so a create fails on the path itself: with a
        // missing parent ZooKeeper answers NoNode before it looks at the rest of the path.
        var paths = new (string What, byte[] Bytes)[]
        {
            ("relative", "zk-it"u8.ToArray()),
            ("empty", []),
            ("trailing slash", Encoding.UTF8.GetBytes($"{Root}/")),
            ("double slash", "//"u8.ToArray()),
            ("empty segment", Encoding.UTF8.GetBytes($"/{Root}")),
            ("dot", "/."u8.ToArray()),
            ("dot dot", "/.."u8.ToArray()),
            ("dot segment", Encoding.UTF8.GetBytes($"{Root}/.")),
            ("dot-dot segment", Encoding.UTF8.GetBytes($"{Root}/..")),
            ("NUL", Encoding.UTF8.GetBytes($"{Root}/a\0b")),
            ("control character", Encoding.UTF8.GetBytes($"{Root}/a\u0001b")),
            ("invalid UTF-8", [.. Encoding.UTF8.GetBytes($"{Root}/a"), 0xFF, 0xFE]),
            ("lone surrogate in UTF-8", [.. Encoding.UTF8.GetBytes($"{Root}/a"), 0xED, 0xA0, 0x80]),
        };
        byte[] world = RawZooKeeperClient.JuteBytes("world"u8.ToArray());
        byte[] anyone = RawZooKeeperClient.JuteBytes("anyone"u8.ToArray());
        byte[] data = RawZooKeeperClient.JuteBytes("data"u8.ToArray());
        var operations = new (OpCode Type, Func<byte[], byte[]> Body)[]
        {
            (OpCode.Create, p => [.. RawZooKeeperClient.JuteBytes(p), .. data, .. RawZooKeeperClient.Int32(1), .. RawZooKeeperClient.Int32((int)Perms.All), .. world, .. anyone, .. RawZooKeeperClient.Int32(0)]),
            (OpCode.GetData, p => [.. RawZooKeeperClient.JuteBytes(p), 0]),
            (OpCode.Exists, p => [.. RawZooKeeperClient.JuteBytes(p), 0]),
            (OpCode.SetData, p => [.. RawZooKeeperClient.JuteBytes(p), .. data, .. RawZooKeeperClient.Int32(-1)]),
            (OpCode.Delete, p => [.. RawZooKeeperClient.JuteBytes(p), .. RawZooKeeperClient.Int32(-1)]),
        };

        // All pipelined on one connection, writes and reads mixed: each gets its own answer, in order.
        var sent = new List<(int Xid, string What, ErrorCode Expected)>();
        foreach (var (what, bytes) in paths)
        {
            foreach (var (type, body) in operations)
            {
                int xid = client.NextXid();
                sent.Add((xid, $"{type} of a path that is {what}", type == OpCode.Delete ? DeleteAnswer(bytes) : ErrorCode.BadArguments));
                await client.SendRawAsync(RawZooKeeperClient.Frame(RawZooKeeperClient.Int32(xid), RawZooKeeperClient.Int32((int)type), body(bytes)));
            }
        }
        foreach (var (xid, what, expected) in sent)
        {
            var (header, _) = await client.ReadReplyAsync(xid);
            Assert.True(header.Err == expected, $"{what}: {header.Err}, expected {expected}");
        }

        // Paths that are valid but may never be deleted.
        foreach (var path in new[] { "/", "/zookeeper" })
        {
            Assert.Equal(ErrorCode.BadArguments, await client.DeleteAsync(path));
        }

        // Same connection, still usable; nothing was created anywhere.
        Assert.Equal(rootChildren, (await client.GetChildrenAsync("/")).Children.Order(StringComparer.Ordinal).ToList());
        Assert.Equal(zkItChildren, (await client.GetChildrenAsync(Root)).Children.Order(StringComparer.Ordinal).ToList());
        await client.CloseSessionAsync();
        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task Data_over_the_znode_limit_gets_BadArguments_and_changes_nothing()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        using var client = await fixture.ConnectAsync(Node);
        string existing = $"{Root}/size-limit";
        string missing = $"{Root}/size-limit-too-big";
        byte[] original = "original"u8.ToArray();
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(existing, original)).Error);
        var (_, _, statBefore) = await client.GetDataAsync(existing);

        var tooBig = new byte[MaxDataBytes + 1];
        Assert.Equal(ErrorCode.BadArguments, (await client.SetDataAsync(existing, tooBig)).Error);
        Assert.Equal(ErrorCode.BadArguments, (await client.CreateAsync(missing, tooBig)).Error);

        var (error, read, statAfter) = await client.GetDataAsync(existing);
        Assert.Equal(ErrorCode.Ok, error);
        Assert.Equal(original, read);
        Assert.Equal(statBefore, statAfter);
        Assert.Equal(ErrorCode.NoNode, (await client.ExistsAsync(missing)).Error);

        // Exactly the limit is fine.
        var atLimit = new byte[MaxDataBytes];
        atLimit.AsSpan().Fill(7);
        var (setError, stat) = await client.SetDataAsync(existing, atLimit);
        Assert.Equal(ErrorCode.Ok, setError);
        Assert.Equal(statBefore.Version + 1, stat.Version);
        Assert.Equal(atLimit, (await client.GetDataAsync(existing)).Data);
        Assert.Equal(ErrorCode.Ok, await client.DeleteAsync(existing));
        await client.CloseSessionAsync();

        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task A_thousand_idle_connections_do_not_slow_a_normal_client_and_all_close_afterwards()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        const int Handshaken = 400, Silent = 300, HalfConnected = 300;
        long connectionsBefore = await RawZooKeeperClient.MonitorValueAsync(Address, "zk_num_alive_connections");
        long sessionsBefore = await RawZooKeeperClient.MonitorValueAsync(Address, "zk_global_sessions");
        var baseline = await MeasureLatencyAsync("no idle connections");

        var idle = new List<RawZooKeeperClient>();
        try
        {
            using var gate = new SemaphoreSlim(50);
            byte[] connect = ConnectFrame(new ConnectRequest(0, 0, 10_000, 0, new byte[16], false));
            async Task<RawZooKeeperClient> Open(int kind, int index)
            {
                // Fifty clients per source address: the node takes at most 60 from one IP.
                var from = System.Net.IPAddress.Parse($"127.0.10.{1 + (index / 50)}");
                await gate.WaitAsync();
                try
                {
                    if (kind == 0)
                    {
                        return await RawZooKeeperClient.ConnectAsync(Address, from: from);
                    }
                    var client = await RawZooKeeperClient.OpenAsync(Address, from);
                    if (kind == 2)
                    {
                        await client.SendRawAsync(connect[..(connect.Length / 2)]);
                    }
                    return client;
                }
                finally
                {
                    gate.Release();
                }
            }
            var kinds = Enumerable.Repeat(0, Handshaken).Concat(Enumerable.Repeat(1, Silent)).Concat(Enumerable.Repeat(2, HalfConnected));
            var opening = kinds.Select((kind, index) => Open(kind, index)).ToList();
            try
            {
                await Task.WhenAll(opening);
            }
            finally
            {
                idle.AddRange(opening.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }
            Assert.Equal(Handshaken + Silent + HalfConnected, idle.Count);
            long connectionsHeld = await RawZooKeeperClient.MonitorValueAsync(Address, "zk_num_alive_connections");
            output.WriteLine($"alive connections: {connectionsBefore} before, {connectionsHeld} with the idle ones");
            Assert.True(connectionsHeld >= connectionsBefore + Handshaken, $"only {connectionsHeld} connections alive");

            var loaded = await MeasureLatencyAsync("1000 idle connections");
            Assert.True(loaded.Median < TimeSpan.FromMilliseconds(250), $"median round trip {loaded.Median.TotalMilliseconds:0} ms with idle connections (baseline {baseline.Median.TotalMilliseconds:0} ms)");
            Assert.True(loaded.Max < TimeSpan.FromSeconds(2), $"slowest round trip {loaded.Max.TotalMilliseconds:0} ms with idle connections");
            await fixture.AssertServesAsync(Node);

            // The handshaken ones end their sessions; every socket closes.
            foreach (var client in idle.Take(Handshaken))
            {
                await client.SendRawAsync(RawZooKeeperClient.RequestFrame(client.NextXid(), OpCode.CloseSession, EmptyRequest.Instance));
            }
        }
        finally
        {
            foreach (var client in idle)
            {
                client.Dispose();
            }
        }

        // Everything the idle clients held is released: their connections, and their sessions (which
        // would otherwise live on for their 10 s timeout).
        await LocalCluster.WaitForAsync(
            async () => (long?)await RawZooKeeperClient.MonitorValueAsync(Address, "zk_num_alive_connections"),
            n => n <= connectionsBefore, TimeSpan.FromSeconds(8), "the idle connections to be released");
        await LocalCluster.WaitForAsync(
            async () => (long?)await RawZooKeeperClient.MonitorValueAsync(Address, "zk_global_sessions"),
            n => n <= sessionsBefore + 2, TimeSpan.FromSeconds(8), "the idle sessions to be closed");
        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_in_bounded_time_while_others_are_served()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        const int Requests = 5000;
        string large = $"{Root}/large";
        using (var writer = await fixture.ConnectAsync(Node))
        {
            Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(large, new byte[MaxDataBytes])).Error);
            await writer.CloseSessionAsync();
        }

        using var slow = await RawZooKeeperClient.ConnectAsync(Address, timeoutMs: 4000);
        Assert.Equal(4000, slow.NegotiatedTimeoutMs);
        slow.Socket.ReceiveBufferSize = 64 * 1024;
        // Thousands of reads of a 1 MiB znode (5 GB of replies), and never a byte read back.
        var requests = new MemoryStream();
        for (int i = 0; i < Requests; i++)
        {
            requests.Write(RawZooKeeperClient.RequestFrame(slow.NextXid(), OpCode.GetData, new GetDataRequest(large, false)));
        }
        var clock = Stopwatch.StartNew();
        // Not awaited: once the server stops reading, the rest may sit in our send buffer for good.
        var sending = slow.SendRawAsync(requests.ToArray());
        string slowEndpoint = $"{slow.LocalEndPoint}[";

        // While it hangs there, others are served at normal speed.
        var latency = await MeasureLatencyAsync("a client that stopped reading");
        Assert.True(latency.Median < TimeSpan.FromMilliseconds(250), $"median round trip {latency.Median.TotalMilliseconds:0} ms beside a stalled client");
        await fixture.AssertServesAsync(Node);

        // The server stops reading from it once its outstanding requests reach the limit (its replies
        // wait for it, not in memory), and gives up on it within its session timeout plus a margin.
        var bound = TimeSpan.FromMilliseconds(slow.NegotiatedTimeoutMs) + TimeSpan.FromSeconds(6);
        string? lastSeen = null;
        await LocalCluster.WaitForAsync(
            async () => await RawZooKeeperClient.FourLetterWordAsync(Address, "cons"),
            cons =>
            {
                lastSeen = cons.Split('\n').FirstOrDefault(l => l.Contains(slowEndpoint, StringComparison.Ordinal)) ?? lastSeen;
                return !cons.Contains(slowEndpoint, StringComparison.Ordinal);
            },
            bound, "the stalled client to be disconnected");
        output.WriteLine($"stalled client disconnected after {clock.ElapsedMilliseconds} ms; last seen as {lastSeen}");
        Assert.NotNull(lastSeen);
        long read = long.Parse(Regex.Match(lastSeen, "recved=([0-9]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(read <= 2 * MaxOutstandingPerConnection, $"the server read {read} of the stalled client's {Requests} requests");

        // What it can still read is what sat in socket buffers, then the connection ends.
        byte[] drained = await slow.ReadUntilClosedAsync(TimeSpan.FromSeconds(15));
        output.WriteLine($"the stalled client could still read {drained.Length / 1024} KiB; its sends {(sending.IsCompleted ? "completed" : "were still blocked")}");
        Assert.True(drained.Length < 256L << 20, $"the server had {drained.Length} bytes in flight for one stalled client");

        using (var cleaner = await fixture.ConnectAsync(Node))
        {
            Assert.Equal(ErrorCode.Ok, await cleaner.DeleteAsync(large));
            await cleaner.CloseSessionAsync();
        }
        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    [Fact]
    public async Task A_client_that_has_seen_a_later_zxid_than_the_node_is_refused_there()
    {
        using var logs = fixture.Cluster.DumpLogsOnFailure(output, tailLines: 60);
        long lastZxid = await RawZooKeeperClient.MonitorValueAsync(Address, "zk_last_zxid");

        foreach (long seen in new[] { lastZxid + 1_000_000, long.MaxValue })
        {
            using var client = await RawZooKeeperClient.OpenAsync(Address);
            var response = await client.HandshakeAsync(lastZxidSeen: seen);
            Assert.True(response is null, $"a client that has seen zxid {seen} (the node is at {lastZxid}) got a session: {response}");
            Assert.Empty(await client.ReadUntilClosedAsync());
        }

        // A zxid the node has reached is fine.
        using (var client = await RawZooKeeperClient.OpenAsync(Address))
        {
            var response = await client.HandshakeAsync(lastZxidSeen: lastZxid);
            Assert.True(response is { TimeOut: > 0 }, $"a client at the node's own zxid was refused: {response}");
            await client.CloseSessionAsync();
        }
        await fixture.AssertServesAsync(Node);
        logs.Pass();
    }

    /// <summary>
    /// ZooKeeper checks a delete's path only for what it needs to find the parent: no '/' or a NUL is
    /// BadArguments, any other bad path names no node (NoNode). A path that is not UTF-8 never
    /// decodes, so it is BadArguments for every operation.
    /// </summary>
    private static ErrorCode DeleteAnswer(byte[] path)
    {
        string? decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(path);
        }
        catch (DecoderFallbackException)
        {
            return ErrorCode.BadArguments;
        }
        return !decoded.Contains('/', StringComparison.Ordinal) || decoded.Contains('\0', StringComparison.Ordinal) ? ErrorCode.BadArguments : ErrorCode.NoNode;
    }

    private async Task<(TimeSpan Median, TimeSpan Max)> MeasureLatencyAsync(string context)
    {
        var (client, connectTime) = await Timed.RunAsync(() => fixture.ConnectAsync(Node));
        using (client)
        {
            var samples = new List<TimeSpan> { connectTime };
            string path = $"{Root}/latency-{Guid.NewGuid():N}";
            for (int i = 0; i < 10; i++)
            {
                var (created, createTime) = await Timed.RunAsync(() => client.CreateAsync($"{path}-{i}", [1, 2, 3]));
                Assert.Equal(ErrorCode.Ok, created.Error);
                var (read, readTime) = await Timed.RunAsync(() => client.GetDataAsync($"{path}-{i}"));
                Assert.Equal([1, 2, 3], read.Data);
                samples.Add(createTime);
                samples.Add(readTime);
            }
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(ErrorCode.Ok, await client.DeleteAsync($"{path}-{i}"));
            }
            await client.CloseSessionAsync();
            samples.Sort();
            var result = (samples[samples.Count / 2], samples[^1]);
            output.WriteLine($"{context}: median {result.Item1.TotalMilliseconds:0.0} ms, max {result.Item2.TotalMilliseconds:0.0} ms over {samples.Count} round trips");
            return result;
        }
    }

    private static byte[] ConnectFrame(ConnectRequest request)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        FrameWriter.Write(output, request);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A multi's per-op header: type, done flag, err -1 (as clients send it).</summary>
    private static byte[] MultiHeader(int type, bool done) =>
        [.. RawZooKeeperClient.Int32(type), done ? (byte)1 : (byte)0, .. RawZooKeeperClient.Int32(-1)];

    private static byte[] Garbage(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 0xFF; // a negative length if read as one; never a four-letter word
        return bytes;
    }
}
