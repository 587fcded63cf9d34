using Colony.Consensus.Wire;
using Colony.Node.Peers;

namespace Colony.Node.Tests.Peers;

public class PeerTransportOptionsTests
{
    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        var options = new PeerTransportOptions();
        Assert.Same(WireLimits.Default, options.Wire);
        Assert.Equal(4096, options.MaxQueuedMessagesPerPeer);
        Assert.Equal(128L << 20, options.MaxQueuedBytesPerPeer);
        Assert.Equal(PeerQueueFullMode.DropOldest, options.QueueFullMode);
        Assert.Equal(1 << 20, options.MaxBatchBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), options.WriteTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.InitialReconnectDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), options.MaxReconnectDelay);
        Assert.Equal(0.5, options.ReconnectJitter);
        Assert.Equal(256, options.MaxInboundConnections);
    }

    [Fact]
    public void Valid_options_pass() => TestPeers.Options(1).Validate();

    public static TheoryData<string, Func<PeerTransportOptions, PeerTransportOptions>> Invalid => new()
    {
        { "LocalId", o => new PeerTransportOptions { ClusterId = o.ClusterId, Secret = o.Secret } },
        { "ClusterId", o => Copy(o, clusterId: "") },
        { "ClusterId", o => Copy(o, clusterId: new string('x', 129)) },
        { "Secret", o => Copy(o, secret: new byte[15]) },
        { "Secret", o => Copy(o, secret: new byte[1025]) },
        { "MaxQueuedMessagesPerPeer", o => Copy(o, maxQueuedMessages: 0) },
        { "MaxQueuedBytesPerPeer", o => Copy(o, maxQueuedBytes: (64 << 20) - 1) },
        { "MaxBatchBytes", o => Copy(o, maxBatchBytes: 1000) },
        { "ConnectTimeout", o => Copy(o, connectTimeout: TimeSpan.Zero) },
        { "MaxReconnectDelay", o => Copy(o, maxReconnectDelay: TimeSpan.FromMilliseconds(5)) },
        { "ReconnectJitter", o => Copy(o, jitter: 1.5) },
        { "MaxInboundConnections", o => Copy(o, maxInbound: 0) },
        { "MaxFrameBytes", o => Copy(o, wire: new WireLimits { MaxFrameBytes = 10 }) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_options_are_rejected_naming_the_setting(string setting, Func<PeerTransportOptions, PeerTransportOptions> make)
    {
        var e = Assert.Throws<ArgumentException>(() => make(TestPeers.Options(1)).Validate());
        Assert.Contains(setting, e.Message);
    }

    [Fact]
    public void The_transport_and_the_inbound_side_validate_their_options()
    {
        var bad = Copy(TestPeers.Options(1), secret: []);
        Assert.Throws<ArgumentException>(() => new PeerTransport(bad));
        Assert.Throws<ArgumentException>(() => new PeerInbound(bad, System.Threading.Channels.Channel.CreateUnbounded<Colony.Consensus.Message>().Writer));
    }

    private static PeerTransportOptions Copy(
        PeerTransportOptions o, string? clusterId = null, byte[]? secret = null, int? maxQueuedMessages = null, long? maxQueuedBytes = null,
        int? maxBatchBytes = null, TimeSpan? connectTimeout = null, TimeSpan? maxReconnectDelay = null, double? jitter = null,
        int? maxInbound = null, WireLimits? wire = null) => new()
        {
            LocalId = o.LocalId,
            ClusterId = clusterId ?? o.ClusterId,
            Secret = secret ?? o.Secret,
            MaxQueuedMessagesPerPeer = maxQueuedMessages ?? o.MaxQueuedMessagesPerPeer,
            MaxQueuedBytesPerPeer = maxQueuedBytes ?? o.MaxQueuedBytesPerPeer,
            MaxBatchBytes = maxBatchBytes ?? o.MaxBatchBytes,
            ConnectTimeout = connectTimeout ?? o.ConnectTimeout,
            InitialReconnectDelay = o.InitialReconnectDelay,
            MaxReconnectDelay = maxReconnectDelay ?? o.MaxReconnectDelay,
            ReconnectJitter = jitter ?? o.ReconnectJitter,
            MaxInboundConnections = maxInbound ?? o.MaxInboundConnections,
            Wire = wire ?? o.Wire,
        };
}
