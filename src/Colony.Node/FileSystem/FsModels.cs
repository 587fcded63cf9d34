using System.Globalization;
using System.Text.Json.Serialization;
using Colony.Storage.Namespace;

namespace Colony.Node.FileSystem;

/// <summary>One file or directory as the HTTP API shows it.</summary>
public sealed record FileStatusView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("replication")] short Replication,
    [property: JsonPropertyName("blockSize")] long BlockSize,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("group")] string Group,
    [property: JsonPropertyName("permission")] string Permission,
    [property: JsonPropertyName("modificationTime")] DateTimeOffset ModificationTime,
    [property: JsonPropertyName("accessTime")] DateTimeOffset AccessTime,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("leaseHolder")] string? LeaseHolder,
    [property: JsonPropertyName("closedByRecovery")] bool ClosedByRecovery,
    [property: JsonPropertyName("children")] int Children,
    [property: JsonPropertyName("blocks")] int Blocks)
{
    public static FileStatusView From(FileStatus s) => new(
        s.Path, s.IsDirectory ? "directory" : "file", s.Length, s.Replication, s.BlockSize, s.Owner, s.Group,
        PermissionText(s.Mode), DateTimeOffset.FromUnixTimeMilliseconds(s.ModificationTime), DateTimeOffset.FromUnixTimeMilliseconds(s.AccessTime),
        s.IsDirectory ? "directory" : s.State == FileState.Complete ? "complete" : "under-construction",
        s.LeaseHolder, s.ClosedByRecovery, s.ChildCount, s.BlockCount);

    /// <summary>"rwxr-xr-x" for 0755, "rwxrwxrwt" for 1777 (the sticky bit).</summary>
    public static string PermissionText(ushort mode) => FsPermissions.ModeText(mode);

    public static string Octal(ushort mode) => Convert.ToString(mode, 8).PadLeft(4, '0').ToString(CultureInfo.InvariantCulture);
}

/// <summary>GET /api/fs/list.</summary>
public sealed record ListingView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("entries")] IReadOnlyList<FileStatusView> Entries);

/// <summary>GET /api/fs/du.</summary>
public sealed record SummaryView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("files")] long Files,
    [property: JsonPropertyName("directories")] long Directories,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("spaceConsumed")] long SpaceConsumed);

/// <summary>The body of a namespace change; each change reads the fields it needs.</summary>
public sealed class FsChangeRequest
{
    [JsonPropertyName("path")]
    public string? Path { get; set; }

    [JsonPropertyName("destination")]
    public string? Destination { get; set; }

    [JsonPropertyName("recursive")]
    public bool Recursive { get; set; }

    [JsonPropertyName("skipTrash")]
    public bool SkipTrash { get; set; }

    [JsonPropertyName("replication")]
    public short Replication { get; set; }

    /// <summary>Octal, e.g. "755".</summary>
    /// <summary>chown: the new group; null leaves it.</summary>
    [JsonPropertyName("group")]
    public string? Group { get; set; }

    [JsonPropertyName("mode")]
    public string? Mode { get; set; }

    /// <summary>Who asks: the owner of what is made, and whose trash a delete goes to.</summary>
    [JsonPropertyName("user")]
    public string? User { get; set; }
}

/// <summary>One data node as the leader sees it.</summary>
public sealed record DataNodeView(ulong Id, string Address, string State, string? Rack, long Capacity, long Free, int Transfers, long DiskFullWrites);

/// <summary>POST /api/fs/decommission's answer.</summary>
public sealed record DecommissionView(ulong Node, string State);

/// <summary>One balancer move: a block's replica copied from one data node to another, then deleted from the first.</summary>
public sealed record BalancerMoveView(string Block, long Length, ulong From, ulong To);

/// <summary>A data node's share of its capacity in use, as the balancer sees it.</summary>
public sealed record NodeUseView(ulong Id, double UsedPercent);

/// <summary>POST /api/fs/balance's answer.</summary>
public sealed record BalanceView(double ThresholdPercent, double SpreadPercent, IReadOnlyList<NodeUseView> Nodes,
    IReadOnlyList<BalancerMoveView> Started, IReadOnlyList<BalancerMoveView> InFlight, long MovesDone);

/// <summary>PUT /api/fs/content's answer: the file made and the bytes it holds.</summary>
public sealed record FsUploadView(string Path, long Length);

/// <summary>What a namespace change did.</summary>
public sealed record FsChangeView(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("filesDeleted")] long FilesDeleted,
    [property: JsonPropertyName("blocksFreed")] int BlocksFreed,
    [property: JsonPropertyName("movedToTrash")] bool MovedToTrash);

/// <summary>The body of a write-path call (create, add-block, commit-block, update-pipeline, complete, renew-lease, report-corrupt).</summary>
public sealed class FsWriteRequest
{
    [JsonPropertyName("path")]
    public string? Path { get; set; }

