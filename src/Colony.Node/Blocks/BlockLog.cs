using Colony.Core;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Blocks;

/// <summary>Log events of the block store and block transfers: event ids 4000–4099.</summary>
internal static partial class BlockLog
{
    [LoggerMessage(4000, LogLevel.Warning, "Replica {Version} is corrupt")]
    public static partial void ReplicaCorrupt(ILogger logger, BlockVersion version);

    [LoggerMessage(4001, LogLevel.Warning, "Could not delete {Path}: {Reason}")]
    public static partial void DeleteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(4002, LogLevel.Warning, "Startup scan: {Path}: {Problem}")]
    public static partial void ScanProblem(ILogger logger, string path, string problem);

    [LoggerMessage(4010, LogLevel.Warning, "Block transfer connection from {Remote} closed: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, string? remote, string reason);

    [LoggerMessage(4014, LogLevel.Warning, "Block transfer connection from {Remote} refused: the node serves at most {Limit} connections, and {PerIp} from one address (0: no limit)")]
    public static partial void ConnectionRefused(ILogger logger, string remote, int limit, int perIp);

    [LoggerMessage(4015, LogLevel.Warning, "Block transfer request from {Remote} refused: {Reason}")]
    public static partial void AccessRefused(ILogger logger, string? remote, string reason);

    [LoggerMessage(4013, LogLevel.Error, "Block transfer connection from {Remote} failed unexpectedly")]
    public static partial void ConnectionCrashed(ILogger logger, Exception exception, string? remote);

    [LoggerMessage(4011, LogLevel.Information, "Write of {Version} failed at this node: {Status} {Reason}")]
    public static partial void WriteFailed(ILogger logger, BlockVersion version, Colony.Storage.Blocks.Transfer.TransferStatus status, string reason);

    [LoggerMessage(4012, LogLevel.Debug, "Finalized {Version}, {Length} bytes")]
    public static partial void WriteFinalized(ILogger logger, BlockVersion version, long length);

    [LoggerMessage(4016, LogLevel.Debug, "Deleted {Version} ({Length} bytes), as asked for {Asked}")]
    public static partial void ReplicaDeleted(ILogger logger, BlockVersion version, long length, BlockVersion asked);

    [LoggerMessage(4020, LogLevel.Warning, "Scrubber found {Version} corrupt: {Reason}")]
    public static partial void ScrubFoundCorrupt(ILogger logger, BlockVersion version, string reason);

    [LoggerMessage(4021, LogLevel.Error, "Scrubber failed")]
    public static partial void ScrubFailed(ILogger logger, Exception exception);
}
