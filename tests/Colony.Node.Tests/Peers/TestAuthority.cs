using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Colony.Client.Security;

namespace Colony.Node.Tests.Peers;

/// <summary>A certificate authority made for one test, and the certificates it signs.</summary>
internal sealed class TestAuthority : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestAuthority(string name)
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        Certificate = request.CreateSelfSigned(now, now.AddDays(1));
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>A node certificate (server and client use, for 127.0.0.1) that this authority signs.</summary>
    public X509Certificate2 Issue(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        // Within the authority's own validity, which a leaf may not outlast.
        using var issued = request.Create(Certificate, Certificate.NotBefore, Certificate.NotAfter.AddMinutes(-1), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Trust that presents <paramref name="presented"/> and accepts only certificates this authority signed.</summary>
    public ClusterTrust Trust(X509Certificate2 presented) => new(() => presented, () => [Certificate]);

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
