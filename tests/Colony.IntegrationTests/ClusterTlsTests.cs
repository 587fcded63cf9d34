using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Colony.Client;
using Colony.Client.Security;
using Colony.Consensus;
using Colony.Consensus.KeyValue;
using Colony.Coordination;
using Colony.Core;
using Colony.Node.Peers;
using Colony.Testing;
using Xunit.Abstractions;

namespace Colony.IntegrationTests;

/// <summary>One <c>colony up --tls</c> cluster: HTTPS, and mutual TLS between its nodes.</summary>
public sealed class TlsCluster : IAsyncLifetime
{
    public string Data { get; } = Directory.CreateTempSubdirectory("colony-tls-all-").FullName;

    public int BasePort { get; } = ColonyCli.FindFreeBasePort();

    public string UpOutput { get; private set; } = "";

    public string Tls(string file) => Path.Combine(Data, "tls", file);

    public int Port(int node, int offset) => BasePort + (10 * (node - 1)) + offset;

    public string Https(int node) => $"https://127.0.0.1:{Port(node, 2)}";

    public string Log(int node) => File.ReadAllText(Path.Combine(Data, $"node-{node}.log"));

    /// <summary>ZooKeeper's super user on every node (its digest is configured), who may reconfigure.</summary>
    public const string SuperUser = "super:tls-reconfig";

    /// <summary>The cluster token (the secret, base64), which key-value writes need.</summary>
    public string Token => File.ReadAllText(Path.Combine(Data, "secret")).Trim();

    /// <summary>An HTTP client that trusts the cluster's CA and presents the CLI's client certificate.</summary>
    public HttpClient Http() =>
        new(ClusterTrust.HttpHandler(ClusterTrust.FromFiles(Tls("ca.pem"), Tls("client.pem"), Tls("client.key")))) { Timeout = TimeSpan.FromSeconds(10) };

    public async Task InitializeAsync()
    {
        // The nodes take their settings from COLONY_ variables too: here, the super user's digest.
        var environment = new Dictionary<string, string>
        {
            ["COLONY_Colony__Coordination__SuperDigest"] = Colony.Coordination.Security.DigestAuthentication.IdFor(SuperUser).Identity,
        };
        var (code, text) = await ColonyCli.RunAsync(environment, "up", "--tls", "--data", Data, "--base-port", BasePort.ToString(CultureInfo.InvariantCulture));
        UpOutput = text;
        Assert.True(code == 0, text);
    }

    public async Task DisposeAsync()
    {
        await ColonyCli.RunAsync("down", "--data", Data);
        Directory.Delete(Data, recursive: true);
    }
}

