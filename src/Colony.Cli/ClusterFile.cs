using System.Text.Json;
using System.Text.Json.Serialization;

namespace Colony.Cli;

/// <summary>
/// <c>cluster.json</c>: what <c>colony up</c> started, so that every later command finds the nodes.
/// <c>{"nodes":[{"id":1,"pid":…,"zk":"127.0.0.1:2181","http":"http://127.0.0.1:8080","dataDir":"…"},…]}</c>,
/// plus <c>basePort</c> when the cluster uses the base-port layout (new nodes follow it).
/// </summary>
internal sealed record ClusterManifest
{
    [JsonPropertyName("nodes")]
    public IReadOnlyList<ClusterNode> Nodes { get; init; } = [];

    [JsonPropertyName("basePort")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? BasePort { get; init; }

    [JsonIgnore]
    public PortLayout Layout => new(BasePort);

    public ClusterNode Node(int id) =>
        Nodes.FirstOrDefault(n => n.Id == id) ?? throw new CliError($"the cluster has no node {id} (nodes: {string.Join(", ", Nodes.Select(n => n.Id))})");

    /// <summary>A copy with <paramref name="node"/> replacing the node of the same id, or added in id order.</summary>
    public ClusterManifest With(ClusterNode node) =>
        this with { Nodes = [.. Nodes.Where(n => n.Id != node.Id).Append(node).OrderBy(n => n.Id)] };

    public ClusterManifest Without(int id) => this with { Nodes = [.. Nodes.Where(n => n.Id != id)] };
}

internal sealed record ClusterNode
{
    [JsonPropertyName("id")]
    public int Id { get; init; }

    /// <summary>The process id it was last started with; it may have exited since.</summary>
    [JsonPropertyName("pid")]
    public int Pid { get; init; }

    [JsonPropertyName("zk")]
    public string ZooKeeper { get; init; } = "";

    [JsonPropertyName("http")]
    public string Http { get; init; } = "";

    /// <summary>host:port of the node's TLS ZooKeeper listener; empty without TLS.</summary>
    [JsonPropertyName("zkTls")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SecureZooKeeper { get; init; }

    /// <summary>host:port of the node's block data-transfer listener.</summary>
    [JsonPropertyName("data")]
    public string Data { get; init; } = "";

    [JsonPropertyName("dataDir")]
    public string DataDir { get; init; } = "";
}

/// <summary>Reads and writes <c>cluster.json</c>.</summary>
internal static class ClusterFile
{
    public static bool Exists(ClusterLayout layout) => File.Exists(layout.ClusterFile);

    public static ClusterManifest Read(ClusterLayout layout)
    {
        var path = layout.ClusterFile;
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, CliJson.Default.ClusterManifest)
                ?? throw new CliError($"{path} is empty");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Missing(layout);
        }
        catch (JsonException e)
        {
            throw new CliError($"{path} is not valid: {e.Message}");
        }
    }

    public static CliError Missing(ClusterLayout layout) =>
        new($"no cluster in {layout.Directory}: cluster.json not found (start one with colony up)");

    public static void Write(ClusterLayout layout, ClusterManifest manifest) =>
        AtomicFile.WriteJson(layout.ClusterFile, manifest, CliJson.Default.ClusterManifest);
}
