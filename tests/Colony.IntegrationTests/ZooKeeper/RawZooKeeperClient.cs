using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// A ZooKeeper client on a bare socket, built from the protocol codec: it sends whatever frames a
/// test asks for, well-formed or not, and reads replies one frame at a time. Every read is bounded.
/// </summary>
internal sealed class RawZooKeeperClient : IDisposable
{
    /// <summary>How long any single read waits before the test fails.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private int _nextXid = 1;

    private RawZooKeeperClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public long SessionId { get; private set; }

    public byte[] Password { get; private set; } = [];

    public int NegotiatedTimeoutMs { get; private set; }

    /// <summary>The socket's local address, as the server lists it in "cons".</summary>
    public string LocalEndPoint
    {
        get
        {
            var local = (IPEndPoint)_tcp.Client.LocalEndPoint!;
            return $"{local.Address.MapToIPv4()}:{local.Port}";
        }
    }

    public Socket Socket => _tcp.Client;

    /// <summary>
    /// A TCP connection to host:port, without a handshake; from <paramref name="from"/> if given (any
    /// 127.x.y.z address is this machine, so a test can be a client with an IP address of its own).
    /// </summary>
    public static async Task<RawZooKeeperClient> OpenAsync(string address, IPAddress? from = null)
    {
        var (host, port) = Split(address);
        var tcp = from is null ? new TcpClient() : new TcpClient(new IPEndPoint(from, 0));
        tcp.NoDelay = true;
        try
        {
            await tcp.ConnectAsync(host, port);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        return new RawZooKeeperClient(tcp);
    }

    /// <summary>Connects and completes the handshake; fails the test if the server refuses.</summary>
    public static async Task<RawZooKeeperClient> ConnectAsync(string address, int timeoutMs = 10_000, long sessionId = 0, byte[]? password = null, IPAddress? from = null)
    {
        var client = await OpenAsync(address, from);
        try
        {
            var response = await client.HandshakeAsync(timeoutMs, sessionId, password);
            if (response is not { TimeOut: > 0 })
            {
                throw new InvalidOperationException($"the server at {address} refused the session: {response}");
            }
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends a ConnectRequest and reads the answer; null if the server closed instead of answering.</summary>
    public async Task<ConnectResponse?> HandshakeAsync(int timeoutMs = 10_000, long sessionId = 0, byte[]? password = null, long lastZxidSeen = 0)
    {
        await SendFrameAsync(new ConnectRequest(0, lastZxidSeen, timeoutMs, sessionId, password ?? new byte[16], false));
        var frame = await TryReadFrameAsync();
        if (frame is null)
        {
            return null;
        }
        var response = Jute.Decode<ConnectResponse>(frame);
        SessionId = response.SessionId;
        Password = response.Password;
        NegotiatedTimeoutMs = response.TimeOut;
        return response;
    }

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Sends one length-prefixed frame holding <paramref name="body"/>.</summary>
    public Task SendFrameAsync<T>(T body)
        where T : IJuteWritable
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, body);
        return SendRawAsync(output.WrittenSpan.ToArray());
    }

    /// <summary>Sends a request (header then body) and returns its xid.</summary>
    public async Task<int> SendAsync<T>(OpCode type, T body)
        where T : IJuteWritable
    {
        int xid = _nextXid++;
        await SendRawAsync(RequestFrame(xid, type, body));
        return xid;
    }

    /// <summary>The bytes of a request frame: length, header, body.</summary>
    public static byte[] RequestFrame<T>(int xid, OpCode type, T body)
        where T : IJuteWritable
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, new RequestHeader(xid, type), body);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A frame around arbitrary bytes: the length prefix, then <paramref name="content"/>.</summary>
    public static byte[] Frame(params byte[][] content)
    {
        byte[] body = [.. content.SelectMany(part => part)];
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    public static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>A jute string (or buffer) holding exactly <paramref name="bytes"/>, valid UTF-8 or not.</summary>
    public static byte[] JuteBytes(byte[] bytes) => [.. Int32(bytes.Length), .. bytes];

    public int NextXid() => _nextXid++;

    /// <summary>The next reply that answers a request (notifications are skipped).</summary>
    public async Task<(ReplyHeader Header, byte[] Body)> ReadReplyAsync()
    {
        while (true)
        {
            var frame = await TryReadFrameAsync() ?? throw new IOException("the server closed the connection instead of replying");
            var reader = new JuteReader(frame);
            var header = ReplyHeader.Read(ref reader);
            if (header.Xid == SpecialXid.Notification)
            {
                continue;
            }
            return (header, frame[ReplyHeader.Bytes..]);
        }
    }

    /// <summary>The next reply, which must answer <paramref name="xid"/>.</summary>
    public async Task<(ReplyHeader Header, byte[] Body)> ReadReplyAsync(int xid)
    {
        var reply = await ReadReplyAsync();
        if (reply.Header.Xid != xid)
        {
            throw new InvalidOperationException($"expected the reply to xid {xid}, got {reply.Header}");
        }
        return reply;
    }

    /// <summary>
    /// Reads until the server closes the connection; returns what it sent before closing. Fails the
    /// test if the connection is still open after <paramref name="timeout"/>.
    /// </summary>
    public async Task<byte[]> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? ReadTimeout);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await _stream.ReadAsync(buffer, cancel.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // Reset by the server: closed.
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the server kept the connection open for {(timeout ?? ReadTimeout).TotalSeconds:0} s ({received.Length} bytes received)");
        }
        return received.ToArray();
    }

    /// <summary>Closes our sending side: the server sees the end of the stream.</summary>
    public void ShutdownSend() => _tcp.Client.Shutdown(SocketShutdown.Send);

    // ---- well-behaved operations ---------------------------------------------------------------

    public async Task<(ErrorCode Error, string? Path)> CreateAsync(string path, byte[]? data, CreateMode mode = CreateMode.Persistent)
    {
        int xid = await SendAsync(OpCode.Create, new CreateRequest(path, data, Acl.OpenUnsafe, mode));
        var (header, body) = await ReadReplyAsync(xid);
        return (header.Err, header.Err == ErrorCode.Ok ? Jute.Decode<CreateResponse>(body).Path : null);
    }

    public async Task<(ErrorCode Error, byte[]? Data, Stat Stat)> GetDataAsync(string path)
    {
        int xid = await SendAsync(OpCode.GetData, new GetDataRequest(path, false));
        var (header, body) = await ReadReplyAsync(xid);
        if (header.Err != ErrorCode.Ok)
        {
            return (header.Err, null, default);
        }
        var response = Jute.Decode<GetDataResponse>(body);
        return (ErrorCode.Ok, response.Data, response.Stat);
    }

    public async Task<(ErrorCode Error, Stat Stat)> ExistsAsync(string path)
    {
        int xid = await SendAsync(OpCode.Exists, new ExistsRequest(path, false));
        var (header, body) = await ReadReplyAsync(xid);
        return (header.Err, header.Err == ErrorCode.Ok ? Jute.Decode<ExistsResponse>(body).Stat : default);
    }

    public async Task<(ErrorCode Error, Stat Stat)> SetDataAsync(string path, byte[]? data, int version = -1)
    {
        int xid = await SendAsync(OpCode.SetData, new SetDataRequest(path, data, version));
        var (header, body) = await ReadReplyAsync(xid);
        return (header.Err, header.Err == ErrorCode.Ok ? Jute.Decode<SetDataResponse>(body).Stat : default);
    }

    public async Task<ErrorCode> DeleteAsync(string path, int version = -1)
    {
        int xid = await SendAsync(OpCode.Delete, new DeleteRequest(path, version));
        return (await ReadReplyAsync(xid)).Header.Err;
    }

    public async Task<(ErrorCode Error, IReadOnlyList<string> Children)> GetChildrenAsync(string path)
    {
        int xid = await SendAsync(OpCode.GetChildren, new GetChildrenRequest(path, false));
        var (header, body) = await ReadReplyAsync(xid);
        return (header.Err, header.Err == ErrorCode.Ok ? Jute.Decode<GetChildrenResponse>(body).Children : []);
    }

    /// <summary>Waits until this node has applied every write the leader committed before the sync.</summary>
    public async Task<ErrorCode> SyncAsync(string path)
    {
        int xid = await SendAsync(OpCode.Sync, new SyncRequest(path));
        return (await ReadReplyAsync(xid)).Header.Err;
    }

    /// <summary>Ends the session (its ephemerals go), then closes the socket.</summary>
    public async Task CloseSessionAsync()
    {
        int xid = await SendAsync(OpCode.CloseSession, EmptyRequest.Instance);
        await ReadReplyAsync(xid);
        Dispose();
    }

    /// <summary>A four-letter word's answer from host:port ("mntr", "cons", ...).</summary>
    public static async Task<string> FourLetterWordAsync(string address, string word)
    {
        using var client = await OpenAsync(address);
        await client.SendRawAsync(System.Text.Encoding.ASCII.GetBytes(word));
        return System.Text.Encoding.ASCII.GetString(await client.ReadUntilClosedAsync());
    }

    /// <summary>One value of "mntr".</summary>
    public static async Task<long> MonitorValueAsync(string address, string key)
    {
        string mntr = await FourLetterWordAsync(address, "mntr");
        foreach (var line in mntr.Split('\n'))
        {
            var parts = line.Split('\t');
            if (parts.Length == 2 && parts[0] == key)
            {
                return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"mntr has no {key}: {mntr}");
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }

    private async Task<byte[]?> TryReadFrameAsync()
    {
        using var cancel = new CancellationTokenSource(ReadTimeout);
        var prefix = new byte[4];
        try
        {
            int first = await _stream.ReadAtLeastAsync(prefix, 4, throwOnEndOfStream: false, cancel.Token);
            if (first == 0)
            {
                return null;
            }
            if (first < 4)
            {
                throw new IOException($"the server closed inside a length prefix ({first} bytes)");
            }
            int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (length < 0 || length > 64 << 20)
            {
                throw new InvalidDataException($"the server sent a frame of length {length}");
            }
            var frame = new byte[length];
            await _stream.ReadExactlyAsync(frame, cancel.Token);
            return frame;
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no frame from the server within {ReadTimeout.TotalSeconds:0} s");
        }
    }

    private static (string Host, int Port) Split(string address)
    {
        int colon = address.LastIndexOf(':');
        return (address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>Times a piece of work, for latency checks.</summary>
internal static class Timed
{
    public static async Task<(T Result, TimeSpan Elapsed)> RunAsync<T>(Func<Task<T>> work)
    {
        var clock = Stopwatch.StartNew();
        var result = await work();
        return (result, clock.Elapsed);
    }
}
