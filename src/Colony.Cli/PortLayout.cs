namespace Colony.Cli;

/// <summary>The loopback ports of one node.</summary>
/// <param name="ZooKeeper">The ZooKeeper client port.</param>
/// <param name="Peer">Raft and internal RPC between nodes.</param>
/// <param name="Http">Status, REST, dashboard and metrics.</param>
/// <param name="TlsZooKeeper">The TLS ZooKeeper client port, when the node serves one.</param>
/// <param name="Data">The block data-transfer port (file reads, writes and replica copies).</param>
internal sealed record NodePorts(int ZooKeeper, int Peer, int Http, int? TlsZooKeeper, int? Data = null)
{
    public const string Host = "127.0.0.1";

    public string ZooKeeperAddress => $"{Host}:{ZooKeeper}";

    public string PeerAddress => $"{Host}:{Peer}";

    public string HttpUrl => $"http://{Host}:{Http}";

    /// <summary>The HTTP address of a node that serves HTTPS.</summary>
    public string HttpsUrl => $"https://{Host}:{Http}";

    public string DataAddress => Data is { } port ? $"{Host}:{port}" : "";

    public string TlsZooKeeperAddress => TlsZooKeeper is { } port ? $"{Host}:{port}" : "";

    /// <summary>The ports the node listens on, named for error messages.</summary>
    public IEnumerable<(string Name, int Port)> Listening()
    {
        yield return ("zookeeper", ZooKeeper);
        yield return ("peer", Peer);
        yield return ("http", Http);
        if (TlsZooKeeper is { } tls)
        {
            yield return ("tls zookeeper", tls);
        }
        if (Data is { } data)
        {
            yield return ("data", data);
        }
    }
}

/// <summary>
/// Where node i (from 1) of a local cluster listens. By default ZooKeeper uses 2181+i−1, peer
/// 2888+i−1, HTTP 8080+i−1, block data 9866+i−1 and TLS ZooKeeper 2281+i−1. With a base port P, node i uses P+10(i−1) for
/// ZooKeeper, +1 for peer, +2 for HTTP, +3 for block data and +4 for TLS ZooKeeper, so that clusters
/// can coexist; scripts rely on it.
/// </summary>
internal sealed record PortLayout(int? BasePort)
{
    public const int DefaultZooKeeper = 2181;
    public const int DefaultPeer = 2888;
    public const int DefaultHttp = 8080;
    public const int DefaultData = 9866;
    public const int DefaultTlsZooKeeper = 2281;

    /// <summary>Ports from one node to the next in the base-port layout.</summary>
    public const int Stride = 10;

    /// <summary>The most nodes a local cluster may have: keeps the default ranges apart.</summary>
    public const int MaxNodes = 99;

    public static PortLayout Default { get; } = new((int?)null);

    public NodePorts For(int nodeId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeId, 1);
        if (BasePort is not { } p)
        {
            return new NodePorts(DefaultZooKeeper + nodeId - 1, DefaultPeer + nodeId - 1, DefaultHttp + nodeId - 1, DefaultTlsZooKeeper + nodeId - 1, DefaultData + nodeId - 1);
        }

        var zk = p + (Stride * (nodeId - 1));
        return new NodePorts(zk, zk + 1, zk + 2, zk + 4, zk + 3);
    }

    /// <summary>Fails with a one-line message unless nodes 1..<paramref name="nodes"/> fit in the port range.</summary>
    public void Validate(int nodes)
    {
        if (nodes is < 1 or > MaxNodes)
        {
            throw new CliError($"--nodes must be between 1 and {MaxNodes}, not {nodes}", CliError.Usage);
        }

        if (BasePort is { } p)
        {
            var last = For(nodes).TlsZooKeeper!.Value;
            if (p < 1024 || last > 65535)
            {
                throw new CliError($"--base-port {p} puts {nodes} nodes outside ports 1024-65535", CliError.Usage);
            }
        }
    }
}
