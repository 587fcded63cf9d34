using System.Text.Json.Serialization;

namespace Colony.Node.Hosting;

/// <summary>GET /health's body.</summary>
public sealed record HealthView([property: JsonPropertyName("status")] string Status, [property: JsonPropertyName("leader")] ulong Leader);

/// <summary>The body of a 421 answer from a node that does not lead.</summary>
public sealed record LeaderView([property: JsonPropertyName("leader")] string? Leader);

/// <summary>POST /cluster/members.</summary>
public sealed record MemberRequest(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("peer")] string? Peer,
    [property: JsonPropertyName("http")] string? Http,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("zooKeeper")] string? ZooKeeper = null);

[JsonSerializable(typeof(NodeStatus))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(LeaderView))]
[JsonSerializable(typeof(MemberRequest))]
internal sealed partial class NodeJson : JsonSerializerContext;
