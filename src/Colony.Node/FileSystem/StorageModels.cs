using System.Text.Json.Serialization;

namespace Colony.Node.FileSystem;

/// <summary>One replica in a block report: state is "finalized", "being-written" or "corrupt".</summary>
public sealed record ReplicaReport(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("stamp")] ulong Stamp,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("state")] string State);

/// <summary>One change since the last heartbeat: change is "received", "deleted" or "corrupt".</summary>
public sealed record ReplicaChangeReport(
    [property: JsonPropertyName("change")] string Change,
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("stamp")] ulong Stamp,
    [property: JsonPropertyName("length")] long Length);

/// <summary>
/// POST /internal/storage/heartbeat: a data node says it is alive, how full it is, what changed on its disk
/// since the last heartbeat, (when the leader asked) everything it holds, and how many writes its full disk refused
/// or cut short (the node stays in service through them). <c>bootId</c> is new at every start of the node's process and
/// <c>sequence</c> counts that process's heartbeats up, so the leader sees a restart at once and never applies a
/// heartbeat older than one it already took; a node that sends neither is taken as it comes. <c>incarnation</c> orders
/// the node's processes (<see cref="DataNodeIncarnation"/>), so a late request of a process the leader never heard from
/// is not taken for a restart.
/// <c>leaderTerm</c> is the consensus term in which the node knew its leader: a request held up past a leadership the
/// leader lost and won back is refused, not applied over what the node reported since to other leaders.
/// </summary>
public sealed record HeartbeatRequest(
    [property: JsonPropertyName("nodeId")] ulong NodeId,
    [property: JsonPropertyName("dataAddress")] string DataAddress,
    [property: JsonPropertyName("rack")] string? Rack,
    [property: JsonPropertyName("capacity")] long Capacity,
    [property: JsonPropertyName("free")] long Free,
    [property: JsonPropertyName("used")] long Used,
    [property: JsonPropertyName("transfers")] int Transfers,
    [property: JsonPropertyName("changes")] IReadOnlyList<ReplicaChangeReport> Changes,
    [property: JsonPropertyName("full")] IReadOnlyList<ReplicaReport>? Full,
    [property: JsonPropertyName("diskFullWrites")] long DiskFullWrites = 0,
    [property: JsonPropertyName("bootId")] string? BootId = null,
    [property: JsonPropertyName("sequence")] long Sequence = 0,
    [property: JsonPropertyName("incarnation")] long Incarnation = 0,
    [property: JsonPropertyName("leaderTerm")] ulong LeaderTerm = 0);

/// <summary>Copy a finalized local replica to another data node.</summary>
public sealed record CopyCommand(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("stamp")] ulong Stamp,
    [property: JsonPropertyName("target")] string Target);

/// <summary>A replica to delete (that stamp or older).</summary>
public sealed record DeleteCommand(
    [property: JsonPropertyName("id")] ulong Id,
    [property: JsonPropertyName("stamp")] ulong Stamp);

/// <summary>The leader's answer: whether it wants a full report next time, and this node's work.</summary>
public sealed record HeartbeatResponse(
    [property: JsonPropertyName("fullReportWanted")] bool FullReportWanted,
    [property: JsonPropertyName("copies")] IReadOnlyList<CopyCommand> Copies,
    [property: JsonPropertyName("deletes")] IReadOnlyList<DeleteCommand> Deletes);

internal static class ReplicaStates
{
    public const string Finalized = "finalized";
    public const string BeingWritten = "being-written";
    public const string Corrupt = "corrupt";
    public const string Received = "received";
    public const string Deleted = "deleted";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatResponse))]
internal sealed partial class StorageJson : JsonSerializerContext;
