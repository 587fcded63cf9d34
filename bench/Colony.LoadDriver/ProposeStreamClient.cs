using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Colony.LoadDriver;

/// <summary>
/// One connection of the node's key-value write stream (an HTTP/1.1 connection upgraded to
/// "colony-propose"): length-prefixed put commands out, one reply frame back for each. See the node's
/// ProposeStream for the format. One proposal at a time, like an HTTP proposer.
/// </summary>
internal sealed class ProposeStreamClient : IDisposable
{
    public const byte Committed = 1;
    public const byte NotLeader = 2;

    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[4096];
    private byte[] _send = new byte[256];
    private int _filled; // bytes of the current reply received so far

    private ProposeStreamClient(Uri node, Socket socket)
    {
        Node = node;
        _socket = socket;
    }

    public Uri Node { get; }

    public static async Task<ProposeStreamClient> ConnectAsync(Uri node, string? token, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var client = new ProposeStreamClient(node, socket);
        try
        {
            await socket.ConnectAsync(node.Host, node.Port, cancellationToken).ConfigureAwait(false);
            string request = string.Create(CultureInfo.InvariantCulture,
                $"GET /kv-stream HTTP/1.1\r\nHost: {node.Authority}\r\n{(token is null ? "" : $"Authorization: Bearer {token}\r\n")}Connection: Upgrade\r\nUpgrade: colony-propose\r\n\r\n");
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), cancellationToken).ConfigureAwait(false);
            string head = await client.ReadHeadAsync(cancellationToken).ConfigureAwait(false);
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new IOException($"{node} refused the write stream: {head.Split('\r')[0]}");
            }
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends one put and waits for its reply: the outcome byte and the detail (the leader's address for NotLeader).</summary>
    public async Task<(byte Reply, string Detail)> PutAsync(string key, byte[] value, CancellationToken cancellationToken)
    {
        int keyBytes = Encoding.UTF8.GetByteCount(key);
        int commandBytes = 1 + 2 + keyBytes + 4 + value.Length;
        if (_send.Length < 4 + commandBytes)
        {
            _send = new byte[4 + commandBytes];
        }
        var frame = _send.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)commandBytes);
        frame[4] = 1; // put
        BinaryPrimitives.WriteUInt16BigEndian(frame[5..], (ushort)keyBytes);
        Encoding.UTF8.GetBytes(key, frame[7..]);
        BinaryPrimitives.WriteUInt32BigEndian(frame[(7 + keyBytes)..], (uint)value.Length);
        value.CopyTo(frame[(11 + keyBytes)..]);
        await _socket.SendAsync(_send.AsMemory(0, 4 + commandBytes), cancellationToken).ConfigureAwait(false);

        _filled = 0;
        await FillAsync(3, cancellationToken).ConfigureAwait(false);
        int detailBytes = BinaryPrimitives.ReadUInt16BigEndian(_receive.AsSpan(1));
        await FillAsync(3 + detailBytes, cancellationToken).ConfigureAwait(false);
        if (_filled != 3 + detailBytes)
        {
            throw new IOException($"{Node} sent more than one reply to one proposal");
        }
        return (_receive[0], detailBytes == 0 ? "" : Encoding.UTF8.GetString(_receive, 3, detailBytes));
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Reads until the buffer holds at least <paramref name="bytes"/> bytes of the current reply.</summary>
    private async Task FillAsync(int bytes, CancellationToken cancellationToken)
    {
        while (_filled < bytes)
        {
            int read = await _socket.ReceiveAsync(_receive.AsMemory(_filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException($"{Node} closed the write stream");
            }
            _filled += read;
        }
    }

    private async Task<string> ReadHeadAsync(CancellationToken cancellationToken)
    {
        int filled = 0;
        while (true)
        {
            int read = await _socket.ReceiveAsync(_receive.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException($"{Node} closed the connection during the upgrade");
            }
            filled += read;
            int end = _receive.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                // The node sends nothing after its 101 until we propose.
                return Encoding.ASCII.GetString(_receive, 0, end);
            }
            if (filled == _receive.Length)
            {
                throw new IOException($"{Node} sent an oversized upgrade response");
            }
        }
    }
}
