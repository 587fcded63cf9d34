using Colony.Client.Security;

namespace Colony.Cli;

/// <summary>
/// The files of a local cluster under its directory: <c>secret</c>, <c>cluster.json</c>, and per
/// node <c>node-ID.json</c> (its configuration), <c>node-ID/</c> (its data) and <c>node-ID.log</c>.
/// </summary>
internal sealed class ClusterLayout
{
    public const string DefaultDirectoryName = ".colony";

    public ClusterLayout(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The cluster's directory, as a full path.</summary>
    public string Directory { get; }

    public string SecretFile => Path.Combine(Directory, "secret");

    public string ClusterFile => Path.Combine(Directory, "cluster.json");

    public string LockFile => Path.Combine(Directory, ".lock");

    public string NodeConfig(int nodeId) => Path.Combine(Directory, $"node-{nodeId}.json");

    public string NodeDataDirectory(int nodeId) => Path.Combine(Directory, $"node-{nodeId}");

    public string NodeLog(int nodeId) => Path.Combine(Directory, $"node-{nodeId}.log");

    /// <summary>The ids of the node configurations present, in order.</summary>
    public IReadOnlyList<int> ConfiguredNodeIds()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        var ids = new List<int>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "node-*.json"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (int.TryParse(name.AsSpan("node-".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0)
            {
                ids.Add(id);
            }
        }

        ids.Sort();
        return ids;
    }

    /// <summary>Where <c>colony up --tls</c> keeps the cluster's CA and certificates.</summary>
    public LocalCertificates Certificates => new(Path.Combine(Directory, "tls"));

    /// <summary>True once the cluster has certificates (it was created with --tls).</summary>
    public bool HasTls => File.Exists(Certificates.NodeCertificate);

    /// <summary>A node's HTTP address: https in a cluster made with --tls.</summary>
    public string HttpUrl(NodePorts ports) => HasTls ? ports.HttpsUrl : ports.HttpUrl;

    /// <summary>How the CLI reaches a cluster made with --tls: trusting its CA, presenting the client certificate.</summary>
    public ClusterTrust? Trust() => HasTls
        ? ClusterTrust.FromFiles(Certificates.CaCertificate, Certificates.ClientCertificate, Certificates.ClientKey)
        : null;

    /// <summary>
    /// The configuration of a new node of this cluster, one of <paramref name="machineNodes"/> on this machine:
    /// its tasks get that share of the machine's cores, so the nodes together do not oversubscribe them.
    /// </summary>
    public NodeConfig CreateNodeConfig(int nodeId, string clusterId, NodePorts ports, IReadOnlyList<MemberConfig> members, bool join, int machineNodes) => new()
    {
        Compute = new ComputeConfig { Cores = Math.Max(1, Environment.ProcessorCount / Math.Max(1, machineNodes)) },
        SecureZooKeeper = HasTls ? ports.TlsZooKeeperAddress : "",
        Tls = HasTls
            ? new TlsConfig { CertificateFile = Certificates.NodeCertificate, KeyFile = Certificates.NodeKey, CaFile = Certificates.CaCertificate, Peers = true }
            : null,
        NodeId = nodeId,
        ClusterId = clusterId,
        SecretFile = SecretFile,
        DataDir = NodeDataDirectory(nodeId),
        ZooKeeper = ports.ZooKeeperAddress,
        Peer = ports.PeerAddress,
        Http = HttpUrl(ports),
        DataTransfer = ports.DataAddress,
        Members = members,
        Join = join,
    };
}
