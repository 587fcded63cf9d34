using Colony.Client.Blocks;
using Colony.Client.FileSystem;
using Colony.Client.Security;
using System.CommandLine;

namespace Colony.Cli;

/// <summary>
/// What every command shares: the environment, the options that locate a cluster, and the
/// factories for process control and HTTP.
/// </summary>
internal sealed class CliContext(CliEnvironment environment)
{
    /// <summary>The cluster's directory when no flag names one.</summary>
    public const string DataVariable = "COLONY_DATA";

    /// <summary>The nodes' HTTP addresses when no flag names the cluster.</summary>
    public const string ClusterVariable = "COLONY_CLUSTER";

    public const string TlsCaVariable = "COLONY_TLS_CA";

    public const string TlsCertificateVariable = "COLONY_TLS_CERT";

    public const string TlsKeyVariable = "COLONY_TLS_KEY";

    public CliEnvironment Environment { get; } = environment;

    public Option<string> Data { get; } = new("--data")
    {
        Description = $"The cluster's directory [default: {ClusterLayout.DefaultDirectoryName}/ under the working directory, or ${DataVariable}]",
        HelpName = "DIR",
        Recursive = true,
    };

    public Option<string> Cluster { get; } = new("--cluster")
    {
        Description = $"The nodes' HTTP addresses, host:port,… [default: ${ClusterVariable}]",
        HelpName = "HOST:PORT,…",
        Recursive = true,
    };

    public NodeProcesses Processes() => new(NodeCommandLine.Resolve(Environment), Environment.Time);

    /// <summary>
    /// The directory of a local cluster whose processes this command manages: <c>--data</c>, then
    /// <c>COLONY_DATA</c>, then <c>.colony/</c> under the working directory.
    /// </summary>
    public ClusterLayout LocalCluster(ParseResult parse, string command)
    {
        if (!string.IsNullOrEmpty(parse.GetValue(Cluster)))
        {
            throw new CliError($"colony {command} manages local node processes: name them with --data DIR, not --cluster", CliError.Usage);
        }

        return DataDirectory(parse);
    }

    private ClusterLayout DataDirectory(ParseResult parse)
    {
        var directory = parse.GetValue(Data);
        if (string.IsNullOrEmpty(directory))
        {
            directory = Environment.GetVariable(DataVariable);
        }

        if (string.IsNullOrEmpty(directory))
        {
            directory = ClusterLayout.DefaultDirectoryName;
        }

        return new ClusterLayout(Path.Combine(Environment.WorkingDirectory, directory));
    }

    /// <summary>
    /// TLS for a cluster named by address: its CA from <c>COLONY_TLS_CA</c>, and a client certificate
    /// from <c>COLONY_TLS_CERT</c> and <c>COLONY_TLS_KEY</c> (PEM) when set.
    /// </summary>
    private ClusterTrust? RemoteTrust()
    {
        string? ca = Environment.GetVariable(TlsCaVariable);
        if (string.IsNullOrEmpty(ca))
        {
            return null;
        }
        try
        {
            return ClusterTrust.FromFiles(ca, Environment.GetVariable(TlsCertificateVariable), Environment.GetVariable(TlsKeyVariable));
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new CliError($"cannot read the TLS files named by {TlsCaVariable}, {TlsCertificateVariable} and {TlsKeyVariable}: {e.Message}");
        }
    }

    /// <summary>
    /// The nodes to ask over HTTP: <c>--data</c> or <c>--cluster</c> (not both), then
    /// <c>COLONY_CLUSTER</c>, then <c>COLONY_DATA</c>, then <c>.colony/</c>.
    /// </summary>
    public ClusterTarget RemoteCluster(ParseResult parse)
    {
        var data = parse.GetValue(Data);
        var cluster = parse.GetValue(Cluster);
        if (!string.IsNullOrEmpty(data) && !string.IsNullOrEmpty(cluster))
        {
            throw new CliError("give either --data or --cluster, not both", CliError.Usage);
        }

        if (string.IsNullOrEmpty(data))
        {
            if (string.IsNullOrEmpty(cluster))
            {
                cluster = Environment.GetVariable(ClusterVariable);
            }

            if (!string.IsNullOrWhiteSpace(cluster))
            {
                return new ClusterTarget(null, null, NodeEndpoint.ParseList(cluster)) { Tls = RemoteTrust() };
            }
        }

        return ClusterTarget.FromDirectory(DataDirectory(parse));
    }
}

/// <summary>A cluster as the CLI reaches it: its directory and cluster.json when local, and its nodes' addresses.</summary>
internal sealed record ClusterTarget(ClusterLayout? Layout, ClusterManifest? Manifest, IReadOnlyList<NodeEndpoint> Nodes)
{
    public static ClusterTarget FromDirectory(ClusterLayout layout)
    {
        var manifest = ClusterFile.Read(layout);
        return new ClusterTarget(layout, manifest, [.. manifest.Nodes.Select(n => new NodeEndpoint(n.Id, NodeEndpoint.ParseHttp(n.Http)))]) { Tls = layout.Trust() };
    }

    /// <summary>The cluster's CA, and the client certificate if there is one; null for a cluster without TLS.</summary>
    public ClusterTrust? Tls { get; init; }

    /// <summary>
    /// File-system options for this cluster: HTTPS trusting its CA, and block transfers inside TLS when
    /// the CLI holds a client certificate (a cluster with TLS between nodes requires one there).
    /// </summary>
    public ColonyFileSystemOptions FileSystemOptions() => new()
    {
        Tls = Tls,
        Transfer = new BlockTransferOptions { Tls = Tls?.Certificate is null ? null : Tls },
    };
}
