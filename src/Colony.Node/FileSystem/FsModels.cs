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

    /// <summary>"rwxr-xr-x" for 0755.</summary>
    public static string PermissionText(ushort mode)
    {
        Span<char> text = stackalloc char[9];
        const string Letters = "rwx";
        for (int i = 0; i < 9; i++)
        {
            text[i] = (mode & (1 << (8 - i))) != 0 ? Letters[i % 3] : '-';
        }
        return new string(text);
    }

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
    [JsonPropertyName("mode")]
    public string? Mode { get; set; }

    /// <summary>Who asks: the owner of what is made, and whose trash a delete goes to.</summary>
    [JsonPropertyName("user")]
    public string? User { get; set; }
}

/// <summary>What a namespace change did.</summary>
public sealed record FsChangeView(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("filesDeleted")] long FilesDeleted,
    [property: JsonPropertyName("blocksFreed")] int BlocksFreed,
    [property: JsonPropertyName("movedToTrash")] bool MovedToTrash);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FileStatusView))]
[JsonSerializable(typeof(ListingView))]
[JsonSerializable(typeof(SummaryView))]
[JsonSerializable(typeof(FsChangeRequest))]
[JsonSerializable(typeof(FsChangeView))]
internal sealed partial class FsJson : JsonSerializerContext;
