using System.Text.Json.Serialization;

namespace Colony.Client.FileSystem;

/// <summary>A file or directory as the cluster describes it.</summary>
public sealed record FsFileStatus(
    string Path, string Type, long Length, short Replication, long BlockSize, string Owner, string Group, string Permission,
    DateTimeOffset ModificationTime, DateTimeOffset AccessTime, string State, string? LeaseHolder, bool ClosedByRecovery,
    int Children, int Blocks)
{
    public bool IsDirectory => Type == "directory";
}

/// <summary>Totals under a path (du).</summary>
public sealed record FsSummary(string Path, long Files, long Directories, long Bytes, long SpaceConsumed);

/// <summary>What a namespace change did.</summary>
public sealed record FsChange(string? Path, long FilesDeleted, int BlocksFreed, bool MovedToTrash);

/// <summary>One block that fsck found wanting, or (in <see cref="FsckResult.Locations"/>) any block, with where its replicas are.</summary>
public sealed record FsckProblem(string Path, string Block, long Length, short Expected, string Health, IReadOnlyList<string> Live, IReadOnlyList<string> CorruptOn);

/// <summary>fsck: the health of every committed block under a path.</summary>
public sealed record FsckResult(
    string Path, string Status, int Blocks, int Healthy, int UnderReplicated, int OverReplicated, int Corrupt, int Missing,
    int OpenBlocks, int DataNodes, int LiveDataNodes, IReadOnlyList<FsckProblem> Problems, IReadOnlyList<FsckProblem>? Locations = null);

/// <summary>
/// A data node as the leader sees it: state is alive, dead, decommissioning or decommissioned; DiskFullWrites counts
/// the writes its full disk refused or cut short since it started.
/// </summary>
public sealed record FsDataNode(ulong Id, string Address, string State, string? Rack, long Capacity, long Free, int Transfers, long DiskFullWrites = 0);

/// <summary>One balancer move: a block copied from data node <c>From</c> to <c>To</c>, then deleted from <c>From</c>.</summary>
public sealed record FsBalancerMove(string Block, long Length, ulong From, ulong To);

/// <summary>A data node's share of its capacity in use.</summary>
public sealed record FsNodeUse(ulong Id, double UsedPercent);

/// <summary>
/// A balancer pass: the spread in disk use between the most- and least-used alive data nodes (percentage points),
/// the moves it started, those still running, and how many this leader has finished.
/// </summary>
public sealed record FsBalance(double ThresholdPercent, double SpreadPercent, IReadOnlyList<FsNodeUse> Nodes,
    IReadOnlyList<FsBalancerMove> Started, IReadOnlyList<FsBalancerMove> InFlight, long MovesDone);

/// <summary>How a new file is made.</summary>
public sealed record FsCreateOptions
{
    /// <summary>Replicas per block; 0: the cluster's default (3, capped by the data nodes the leader knows).</summary>
    public short Replication { get; init; }

    /// <summary>Block size in bytes; 0: the cluster's default (64 MiB).</summary>
    public long BlockSize { get; init; }

    /// <summary>Replace an existing file.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Octal permission, e.g. "644"; null for the default.</summary>
    public string? Mode { get; init; }

    /// <summary>When a block counts as written: see <see cref="FsAck"/>. Default: every replica.</summary>
    public FsAck Ack { get; init; } = FsAck.All;
}

/// <summary>
/// How many replicas must have a block on disk before the writer moves on. Fewer means a shorter pipeline
/// (lower latency, less client bandwidth); the replicas the pipeline skipped are made afterwards by the
/// leader's repair, which copies every under-replicated committed block.
/// </summary>
public enum FsAck
{
    /// <summary>Every replica of the file's replication factor has fsynced the block.</summary>
    All,

    /// <summary>A majority of the replication factor (⌊N/2⌋+1) has fsynced the block.</summary>
    Quorum,

    /// <summary>One data node has fsynced the block.</summary>
    One,
}

internal sealed record ListingResponse(string Path, IReadOnlyList<FsFileStatus> Entries);

internal sealed record CreatedResponse(string Path, short Replication, long BlockSize);

/// <summary>A block, its replicas, and the block access token the data nodes ask for (read for locations, write for a pipeline).</summary>
internal sealed record LocatedBlockResponse(ulong BlockId, ulong Stamp, long Offset, long Length, uint Checksum, IReadOnlyList<string> Nodes, string? Token = null);

internal sealed record LocationsResponse(string Path, long Length, bool Complete, IReadOnlyList<LocatedBlockResponse> Blocks);

internal sealed record ProblemResponse(string? Title, string? Detail, int? Status);

/// <summary>Every field any /api/fs call takes; each call reads those it needs.</summary>
internal sealed class FsRequest
{
    public string? Path { get; set; }
    public string? Destination { get; set; }
    public bool Recursive { get; set; }
    public bool SkipTrash { get; set; }
    public short Replication { get; set; }
    public string? Mode { get; set; }
    public string? User { get; set; }
    public string? Group { get; set; }
    public string? Holder { get; set; }
    public long BlockSize { get; set; }
    public bool Overwrite { get; set; }
    public string? Writer { get; set; }
    public List<string>? Excluded { get; set; }
    public ulong Previous { get; set; }
    public ulong BlockId { get; set; }
    public ulong Stamp { get; set; }
    public long Length { get; set; }
    public uint Checksum { get; set; }
    public string? Node { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(FsFileStatus))]
[JsonSerializable(typeof(FsSummary))]
[JsonSerializable(typeof(FsChange))]
[JsonSerializable(typeof(FsckResult))]
[JsonSerializable(typeof(ListingResponse))]
[JsonSerializable(typeof(CreatedResponse))]
[JsonSerializable(typeof(LocatedBlockResponse))]
[JsonSerializable(typeof(LocationsResponse))]
[JsonSerializable(typeof(ProblemResponse))]
[JsonSerializable(typeof(FsRequest))]
[JsonSerializable(typeof(FsDataNode[]))]
[JsonSerializable(typeof(FsBalance))]
internal sealed partial class FsClientJson : JsonSerializerContext;
