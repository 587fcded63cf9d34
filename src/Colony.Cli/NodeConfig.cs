using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Colony.Cli;

/// <summary>
/// A node's configuration file, written by <c>colony up</c> and read by <c>colony node --config</c>:
/// the section <c>"Colony"</c> of a JSON document.
/// </summary>
internal sealed record NodeConfig
{
    public int NodeId { get; init; }

    public string ClusterId { get; init; } = "";

    public string SecretFile { get; init; } = "";

    public string DataDir { get; init; } = "";

    /// <summary>host:port of the ZooKeeper client listener.</summary>
    public string ZooKeeper { get; init; } = "";

    /// <summary>host:port of the peer listener.</summary>
    public string Peer { get; init; } = "";

    /// <summary>URL of the HTTP listener.</summary>
    public string Http { get; init; } = "";

    /// <summary>host:port of the TLS ZooKeeper listener (ZooKeeper's secureClientPort); empty without TLS.</summary>
    public string SecureZooKeeper { get; init; } = "";

    /// <summary>The node's certificate and the client CA; null without TLS.</summary>
    public TlsConfig? Tls { get; init; }

    /// <summary>host:port of the block data-transfer listener; empty in configurations written before storage.</summary>
    public string DataTransfer { get; init; } = "";

    /// <summary>The voters the cluster starts with (for a joining node: the cluster it joins).</summary>
    public IReadOnlyList<MemberConfig> Members { get; init; } = [];

    /// <summary>True for a node that joins a running cluster instead of bootstrapping it.</summary>
    public bool Join { get; init; }

    /// <summary>The node's "Compute" section; null leaves every compute setting at its default.</summary>
    public ComputeConfig? Compute { get; init; }

    /// <summary>The ports this configuration listens on.</summary>
    public NodePorts Ports() => new(PortOf(ZooKeeper, "ZooKeeper"), PortOf(Peer, "Peer"), new Uri(Http).Port,
        SecureZooKeeper.Length == 0 ? null : PortOf(SecureZooKeeper, "SecureZooKeeper"),
        DataTransfer.Length == 0 ? null : PortOf(DataTransfer, "DataTransfer"));

    public MemberConfig AsMember() => new() { Id = NodeId, Peer = Peer, Http = Http, ZooKeeper = ZooKeeper };

    public static NodeConfig Read(string path)
    {
        NodeConfigDocument? document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonSerializer.Deserialize(stream, CliJson.Default.NodeConfigDocument);
        }
        catch (FileNotFoundException)
        {
            throw new CliError($"no node configuration at {path}");
        }
        catch (DirectoryNotFoundException)
        {
            throw new CliError($"no node configuration at {path}");
        }
        catch (JsonException e)
        {
            throw new CliError($"{path} is not a valid node configuration: {e.Message}");
        }

        return document?.Colony ?? throw new CliError($"{path} has no \"Colony\" section");
    }

    public void Write(string path) => AtomicFile.WriteJson(path, new NodeConfigDocument { Colony = this }, CliJson.Default.NodeConfigDocument);

    private static int PortOf(string hostAndPort, string name)
    {
        var colon = hostAndPort.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(hostAndPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw new CliError($"node configuration: {name} \"{hostAndPort}\" is not host:port");
        }

        return port;
    }
}

/// <summary>The node's "Tls" section: PEM files, and whether clients must present a certificate.</summary>
internal sealed record TlsConfig
{
    public string CertificateFile { get; init; } = "";

    public string KeyFile { get; init; } = "";

    public string CaFile { get; init; } = "";

    /// <summary>None, Optional or Required.</summary>
    public string ClientCertificates { get; init; } = "Optional";

    /// <summary>Mutual TLS between nodes (peers, block transfers, the propose stream).</summary>
    public bool Peers { get; init; }
}

/// <summary>
/// The node's "Compute" section as <c>colony up</c> writes it: the share of the machine's cores the node's
/// tasks may use, since every node of a local cluster runs on the same machine.
/// </summary>
internal sealed record ComputeConfig
{
    public int Cores { get; init; }
}

/// <summary>One voter of the initial membership.</summary>
internal sealed record MemberConfig
{
    public int Id { get; init; }

    public string Peer { get; init; } = "";

    public string Http { get; init; } = "";

    /// <summary>The member's ZooKeeper client address, which <c>/zookeeper/config</c> lists.</summary>
    public string? ZooKeeper { get; init; }
}

/// <summary>The whole configuration file: the node reads its options from the "Colony" section.</summary>
internal sealed record NodeConfigDocument
{
    [JsonPropertyName("Colony")]
    public NodeConfig? Colony { get; init; }
}
