using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Xunit.Abstractions;

namespace Colony.IntegrationTests.ZooKeeper;

/// <summary>
/// The TLS client port of a cluster made by <c>colony up --tls</c>: kazoo connects with and without a
/// client certificate, the x509 ACL scheme admits only the certificate's subject, and a replaced
/// certificate is served without a restart.
/// </summary>
public sealed class ZooKeeperTlsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ClientSubject = "CN=colony-client,O=Colony";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly string _data = Directory.CreateTempSubdirectory("colony-tls-").FullName;
    private readonly int _basePort = ColonyCli.FindFreeBasePort();

    private string Tls(string file) => Path.Combine(_data, "tls", file);

    private string ZooKeeper(int node, int offset) => $"127.0.0.1:{_basePort + (10 * (node - 1)) + offset}";

    public async Task InitializeAsync()
    {
        var (code, text) = await ColonyCli.RunAsync("up", "--tls", "--data", _data, "--base-port", _basePort.ToString(CultureInfo.InvariantCulture));
        output.WriteLine(text);
        Assert.True(code == 0, text);
    }

    public async Task DisposeAsync()
    {
        var (_, text) = await ColonyCli.RunAsync("down", "--data", _data);
        output.WriteLine(text);
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Kazoo_over_tls_with_a_client_certificate_owns_an_x509_acl_that_others_cannot_read()
    {
        using var cluster = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_data, "cluster.json")));
        Assert.Equal(ZooKeeper(1, 4), cluster.RootElement.GetProperty("nodes")[0].GetProperty("zkTls").GetString());

        await using var script = PythonScript.Start(Path.Combine("..", "tls", "x509.py"),
            "--tls", ZooKeeper(1, 4), "--plain", ZooKeeper(2, 0), "--ca", Tls("ca.pem"), "--cert", Tls("client.pem"), "--key", Tls("client.key"),
            "--subject", ClientSubject, "--path", "/x509");
        Assert.Equal(0, await script.WaitForExitAsync(Bound));
        Assert.Equal(["CREATED /x509", "READ for the certificate only", "TLS-NOCERT NoAuth", "PLAIN NoAuth"], script.Output);
    }

    [Fact]
    public async Task A_replaced_certificate_is_served_without_a_restart()
    {
        Assert.Equal("CN=colony-node, O=Colony", await PresentedSubjectAsync());

        // Issue a new node certificate from the cluster's CA and put it in place of the old one.
        using var caKey = ECDsa.Create();
        caKey.ImportFromPem(await File.ReadAllTextAsync(Tls("ca.key")));
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Tls("ca.pem")));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=colony-node-rotated, O=Colony", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var rotated = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now, now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        // Key first, then the certificate: the node reloads when it sees the files change.
        await File.WriteAllTextAsync(Tls("node.key"), key.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(Tls("node.pem"), rotated.ExportCertificatePem());

        await LocalCluster.WaitForAsync(PresentedSubjectAsync, subject => subject == "CN=colony-node-rotated, O=Colony", Bound, "the rotated certificate");
    }

    /// <summary>The subject of the certificate node 1 presents on its TLS port (trusting the cluster's CA).</summary>
    private async Task<string?> PresentedSubjectAsync()
    {
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Tls("ca.pem")));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, _basePort + 4);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is X509Certificate2 c && chain.Build(c);
        });
        await tls.AuthenticateAsClientAsync("127.0.0.1");
        return tls.RemoteCertificate?.Subject;
    }
}
