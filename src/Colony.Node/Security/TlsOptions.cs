namespace Colony.Node.Security;

/// <summary>Whether a TLS client must, may or need not present a certificate.</summary>
public enum ClientCertificatePolicy
{
    None,
    Optional,
    Required,
}

/// <summary>
/// TLS settings, section "Colony:Tls": the node's certificate (PEM with its key, or PKCS#12), the CA
/// bundle that client certificates must chain to, and whether clients must present one. The files are
/// read again when they change, so certificates rotate without a restart.
/// </summary>
public sealed class TlsOptions
{
    public const string SectionName = "Colony:Tls";

    /// <summary>The node's certificate: a PEM file (with <see cref="KeyFile"/>) or a .p12/.pfx file.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="CertificateFile"/>; unused for PKCS#12.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The PKCS#12 file's password, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>PEM certificates of the authorities that sign client certificates.</summary>
    public string? CaFile { get; set; }

    /// <summary>Default Optional: a client with a certificate is authenticated by it (the x509 ACL scheme).</summary>
    public ClientCertificatePolicy ClientCertificates { get; set; } = ClientCertificatePolicy.Optional;

    /// <summary>
    /// Mutual TLS between nodes: the peer port, block transfers and the propose stream run inside TLS,
    /// each side presenting its certificate and accepting only the CA's (<see cref="CaFile"/>).
    /// Default false. HTTPS is chosen apart from this, by an https address in Colony:Http.
    /// </summary>
    public bool Peers { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(CertificateFile);

    /// <summary>Throws with a one-line reason if the settings cannot work.</summary>
    public void Validate()
    {
        Require(!Peers || Enabled, "Tls:Peers needs a certificate in Tls:CertificateFile");
        if (!Enabled)
        {
            return;
        }
        Require(!Peers || !string.IsNullOrEmpty(CaFile), "Tls:Peers needs the cluster CA in Tls:CaFile");
        bool pkcs12 = IsPkcs12(CertificateFile!);
        Require(pkcs12 || !string.IsNullOrEmpty(KeyFile), "Tls:KeyFile must name the PEM key of Tls:CertificateFile");
        Require(ClientCertificates == ClientCertificatePolicy.None || !string.IsNullOrEmpty(CaFile),
            "Tls:CaFile must be set to check client certificates (or set Tls:ClientCertificates to None)");
    }

    public static bool IsPkcs12(string path) =>
        path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase);

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"invalid configuration: {message}");
        }
    }
}
