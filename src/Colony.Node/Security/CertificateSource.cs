using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Colony.Client.Security;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Security;

/// <summary>
/// The node's TLS certificate and client CA, read from files and read again when a file changes, so
/// an operator rotates certificates by replacing the files. A replacement that does not load is
/// logged and the previous certificate stays in use.
/// </summary>
public sealed partial class CertificateSource
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    private readonly TlsOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Loaded _loaded;
    private DateTimeOffset _checkedAt;

    public CertificateSource(TlsOptions options, ILogger<CertificateSource> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _loaded = Load(); // a node that cannot read its certificate at start fails to start
        _checkedAt = _time.GetUtcNow();
        Trust = new ClusterTrust(() => Certificate, () => Current().Authorities, _time);
        Trust.Refused += LogClientRejected;
    }

    /// <summary>The certificate to present now.</summary>
    public X509Certificate2 Certificate => Current().Certificate;

    /// <summary>
    /// The node's certificate and the configured CA as the cluster's trust: what peers, block
    /// transfers and internal HTTP present and accept. Reads through this source, so it follows reloads.
    /// </summary>
    public ClusterTrust Trust { get; }

    /// <summary>
    /// Accepts a client certificate that chains to the configured CA (and only to it: the system's
    /// roots are not trusted for clients) and is valid now.
    /// </summary>
    public bool ValidateClient(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Trust.Verify(certificate);
    }

    private Loaded Current()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now - _checkedAt < CheckEvery)
            {
                return _loaded;
            }
            _checkedAt = now;
            if (Stamp() == _loaded.Stamp)
            {
                return _loaded;
            }
            try
            {
                _loaded = Load();
                LogReloaded(_loaded.Certificate.Subject, _loaded.Certificate.NotAfter);
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
            {
                LogReloadFailed(e.Message);
            }
            return _loaded;
        }
    }

    private Loaded Load()
    {
        var stamp = Stamp();
        string file = _options.CertificateFile!;
        var certificate = TlsOptions.IsPkcs12(file)
            ? X509CertificateLoader.LoadPkcs12FromFile(file, _options.CertificatePassword)
            : X509Certificate2.CreateFromPemFile(file, _options.KeyFile);
        var authorities = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(_options.CaFile))
        {
            authorities.ImportFromPemFile(_options.CaFile);
        }
        return new Loaded(certificate, authorities, stamp);
    }

    private string Stamp() => string.Join('|', new[] { _options.CertificateFile, _options.KeyFile, _options.CaFile }
        .Where(f => !string.IsNullOrEmpty(f))
        .Select(f => File.Exists(f) ? File.GetLastWriteTimeUtc(f!).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing"));

    private sealed record Loaded(X509Certificate2 Certificate, X509Certificate2Collection Authorities, string Stamp);

    /// <summary>ZooKeeper's name for a client certificate's subject (RFC 2253: "CN=alice,O=Example").</summary>
    public static string SubjectName(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        // RFC 2253 writes the most specific name first (Reversed, in .NET's terms) with bare commas.
        return certificate.SubjectName.Decode(X500DistinguishedNameFlags.Reversed | X500DistinguishedNameFlags.UseCommas)
            .Replace(", ", ",", StringComparison.Ordinal);
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "tls: certificate reloaded: {Subject}, valid until {NotAfter:u}")]
    private partial void LogReloaded(string subject, DateTime notAfter);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Error, Message = "tls: the changed certificate files do not load ({Reason}); keeping the previous certificate")]
    private partial void LogReloadFailed(string reason);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "tls: certificate {Subject} refused: {Reason}")]
    private partial void LogClientRejected(string subject, string reason);
}
