using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Colony.Client.Security;

namespace Colony.Node.Tests.Peers;

/// <summary>What the cluster's trust accepts: its CA's certificates while they are valid, and nothing else.</summary>
public sealed class ClusterTrustTests : IDisposable
{
    private readonly TestAuthority _cluster = new("cluster CA");
    private readonly TestAuthority _other = new("another CA");

    public void Dispose()
    {
        _cluster.Dispose();
        _other.Dispose();
    }

    [Fact]
    public void Only_a_valid_certificate_of_the_cluster_CA_is_accepted()
    {
        using var member = _cluster.Issue("member");
        using var stranger = _other.Issue("stranger");
        var refusals = new List<string>();
        var time = new Clock { Now = DateTimeOffset.UtcNow };
        var trust = new ClusterTrust(() => null, () => [_cluster.Certificate], time);
        trust.Refused += (subject, _) => refusals.Add(subject);

        Assert.True(trust.Verify(member));
        Assert.False(trust.Verify(stranger));
        Assert.False(trust.Verify(null));
        time.Now = time.Now.AddDays(2); // past both certificates' end
        Assert.False(trust.Verify(member));
        Assert.Equal(["CN=stranger", "CN=member"], refusals);
    }

    [Fact]
    public void Without_a_CA_nothing_is_accepted()
    {
        using var member = _cluster.Issue("member");
        Assert.False(new ClusterTrust(() => null, () => []).Verify(member));
    }

    [Fact]
    public async Task A_handshake_between_members_succeeds_and_each_side_sees_the_other()
    {
        using var node = _cluster.Issue("node");
        using var client = _cluster.Issue("client");

        var (server, connecting) = await HandshakeAsync(new ClusterTrust(() => node, () => [_cluster.Certificate]), new ClusterTrust(() => client, () => [_cluster.Certificate]));

        Assert.Null(server);
        Assert.Null(connecting);
    }

    [Fact]
    public async Task A_handshake_refuses_a_stranger_on_either_side_and_says_why()
    {
        using var node = _cluster.Issue("node");
        using var stranger = _other.Issue("stranger");
        var nodeTrust = new ClusterTrust(() => node, () => [_cluster.Certificate]);
        var refusals = new List<(string Subject, string Why)>();
        nodeTrust.Refused += (subject, why) => refusals.Add((subject, why));

        var (server, _) = await HandshakeAsync(nodeTrust, new ClusterTrust(() => stranger, () => [_other.Certificate]));
        Assert.NotNull(server);
        var (_, connecting) = await HandshakeAsync(new ClusterTrust(() => stranger, () => [_other.Certificate]), nodeTrust);
        Assert.NotNull(connecting);

        Assert.Equal(["CN=stranger", "CN=stranger"], refusals.Select(r => r.Subject));
        Assert.All(refusals, r => Assert.False(string.IsNullOrWhiteSpace(r.Why)));
    }

    [Fact]
    public async Task A_handshake_refuses_a_member_whose_certificate_has_expired_by_the_trusts_clock()
    {
        using var node = _cluster.Issue("node");
        using var client = _cluster.Issue("client");
        var late = new Clock { Now = DateTimeOffset.UtcNow.AddDays(2) }; // past both certificates' end
        var nodeTrust = new ClusterTrust(() => node, () => [_cluster.Certificate], late);
        var refusals = new List<string>();
        nodeTrust.Refused += (subject, _) => refusals.Add(subject);

        var (server, _) = await HandshakeAsync(nodeTrust, new ClusterTrust(() => client, () => [_cluster.Certificate]));

        Assert.NotNull(server);
        Assert.Equal(["CN=client"], refusals);
    }

    [Fact]
    public async Task A_node_refuses_a_client_that_presents_no_certificate()
    {
        using var node = _cluster.Issue("node");

        var (server, _) = await HandshakeAsync(new ClusterTrust(() => node, () => [_cluster.Certificate]), new ClusterTrust(() => null, () => [_cluster.Certificate]));

        Assert.NotNull(server);
    }

    /// <summary>One TLS handshake over loopback with each side's options from its trust; each side's failure, or null.</summary>
    private static async Task<(Exception? Server, Exception? Client)> HandshakeAsync(ClusterTrust serverTrust, ClusterTrust clientTrust)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var connecting = new TcpClient();
        Task connect = connecting.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using TcpClient accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await connect.WaitAsync(TimeSpan.FromSeconds(30));
        await using var serverSide = new SslStream(accepted.GetStream());
        await using var clientSide = new SslStream(connecting.GetStream());
        Task server = serverSide.AuthenticateAsServerAsync(serverTrust.ServerOptions());
        Task client = clientSide.AuthenticateAsClientAsync(clientTrust.ClientOptions("127.0.0.1"));
        Exception? serverFailure = await FailureOf(server);
        if (serverFailure is not null)
        {
            accepted.Close(); // the client may still wait for the server's answer
        }
        Exception? clientFailure = await FailureOf(client);
        if (serverFailure is null && clientFailure is null)
        {
            // Both sides finished: a byte each way proves the session works.
            await clientSide.WriteAsync(new byte[] { 7 });
            byte[] one = new byte[1];
            await serverSide.ReadExactlyAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(7, one[0]);
        }
        return (serverFailure, clientFailure);
    }

    private static async Task<Exception?> FailureOf(Task handshake)
    {
        try
        {
            await handshake.WaitAsync(TimeSpan.FromSeconds(30));
            return null;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException)
        {
            return e;
        }
    }

    /// <summary>A clock the test sets.</summary>
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
