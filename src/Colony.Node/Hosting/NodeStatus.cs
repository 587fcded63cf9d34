using System.Text.Json.Serialization;

namespace Colony.Node.Hosting;

/// <summary>A follower's replication progress, as the leader sees it; active if it was heard from within the last election timeout or so.</summary>
public sealed record PeerStatusView(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("match")] ulong Match,
    [property: JsonPropertyName("next")] ulong Next,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("voter")] bool Voter,
    [property: JsonPropertyName("active")] bool Active);

/// <summary>What GET /status returns.</summary>
public sealed record NodeStatus(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("term")] ulong Term,
    [property: JsonPropertyName("leader")] ulong Leader,
    [property: JsonPropertyName("commit")] ulong Commit,
    [property: JsonPropertyName("applied")] ulong Applied,
    [property: JsonPropertyName("healthy")] bool Healthy,
    [property: JsonPropertyName("voters")] IReadOnlyList<ulong> Voters,
    [property: JsonPropertyName("learners")] IReadOnlyList<ulong> Learners,
    [property: JsonPropertyName("peers")] IReadOnlyList<PeerStatusView> Peers);
