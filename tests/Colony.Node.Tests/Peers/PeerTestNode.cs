using System.Net;
using System.Threading.Channels;
using Colony.Consensus;
using Colony.Core;
using Colony.Node.Peers;

namespace Colony.Node.Tests.Peers;

/// <summary>One node's peer stack on loopback: an inbox, a listener on its own port, and a transport.</summary>
internal sealed class PeerTestNode : IAsyncDisposable
{
    private readonly List<NodeId> _unreachable = [];

    private PeerTestNode(NodeId id, PeerTransportOptions options, RecordingLoggerProvider logs, IPEndPoint bindTo)
    {
        Id = id;
        Options = options;
        Logs = logs;
        Inbound = new PeerInbound(options, Inbox.Writer, logs.Logger<PeerInbound>());
        Listener = PeerListener.Start(bindTo, Inbound, logs.Logger<PeerListener>());
        Transport = new PeerTransport(options, logs.Logger<PeerTransport>(), peerUnreachable: peer =>
        {
            lock (_unreachable)
            {
                _unreachable.Add(peer);
            }
        });
    }

    public NodeId Id { get; }

    public PeerTransportOptions Options { get; }

    public RecordingLoggerProvider Logs { get; }

    public Channel<Message> Inbox { get; } = Channel.CreateUnbounded<Message>();

    public PeerInbound Inbound { get; private set; }

    public PeerListener Listener { get; private set; }

    public PeerTransport Transport { get; }

    public IPEndPoint EndPoint => Listener.LocalEndPoint;

    public IReadOnlyList<NodeId> Unreachable
    {
        get
        {
            lock (_unreachable)
            {
                return [.. _unreachable];
            }
        }
    }

    public static PeerTestNode Start(ulong id, RecordingLoggerProvider logs, PeerTransportOptions? options = null) =>
        new(id, options ?? TestPeers.Options(id), logs, TestPeers.AnyLoopbackPort);

    /// <summary>Points this node's transport at each of <paramref name="peers"/>.</summary>
    public void Knows(params PeerTestNode[] peers)
    {
        foreach (var peer in peers)
        {
            Transport.SetPeer(peer.Id, peer.EndPoint);
        }
    }

    public Task<Message> ReceiveAsync() => Wait.ReadAsync(Inbox.Reader);

    /// <summary>Stops listening (closing every inbound connection), then listens again on the same port.</summary>
    public async Task RestartListenerAsync()
    {
        var endPoint = EndPoint;
        await Listener.DisposeAsync();
        Inbound = new PeerInbound(Options, Inbox.Writer, Logs.Logger<PeerInbound>());
        Listener = PeerListener.Start(endPoint, Inbound, Logs.Logger<PeerListener>());
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Transport.DisposeAsync();
        }
        finally
        {
            await Listener.DisposeAsync();
        }
    }
}
