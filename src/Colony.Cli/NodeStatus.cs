using System.Text.Json.Serialization;

namespace Colony.Cli;

/// <summary>A node's answer to <c>GET /status</c>.</summary>
internal sealed record NodeStatus
{
    [JsonPropertyName("id")]
    public int Id { get; init; }

    /// <summary>leader, follower, candidate, precandidate or learner.</summary>
    [JsonPropertyName("role")]
    public string Role { get; init; } = "";

    [JsonPropertyName("term")]
    public long Term { get; init; }

    /// <summary>The leader's id as this node knows it; 0 or absent when it knows none.</summary>
    [JsonPropertyName("leader")]
    public int? Leader { get; init; }

    [JsonPropertyName("commit")]
    public long Commit { get; init; }

    [JsonPropertyName("applied")]
    public long Applied { get; init; }

    [JsonPropertyName("healthy")]
    public bool Healthy { get; init; }

    /// <summary>On the leader: its view of every other member's replication progress.</summary>
    [JsonPropertyName("peers")]
    public IReadOnlyList<PeerProgress> Peers { get; init; } = [];

    public bool IsLeader => string.Equals(Role, "leader", StringComparison.OrdinalIgnoreCase);

    public bool KnowsLeader => Leader is > 0;

    public PeerProgress? Peer(int id) => Peers.FirstOrDefault(p => p.Id == id);
}

internal sealed record PeerProgress
{
    [JsonPropertyName("id")]
    public int Id { get; init; }

    [JsonPropertyName("match")]
    public long Match { get; init; }

    [JsonPropertyName("next")]
    public long Next { get; init; }

    [JsonPropertyName("state")]
    public string State { get; init; } = "";

    [JsonPropertyName("voter")]
    public bool Voter { get; init; }
}

/// <summary>What <c>colony status --json</c> prints.</summary>
internal sealed record StatusReport
{
    [JsonPropertyName("nodes")]
    public IReadOnlyList<StatusReportNode> Nodes { get; init; } = [];

    /// <summary>The dashboard's alerts (GET /api/cluster); null when no node served them.</summary>
    [JsonPropertyName("alerts")]
    public IReadOnlyList<Commands.ClusterAlert>? Alerts { get; init; }
}

internal sealed record StatusReportNode
{
    /// <summary>Null for an unreachable node found only by its address.</summary>
    [JsonPropertyName("id")]
    public int? Id { get; init; }

    /// <summary>The node's role, or <c>unreachable</c>.</summary>
    [JsonPropertyName("role")]
    public string Role { get; init; } = "";

    [JsonPropertyName("term")]
    public long? Term { get; init; }

    [JsonPropertyName("commit")]
    public long? Commit { get; init; }

    [JsonPropertyName("healthy")]
    public bool Healthy { get; init; }

    [JsonPropertyName("http")]
    public string Http { get; init; } = "";

    /// <summary>Replicas the node holds, from the dashboard's overview; null when unknown.</summary>
    [JsonPropertyName("blocks")]
    public int? Blocks { get; init; }

    /// <summary>Task attempts running on the node, from the dashboard's overview; null when unknown.</summary>
    [JsonPropertyName("runningTasks")]
    public int? RunningTasks { get; init; }
}

/// <summary>The body of <c>POST /cluster/members</c>.</summary>
internal sealed record MemberRequest
{
    [JsonPropertyName("id")]
    public int Id { get; init; }

    [JsonPropertyName("peer")]
    public string Peer { get; init; } = "";

    [JsonPropertyName("http")]
    public string Http { get; init; } = "";

    /// <summary>voter or learner.</summary>
    [JsonPropertyName("role")]
    public string Role { get; init; } = "";

    [JsonPropertyName("zooKeeper")]
    public string? ZooKeeper { get; init; }
}

/// <summary>A follower's 421 answer: where the leader is.</summary>
internal sealed record LeaderHint
{
    [JsonPropertyName("leader")]
    public string? Leader { get; init; }
}
