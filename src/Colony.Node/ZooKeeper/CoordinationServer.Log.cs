using Microsoft.Extensions.Logging;

namespace Colony.Node.ZooKeeper;

internal sealed partial class CoordinationServer
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "coordination: leader is now {Leader} (this node leads: {IsLeader})")]
    private partial void LogLeaderChanged(ulong leader, bool isLeader);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "session 0x{SessionId:x} expired")]
    private partial void LogSessionExpired(long sessionId);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "session 0x{SessionId:x}: a write waited over {TimeoutMs} ms for the log; closing its connection")]
    private partial void LogWriteStalled(long sessionId, int timeoutMs);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "the log refused {Count} commands ({Status}); closing their clients' connections")]
    private partial void LogProposalRefused(string status, int count);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "client {Remote} has seen zxid 0x{Seen:x} but this node is at 0x{Ours:x}: refused, it must try another server")]
    private partial void LogRefusedBehind(string remote, long seen, long ours);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "client {Remote}: session 0x{SessionId:x} is expired or its password is wrong")]
    private partial void LogSessionRefused(string remote, long sessionId);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "session 0x{SessionId:x} established for {Remote}, timeout {TimeoutMs} ms")]
    private partial void LogSessionEstablished(long sessionId, string remote, int timeoutMs);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Warning, Message = "session 0x{SessionId:x}: write {Applied} was applied before write {Expected}, which was lost; closing")]
    private partial void LogOutOfOrder(long sessionId, int expected, int applied);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Information, Message = "session 0x{SessionId:x} moved to node {Owner}; closing its old connection from {Remote}")]
    private partial void LogSessionMovedAway(long sessionId, string remote, ulong owner);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Information, Message = "session 0x{SessionId:x}: a write from {Remote} was fenced (the session moved to another node); closing")]
    private partial void LogWriteFenced(long sessionId, string remote);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Warning, Message = "client {Remote}: too many connections from {Address}, the most is {Limit} (Coordination:MaxClientConnectionsPerIp); closing")]
    private partial void LogTooManyFromAddress(string remote, string address, int limit);

    [LoggerMessage(EventId = 3113, Level = LogLevel.Warning, Message = "client {Remote}: the node has {Limit} connections, the most it takes (Coordination:MaxConnections); closing")]
    private partial void LogTooManyConnections(string remote, int limit);

    [LoggerMessage(EventId = 5044, Level = LogLevel.Warning, Message = "coordination: quota exceeded under {Path} (soft limit; the change was applied), session 0x{SessionId:x}")]
    private partial void LogSoftQuotaExceeded(string path, long sessionId);
}
