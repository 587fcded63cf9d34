using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Colony.Cli;

/// <summary>
/// The certificates of a local TLS cluster (<c>colony up --tls</c>), under <c>DIR/tls</c>: a CA made
/// for this cluster alone, a node certificate every node presents (for 127.0.0.1 and localhost; it
/// serves TLS and, between nodes, also identifies the connecting side), and a client certificate for
/// the CLI and for trying the x509 ACL scheme. All PEM; keys are written 0600.
/// </summary>
internal sealed class LocalCertificates(string directory)
{
    /// <summary>The client certificate's subject, as the x509 ACL scheme names it.</summary>
    public const string ClientSubject = "CN=colony-client,O=Colony";

    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public string Directory { get; } = directory;

    public string CaCertificate => Path.Combine(Directory, "ca.pem");

    public string CaKey => Path.Combine(Directory, "ca.key");

    public string NodeCertificate => Path.Combine(Directory, "node.pem");

    public string NodeKey => Path.Combine(Directory, "node.key");

    public string ClientCertificate => Path.Combine(Directory, "client.pem");

    public string ClientKey => Path.Combine(Directory, "client.key");

    public void Create()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5); // tolerate a little clock skew between processes
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Colony local CA,O=Colony", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now, now.AddYears(5));
        Write(CaCertificate, ca.ExportCertificatePem(), secret: false);
        Write(CaKey, caKey.ExportPkcs8PrivateKeyPem(), secret: true);

        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        Issue(ca, caKey, "CN=colony-node,O=Colony", now, NodeCertificate, NodeKey, X509KeyUsageFlags.DigitalSignature, [ServerAuth, ClientAuth], names.Build());
        Issue(ca, caKey, ClientSubject.Replace(",", ", ", StringComparison.Ordinal), now, ClientCertificate, ClientKey, X509KeyUsageFlags.DigitalSignature, [ClientAuth], null);
    }

    private static void Issue(X509Certificate2 ca, ECDsa caKey, string subject, DateTimeOffset now, string certificateFile, string keyFile,
        X509KeyUsageFlags usage, string[] purposes, X509Extension? alternativeNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        var uses = new OidCollection();
        foreach (var purpose in purposes)
        {
            uses.Add(new Oid(purpose));
        }
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(uses, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames);
        }
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // positive
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now, now.AddYears(2), serial);
        Write(certificateFile, certificate.ExportCertificatePem(), secret: false);
        Write(keyFile, key.ExportPkcs8PrivateKeyPem(), secret: true);
    }

    private static void Write(string path, string pem, bool secret)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
        writer.Write('\n');
    }
}
