using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Colony.Consensus;
using Colony.Consensus.Wire;
using Colony.Node.Peers;

namespace Colony.Node.Tests.Peers;

internal static class TestPeers
{
    public const string ClusterId = "test-cluster";

    public static readonly byte[] Secret = Encoding.UTF8.GetBytes("a shared secret of the test cluster");

    public static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    /// <summary>Options for node <paramref name="id"/> of the test cluster, with quick reconnects.</summary>
    public static PeerTransportOptions Options(ulong id, string clusterId = ClusterId, byte[]? secret = null) => new()
    {
        LocalId = id,
        ClusterId = clusterId,
        Secret = secret ?? Secret,
        InitialReconnectDelay = TimeSpan.FromMilliseconds(10),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
    };

    public static Message Heartbeat(ulong from, ulong to, ulong term = 1) =>
        new() { Type = MessageType.Heartbeat, From = from, To = to, Term = term, Commit = term };

    public static Message Append(ulong from, ulong to, ulong index, int dataBytes = 100)
    {
        var data = new byte[dataBytes];
        data.AsSpan().Fill((byte)index);
        return new Message
        {
            Type = MessageType.Append, From = from, To = to, Term = 1, LogTerm = 1, Index = index - 1, Commit = index - 1,
            Entries = [new Entry(1, index, EntryType.Normal, data)],
        };
    }

    public static byte[] Frame(Message message)
    {
        var writer = new ArrayBufferWriter<byte>();
        MessageCodec.Default.WriteFrame(message, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>An address where nothing listens: a bound socket that never accepts, so connecting is refused.</summary>
    public static Socket BindWithoutListening()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(AnyLoopbackPort);
        return socket;
    }
}
