using Colony.Client.Security;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Security;

/// <summary>
/// What TLS a node uses, from "Colony:Tls": its reloadable certificate, whether node-to-node
/// connections (peers, block transfers, the propose stream) run inside mutual TLS, and the trust its
/// own HTTP clients give https addresses.
/// </summary>
public sealed class NodeTls
{
    private NodeTls(TlsOptions options, CertificateSource? source)
    {
        Options = options;
        Source = source;
        bool hasCa = !string.IsNullOrEmpty(options.CaFile);
        HttpTrust = source is not null && hasCa ? source.Trust : null;
        Peers = source is not null && options.Peers ? source.Trust : null;
    }

    /// <summary>No TLS anywhere.</summary>
    public static NodeTls None { get; } = new(new TlsOptions(), null);

    public TlsOptions Options { get; }

    /// <summary>The node's certificate and CA, read again when their files change; null without a certificate.</summary>
    public CertificateSource? Source { get; }

    /// <summary>Mutual TLS between nodes when Tls:Peers is on; null for plain TCP.</summary>
    public ClusterTrust? Peers { get; }

    /// <summary>
    /// What the node's HTTP clients trust for https addresses: the cluster's CA when one is configured
    /// (and they present the node's certificate), otherwise the system's roots.
    /// </summary>
    public ClusterTrust? HttpTrust { get; }

    /// <summary>Reads the certificate files; a node that cannot read them fails to start.</summary>
    public static NodeTls Create(TlsOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        options.Validate();
        return new NodeTls(options, options.Enabled ? new CertificateSource(options, loggers.CreateLogger<CertificateSource>()) : null);
    }

    /// <summary>An HTTP client for talking to cluster members (and the node itself).</summary>
    public HttpClient CreateHttpClient(TimeSpan timeout) => new(ClusterTrust.HttpHandler(HttpTrust)) { Timeout = timeout };
}