    /// <summary>The writing client's name: the lease holder.</summary>
    [JsonPropertyName("holder")]
    public string? Holder { get; set; }

    [JsonPropertyName("user")]
    public string? User { get; set; }

    /// <summary>Octal, e.g. "644".</summary>
    [JsonPropertyName("mode")]
    public string? Mode { get; set; }

    [JsonPropertyName("replication")]
    public short Replication { get; set; }

    [JsonPropertyName("blockSize")]
    public long BlockSize { get; set; }

    [JsonPropertyName("overwrite")]
    public bool Overwrite { get; set; }

    /// <summary>add-block: the block transfer address of the writer's own data node, placed first.</summary>
    [JsonPropertyName("writer")]
    public string? Writer { get; set; }

    /// <summary>
    /// add-block: the id of the writer's last committed block (0 for none). When the file already has an open
    /// block right after it, the writer lost the answer to its own earlier add-block: it gets that block again.
    /// </summary>
    [JsonPropertyName("previous")]
    public ulong Previous { get; set; }

    /// <summary>add-block: data nodes not to use (they failed this writer).</summary>
    [JsonPropertyName("excluded")]
    public List<string>? Excluded { get; set; }

    [JsonPropertyName("blockId")]
    public ulong BlockId { get; set; }

    [JsonPropertyName("stamp")]
    public ulong Stamp { get; set; }

    [JsonPropertyName("length")]
    public long Length { get; set; }

    /// <summary>commit-block: the CRC-32C of the whole block.</summary>
    [JsonPropertyName("checksum")]
    public uint Checksum { get; set; }

    /// <summary>report-corrupt: the block transfer address of the node whose replica failed verification.</summary>
    [JsonPropertyName("node")]
    public string? Node { get; set; }
}

/// <summary>POST /api/fs/create: the file as made (replication after capping to the live data nodes).</summary>
public sealed record CreatedView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("replication")] short Replication,
    [property: JsonPropertyName("blockSize")] long BlockSize);

/// <summary>
/// A block and where to reach its replicas (add-block: the pipeline, in order; locations: readable replicas), with the
/// block access token the data nodes ask for: read for locations, write for a pipeline.
/// </summary>
public sealed record LocatedBlockView(
    [property: JsonPropertyName("blockId")] ulong BlockId,
    [property: JsonPropertyName("stamp")] ulong Stamp,
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("checksum")] uint Checksum,
    [property: JsonPropertyName("nodes")] IReadOnlyList<string> Nodes,
    [property: JsonPropertyName("token")] string Token);

/// <summary>GET /api/fs/locations: the committed blocks overlapping a range.</summary>
public sealed record LocationsView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("complete")] bool Complete,
    [property: JsonPropertyName("blocks")] IReadOnlyList<LocatedBlockView> Blocks);

/// <summary>One block in an fsck answer.</summary>
public sealed record FsckBlockView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("block")] string Block,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("expected")] short Expected,
    [property: JsonPropertyName("health")] string Health,
    [property: JsonPropertyName("live")] IReadOnlyList<string> Live,
    [property: JsonPropertyName("corruptOn")] IReadOnlyList<string> CorruptOn);

/// <summary>GET /api/fs/fsck.</summary>
public sealed record FsckView(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("blocks")] int Blocks,
    [property: JsonPropertyName("healthy")] int Healthy,
    [property: JsonPropertyName("underReplicated")] int UnderReplicated,
    [property: JsonPropertyName("overReplicated")] int OverReplicated,
    [property: JsonPropertyName("corrupt")] int Corrupt,
    [property: JsonPropertyName("missing")] int Missing,
    [property: JsonPropertyName("openBlocks")] int OpenBlocks,
    [property: JsonPropertyName("dataNodes")] int DataNodes,
    [property: JsonPropertyName("liveDataNodes")] int LiveDataNodes,
    [property: JsonPropertyName("problems")] IReadOnlyList<FsckBlockView> Problems,
    [property: JsonPropertyName("locations")] IReadOnlyList<FsckBlockView>? Locations = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FileStatusView))]
[JsonSerializable(typeof(ListingView))]
[JsonSerializable(typeof(SummaryView))]
[JsonSerializable(typeof(FsChangeRequest))]
[JsonSerializable(typeof(FsChangeView))]
[JsonSerializable(typeof(FsUploadView))]
[JsonSerializable(typeof(DataNodeView[]))]
[JsonSerializable(typeof(DecommissionView))]
[JsonSerializable(typeof(BalanceView))]
[JsonSerializable(typeof(FsWriteRequest))]
[JsonSerializable(typeof(CreatedView))]
[JsonSerializable(typeof(LocatedBlockView))]
[JsonSerializable(typeof(LocationsView))]
[JsonSerializable(typeof(FsckView))]
internal sealed partial class FsJson : JsonSerializerContext;
