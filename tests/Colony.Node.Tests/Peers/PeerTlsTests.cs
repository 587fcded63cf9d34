using Colony.Client.Security;
using Colony.Consensus;
using Colony.Core;
using Colony.Node.Peers;
using Xunit.Abstractions;

namespace Colony.Node.Tests.Peers;

/// <summary>Peer connections inside mutual TLS, on loopback: the cluster's CA admits, every other certificate is refused.</summary>
public sealed class PeerTlsTests(ITestOutputHelper output) : IDisposable
{
    private const int ConnectFailed = 1501;
    private const int HandshakeRejected = 1522;

    private readonly RecordingLoggerProvider _logs = new(output);
    private readonly TestAuthority _cluster = new("cluster CA");
    private readonly TestAuthority _other = new("another CA");

    public void Dispose()
    {
        _cluster.Dispose();
        _other.Dispose();
    }

    [Fact]
    public async Task Messages_large_and_small_flow_both_ways_inside_tls()
    {
        await using var a = PeerTestNode.Start(1, _logs, WithTls(1, _cluster.Trust(_cluster.Issue("node-1"))));
        await using var b = PeerTestNode.Start(2, _logs, WithTls(2, _cluster.Trust(_cluster.Issue("node-2"))));
        a.Knows(b);
        b.Knows(a);
        var data = new byte[3 << 20];
        new Random(7).NextBytes(data);
        a.Transport.Send(TestPeers.Heartbeat(1, 2, term: 4));
        a.Transport.Send(new Message { Type = MessageType.SnapshotChunk, From = 1, To = 2, Term = 4, Snapshot = new SnapshotMetadata(10, 4, Membership.OfVoters(new NodeId(1), new NodeId(2))), SnapshotSize = data.Length, SnapshotData = data });
        b.Transport.Send(TestPeers.Heartbeat(2, 1, term: 5));

        var heartbeat = await b.ReceiveAsync();
        Assert.Equal((MessageType.Heartbeat, 4UL), (heartbeat.Type, heartbeat.Term));
        var chunk = await b.ReceiveAsync();
        Assert.True(chunk.SnapshotData.Span.SequenceEqual(data), "the snapshot chunk changed on the way");
        Assert.Equal(5UL, (await a.ReceiveAsync()).Term);
        Assert.Equal(1, b.Inbound.Stats.Authenticated);
    }

    [Fact]
    public async Task A_peer_with_a_certificate_from_another_CA_is_refused_even_knowing_the_secret()
    {
        await using var node = PeerTestNode.Start(1, _logs, WithTls(1, _cluster.Trust(_cluster.Issue("node-1"))));
        // The intruder trusts the cluster's CA and holds the secret, but its certificate is another CA's.
        var intruderCertificate = _other.Issue("node-2");
        await using var intruder = PeerTestNode.Start(2, _logs, WithTls(2, new ClusterTrust(() => intruderCertificate, () => [_cluster.Certificate])));
        intruder.Knows(node);
        intruder.Transport.Send(TestPeers.Heartbeat(2, 1, term: 99));

        var rejected = await _logs.WaitForAsync(HandshakeRejected);
        Assert.Contains("TlsRefused", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(0, node.Inbound.Stats.Authenticated);
        Assert.Equal(0, node.Inbound.Stats.MessagesReceived);
        Assert.False(node.Inbox.Reader.TryRead(out _));
        Assert.False(intruder.Transport.IsConnected(node.Id));
    }

    [Fact]
    public async Task A_plain_tcp_peer_is_refused_by_a_tls_listener()
    {
        await using var node = PeerTestNode.Start(1, _logs, WithTls(1, _cluster.Trust(_cluster.Issue("node-1"))));
        await using var plain = PeerTestNode.Start(2, _logs);
        plain.Knows(node);
        plain.Transport.Send(TestPeers.Heartbeat(2, 1, term: 99));

        await _logs.WaitForAsync(HandshakeRejected);
        Assert.Equal(0, node.Inbound.Stats.Authenticated);
        Assert.False(node.Inbox.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_node_will_not_send_to_a_listener_whose_certificate_another_CA_signed()
    {
        var impostorCertificate = _other.Issue("node-2");
        // The impostor listens where node 2 should be and would accept the node's certificate.
        await using var impostor = PeerTestNode.Start(2, _logs, WithTls(2, new ClusterTrust(() => impostorCertificate, () => [_cluster.Certificate])));
        await using var node = PeerTestNode.Start(1, _logs, WithTls(1, _cluster.Trust(_cluster.Issue("node-1"))));
        node.Knows(impostor);
        node.Transport.Send(TestPeers.Heartbeat(1, 2, term: 3));

        await _logs.WaitForAsync(ConnectFailed, record => record.Message.Contains("TLS", StringComparison.Ordinal));
        Assert.Equal(0, impostor.Inbound.Stats.MessagesReceived);
        Assert.False(node.Transport.IsConnected(impostor.Id));
    }

    private static PeerTransportOptions WithTls(ulong id, ClusterTrust trust)
    {
        var options = TestPeers.Options(id);
        return new PeerTransportOptions
        {
            LocalId = options.LocalId, ClusterId = options.ClusterId, Secret = options.Secret,
            InitialReconnectDelay = options.InitialReconnectDelay, MaxReconnectDelay = options.MaxReconnectDelay, Tls = trust,
        };
    }
}
