using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Colony.Client.Security;

/// <summary>
/// Trust within one cluster: the certificate this process presents, and the cluster's CA, the only
/// authority whose certificates it accepts (the system's roots are never consulted). Both are read
/// through functions on every handshake, so a node whose files are reloaded presents and checks the
/// new ones on its next connection. Peers, block transfers and internal HTTP all take their TLS
/// settings from here.
/// </summary>
/// <remarks>
/// Host names are not checked: the cluster's CA signs only the cluster's own members, and which
/// member is at the other end is proved inside the session (the peer handshake, the cluster secret),
/// so a node is reachable under any name or address an operator gives it.
/// </remarks>
public sealed class ClusterTrust
{
    private readonly Func<X509Certificate2?> _certificate;
    private readonly Func<X509Certificate2Collection> _authorities;
    private readonly TimeProvider _time;

    /// <param name="certificate">The certificate (with its key) to present; null presents none.</param>
    /// <param name="authorities">The cluster's CA certificates.</param>
    /// <param name="time">The clock that validity is checked against.</param>
    public ClusterTrust(Func<X509Certificate2?> certificate, Func<X509Certificate2Collection> authorities, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(authorities);
        _certificate = certificate;
        _authorities = authorities;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Told of each certificate refused: its subject and why.</summary>
    public event Action<string, string>? Refused;

    /// <summary>The certificate presented now, if any.</summary>
    public X509Certificate2? Certificate => _certificate();

    /// <summary>
    /// Reads files once: the CA bundle (PEM), and optionally a certificate to present, a PEM file with
    /// its key or a .p12/.pfx file with its password. For a long-running process that must see
    /// rotations, use the constructor.
    /// </summary>
    public static ClusterTrust FromFiles(string caFile, string? certificateFile = null, string? keyFile = null, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(caFile);
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(caFile);
        if (authorities.Count == 0)
        {
            throw new System.Security.Cryptography.CryptographicException($"{caFile} holds no PEM certificate");
        }
        X509Certificate2? certificate = string.IsNullOrEmpty(certificateFile) ? null
            : certificateFile.EndsWith(".p12", StringComparison.OrdinalIgnoreCase) || certificateFile.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase)
                ? X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password)
                : Exportable(X509Certificate2.CreateFromPemFile(certificateFile, keyFile));
        WarmChainBuilder(authorities[0]);
        return new ClusterTrust(() => certificate, () => authorities);
    }

    /// <summary>
    /// .NET's chain builder reads the system's root store on its first use in a process, even for a chain against a
    /// custom root only (tens of milliseconds for a distribution's ~150 roots), and every TLS handshake builds a
    /// chain. A short-lived client (a command, a task) would wait for that read at its first handshake; started here,
    /// on another thread, it overlaps the rest of the client's start-up.
    /// </summary>
    private static void WarmChainBuilder(X509Certificate2 authority) => _ = Task.Run(() =>
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        try
        {
            chain.Build(authority);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Only a warm-up: the handshake that needs the chain reports what is wrong.
        }
    });

    /// <summary>
    /// True if <paramref name="certificate"/> chains to the cluster's CA and is valid now. The chain
    /// that TLS built (against the system's roots) is ignored: a chain is built here against the CA alone.
    /// </summary>
    public bool Verify(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }
        var authorities = _authorities();
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (authorities.Count == 0)
        {
            Refused?.Invoke(leaf.Subject, "no CA is configured");
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        if (chain.Build(leaf))
        {
            return true;
        }
        Refused?.Invoke(leaf.Subject, string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())));
        return false;
    }

    /// <summary>
    /// The policy TLS builds the other side's chain with: the cluster's CA alone, no revocation, no downloads, validity
    /// at <see cref="_time"/>. Given to the handshake itself, the one chain it builds is the one that decides, instead
    /// of a chain against the system's roots (sorting ~150 of them at every handshake) followed by a second one here.
    /// </summary>
    private X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(_authorities());
        if (_time != TimeProvider.System)
        {
            policy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        }
        return policy;
    }

    /// <summary>The handshake's verdict on the other side's certificate, built with <see cref="ChainPolicy"/>.</summary>
    private bool Accept(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        // Host names are not checked (see the remarks above); everything else must be right.
        errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        if (certificate is null || errors == SslPolicyErrors.None)
        {
            return certificate is not null;
        }
        string subject = certificate.Subject;
        string why = _authorities().Count == 0
            ? "no CA is configured"
            : chain is { ChainStatus.Length: > 0 } ? string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())) : errors.ToString();
        Refused?.Invoke(subject, why);
        return false;
    }

    /// <summary>Settings for connecting to a cluster member: present our certificate, accept only the CA's.</summary>
    public SslClientAuthenticationOptions ClientOptions(string targetHost)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = ChainPolicy(),
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Accept(certificate, chain, errors),
        };
        if (CurrentContext() is { } context)
        {
            options.ClientCertificateContext = context;
        }
        else
        {
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => _certificate()!;
        }
        return options;
    }

    /// <summary>Settings for accepting a cluster member: present our certificate, require one from the CA.</summary>
    public SslServerAuthenticationOptions ServerOptions()
    {
        var options = new SslServerAuthenticationOptions
        {
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = ChainPolicy(),
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Accept(certificate, chain, errors),
        };
        if (CurrentContext() is { } context)
        {
            options.ServerCertificateContext = context;
        }
        else
        {
            options.ServerCertificateSelectionCallback = (_, _) => _certificate() ?? throw new AuthenticationException("no certificate to present");
        }
        return options;
    }

    private volatile PresentedContext? _presented;

    /// <summary>
    /// The certificate presented now, with what TLS builds from it (its chain) made once per certificate rather
    /// than at every handshake; a reloaded certificate is a new object, so it gets a new context.
    /// </summary>
    private SslStreamCertificateContext? CurrentContext()
    {
        X509Certificate2? certificate = _certificate();
        if (certificate is null)
        {
            return null;
        }
        PresentedContext? presented = _presented;
        if (presented is null || !ReferenceEquals(presented.Certificate, certificate))
        {
            presented = new PresentedContext(certificate, SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));
            _presented = presented;
        }
        return presented.Context;
    }

    private sealed record PresentedContext(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    /// <summary>
    /// An HTTP handler that trusts the cluster's CA for https addresses (and presents our certificate
    /// when a node asks for one); plain http addresses work as before. Never goes through a proxy:
    /// cluster members talk to each other directly. With <paramref name="connect"/>, every connection is
    /// the socket it opens (see <see cref="ZooKeeperClientOptions.ConnectCallback"/>).
    /// </summary>
    public static SocketsHttpHandler HttpHandler(ClusterTrust? trust, Func<DnsEndPoint, CancellationToken, ValueTask<Socket>>? connect = null)
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        if (connect is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
                new NetworkStream(await connect(context.DnsEndPoint, cancellationToken).ConfigureAwait(false), ownsSocket: true);
        }
        if (trust is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => trust._certificate()!,
                // The handler lives long and its options are fixed: the chain is built against the CA of its creation,
                // and a certificate that fails that (a rotated CA) gets a second chance against the CA read now.
                CertificateChainPolicy = trust.ChainPolicy(),
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    ((errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None && certificate is not null) || trust.Verify(certificate),
            };
        }
        return handler;
    }

    /// <summary>
    /// A PEM-loaded key is ephemeral, which some platforms cannot present in a TLS handshake; a round
    /// trip through PKCS#12 gives it a form every platform accepts.
    /// </summary>
    public static X509Certificate2 Exportable(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (OperatingSystem.IsLinux())
        {
            return certificate;
        }
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }
}