/// <summary>
/// A cluster with TLS everywhere works as one without (elections, commits, ZooKeeper, files through
/// the CLI), and a node holding another CA's certificate gets nowhere, even knowing the secret.
/// </summary>
public sealed class ClusterTlsTests(TlsCluster cluster, ITestOutputHelper output) : IClassFixture<TlsCluster>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_tls_cluster_elects_commits_serves_zookeeper_and_stores_a_file()
    {
        output.WriteLine(cluster.UpOutput);
        using var http = cluster.Http();
        ulong leader = await LocalCluster.WaitForAsync(() => LeaderAsync(http), id => id != 0, Bound, "a leader over HTTPS");

        using (var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"{cluster.Https((int)leader)}/kv/tls")) { Content = new StringContent("committed") })
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", cluster.Token);
            using var put = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }
        int follower = leader == 1 ? 2 : 1;
        Assert.Equal("committed", await http.GetStringAsync(new Uri($"{cluster.Https(follower)}/kv/tls")));

        await using (var zk = await ZooKeeperClient.ConnectAsync($"127.0.0.1:{cluster.Port(3, 0)}", new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(30) }))
        {
            await zk.CreateAsync("/tls", Encoding.UTF8.GetBytes("znode"), Acl.OpenUnsafe);
            Assert.Equal("znode", Encoding.UTF8.GetString((await zk.GetDataAsync("/tls")).Data));
        }

        string file = Path.Combine(cluster.Data, "upload.bin");
        byte[] bytes = RandomNumberGenerator.GetBytes(3 << 20);
        await File.WriteAllBytesAsync(file, bytes);
        await CliAsync("fs", "put", file, "/tls/upload.bin");
        await CliAsync("fs", "get", "/tls/upload.bin", file + ".back");
        Assert.Equal(bytes, await File.ReadAllBytesAsync(file + ".back"));
        Assert.Contains("leader", await CliAsync("status"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_with_a_certificate_from_another_CA_can_neither_inject_messages_nor_talk_http()
    {
        using var http = cluster.Http();
        ulong leader = await LocalCluster.WaitForAsync(() => LeaderAsync(http), id => id != 0, Bound, "a leader over HTTPS");
        int target = leader == 1 ? 2 : 1;
        var before = await StatusAsync(http, target);
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(cluster.Data, "node-3.json")));
        string clusterId = config.RootElement.GetProperty("Colony").GetProperty("ClusterId").GetString()!;
        byte[] secret = Convert.FromBase64String((await File.ReadAllTextAsync(Path.Combine(cluster.Data, "secret"))).Trim());
        using var rogue = RogueCertificate();
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(cluster.Tls("ca.pem")));
        // Everything a member has but a certificate from the cluster's CA: its id, the cluster id, the secret.
        var trust = new ClusterTrust(() => rogue, () => [ca]);

        await using (var transport = new PeerTransport(new PeerTransportOptions { LocalId = 3, ClusterId = clusterId, Secret = secret, Tls = trust }))
        {
            transport.SetPeer(new NodeId((ulong)target), new IPEndPoint(IPAddress.Loopback, cluster.Port(target, 1)));
            transport.Send(new Message { Type = MessageType.Heartbeat, From = 3, To = (ulong)target, Term = before.Term + 1000, Commit = 0 });
            await LocalCluster.WaitForAsync(() => Task.FromResult<string?>(cluster.Log(target)), log => log.Contains("(TlsRefused)", StringComparison.Ordinal), Bound, "the refusal in the log");
            Assert.False(transport.IsConnected(new NodeId((ulong)target)));
        }
        var after = await StatusAsync(http, target);
        Assert.True(after.Term < before.Term + 1000, $"the injected term reached node {target}: {after.Term}");
        Assert.Equal(leader, after.Leader);

        // Over HTTP too: the rogue certificate fails the TLS handshake, whatever it asks.
        using var rogueHttp = new HttpClient(ClusterTrust.HttpHandler(trust));
        await Assert.ThrowsAsync<HttpRequestException>(() => rogueHttp.GetAsync(new Uri($"{cluster.Https(target)}/status")));
    }

    [Fact]
    public async Task Plain_http_to_the_https_port_fails_cleanly_and_the_node_serves_on()
    {
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(new Uri($"http://127.0.0.1:{cluster.Port(1, 2)}/health")));

        using var http = cluster.Http();
        using var health = await http.GetAsync(new Uri($"{cluster.Https(1)}/health"));
        Assert.True(health.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{health.StatusCode}");
    }

    [Fact]
    public async Task The_propose_stream_runs_inside_tls_for_holders_of_a_cluster_certificate_only()
    {
        using var http = cluster.Http();
        int leader = (int)await LocalCluster.WaitForAsync(() => LeaderAsync(http), id => id != 0, Bound, "a leader over HTTPS");
        var trust = ClusterTrust.FromFiles(cluster.Tls("ca.pem"), cluster.Tls("client.pem"), cluster.Tls("client.key"));

        await using (var stream = await OpenProposeStreamAsync(leader, trust))
        {
            Assert.StartsWith("HTTP/1.1 101", await ReadHeadAsync(stream), StringComparison.Ordinal);
            byte[] command = KeyValueCommand.EncodePut("streamed", "over tls");
            byte[] frame = new byte[4 + command.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)command.Length);
            command.CopyTo(frame, 4);
            await stream.WriteAsync(frame);
            byte[] reply = new byte[3];
            await stream.ReadExactlyAsync(reply);
            Assert.Equal(1, reply[0]); // Committed
        }
        Assert.Equal("over tls", await http.GetStringAsync(new Uri($"{cluster.Https(leader)}/kv/streamed")));

        // The same CA's trust, but no certificate to present: HTTPS answers, the stream does not open.
        await using (var anonymous = await OpenProposeStreamAsync(leader, ClusterTrust.FromFiles(cluster.Tls("ca.pem"))))
        {
            Assert.StartsWith("HTTP/1.1 403", await ReadHeadAsync(anonymous), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_reconfig_sent_to_a_follower_reaches_the_leader_over_https()
    {
        using var http = cluster.Http();
        ulong leader = await LocalCluster.WaitForAsync(() => LeaderAsync(http), id => id != 0, Bound, "a leader over HTTPS");
        int follower = leader == 1 ? 2 : 1;
        int ghostPeer = TestPorts.One();
        int ghostHttp = TestPorts.One();
        try
        {
            // Only the leader changes the membership: the follower asks it over HTTPS, trusting the cluster's CA.
            await using var admin = await ZooKeeperClient.ConnectAsync($"127.0.0.1:{cluster.Port(follower, 0)}",
                new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(30) });
            await admin.AddAuthAsync("digest", Encoding.UTF8.GetBytes(TlsCluster.SuperUser));
            var (added, _) = await admin.ReconfigAsync($"server.9=localhost:{ghostPeer}:{ghostHttp}:observer", null, null);
            Assert.Contains($"server.9=127.0.0.1:{ghostPeer}:{ghostHttp}:observer\n", Encoding.UTF8.GetString(added), StringComparison.Ordinal);
            var (removed, _) = await admin.ReconfigAsync(null, "9", null);
            Assert.DoesNotContain("server.9=", Encoding.UTF8.GetString(removed), StringComparison.Ordinal);
        }
        catch (Exception)
        {
            output.WriteLine(cluster.Log(follower));
            throw;
        }
        finally
        {
            TestPorts.Release([ghostPeer, ghostHttp]);
        }
    }

    /// <summary>A TLS connection to the node's HTTP port that has asked to upgrade to the propose stream.</summary>
    private async Task<SslStream> OpenProposeStreamAsync(int node, ClusterTrust trust)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, cluster.Port(node, 2));
        var stream = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await stream.AuthenticateAsClientAsync(trust.ClientOptions("127.0.0.1"));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /kv-stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {cluster.Token}\r\nConnection: Upgrade\r\nUpgrade: colony-propose\r\n\r\n"));
        return stream;
    }

    /// <summary>Reads an HTTP response head, byte by byte so that nothing after it is consumed.</summary>
    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one) == 1)
        {
            head.Append((char)one[0]);
        }
        return head.ToString();
    }

    private async Task<string> CliAsync(params string[] args)
    {
        var (code, text) = await ColonyCli.RunAsync([.. args, "--data", cluster.Data]);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        return text;
    }

    private async Task<ulong> LeaderAsync(HttpClient http)
    {
        foreach (int node in new[] { 1, 2, 3 })
        {
            try
            {
                if ((await StatusAsync(http, node)).Leader is var leader and not 0)
                {
                    return leader;
                }
            }
            catch (HttpRequestException)
            {
                // Not up yet.
            }
        }
        return 0;
    }

    private async Task<Status> StatusAsync(HttpClient http, int node) =>
        (await http.GetFromJsonAsync<Status>(new Uri($"{cluster.Https(node)}/status"), new JsonSerializerOptions { PropertyNameCaseInsensitive = true }))!;

    /// <summary>A node certificate for 127.0.0.1 from a CA made here, not the cluster's.</summary>
    private static X509Certificate2 RogueCertificate()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var caRequest = new CertificateRequest("CN=Rogue CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(now, now.AddDays(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=colony-node, O=Colony", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(ca, now, now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    private sealed record Status(ulong Term, ulong Leader);
}
