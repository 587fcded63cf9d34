using System.Net;
using Colony.Consensus;
using Colony.Core;
using Microsoft.Extensions.Logging;

namespace Colony.Node.Peers;

/// <summary>Log events of the peer transport: event ids 1500–1599 (within Raft's 1000–1999).</summary>
internal static partial class PeerLog
{
    // Outbound: 1500–1519.
    [LoggerMessage(1500, LogLevel.Information, "Connected to node {Peer} at {EndPoint}")]
    public static partial void Connected(this ILogger logger, NodeId peer, EndPoint endPoint);

    [LoggerMessage(1501, LogLevel.Warning, "Cannot reach node {Peer} at {EndPoint} (failure {Failures}): {Reason}")]
    public static partial void ConnectFailed(this ILogger logger, NodeId peer, EndPoint endPoint, int failures, string reason);

    [LoggerMessage(1502, LogLevel.Warning, "Lost the connection to node {Peer} at {EndPoint}: {Reason}")]
    public static partial void ConnectionLost(this ILogger logger, NodeId peer, EndPoint endPoint, string reason);

    [LoggerMessage(1503, LogLevel.Debug, "Next attempt to reach node {Peer} in {Delay}")]
    public static partial void ReconnectScheduled(this ILogger logger, NodeId peer, TimeSpan delay);

    [LoggerMessage(1504, LogLevel.Warning, "Dropped a {Type} message to node {Peer}: it exceeds the wire limits")]
    public static partial void MessageTooLarge(this ILogger logger, MessageType type, NodeId peer);

    [LoggerMessage(1505, LogLevel.Debug, "Dropped a {Type} message to node {Peer}, which has no address")]
    public static partial void UnknownPeer(this ILogger logger, MessageType type, NodeId peer);

    [LoggerMessage(1506, LogLevel.Error, "The unreachable-peer callback failed for node {Peer}")]
    public static partial void UnreachableCallbackFailed(this ILogger logger, Exception exception, NodeId peer);

    [LoggerMessage(1507, LogLevel.Information, "Node {Peer} is at {EndPoint}")]
    public static partial void PeerAddressSet(this ILogger logger, NodeId peer, EndPoint endPoint);

    [LoggerMessage(1508, LogLevel.Information, "Node {Peer} removed from the peer transport")]
    public static partial void PeerRemoved(this ILogger logger, NodeId peer);

    [LoggerMessage(1509, LogLevel.Error, "The writer to node {Peer} failed")]
    public static partial void WriterFailed(this ILogger logger, Exception exception, NodeId peer);

    // Inbound: 1520–1539.
    [LoggerMessage(1520, LogLevel.Debug, "Peer connection {Connection} from {Remote} opened")]
    public static partial void InboundOpened(this ILogger logger, long connection, EndPoint? remote);

    [LoggerMessage(1521, LogLevel.Information, "Peer connection {Connection} from {Remote} authenticated as node {Peer}")]
    public static partial void InboundAuthenticated(this ILogger logger, long connection, EndPoint? remote, NodeId peer);

    [LoggerMessage(1522, LogLevel.Warning, "Peer connection {Connection} from {Remote} rejected in the handshake ({Failure}): {Reason}")]
    public static partial void HandshakeRejected(this ILogger logger, long connection, EndPoint? remote, HandshakeFailure failure, string reason);

    [LoggerMessage(1523, LogLevel.Warning, "Peer connection {Connection} from node {Peer} closed for a protocol violation: {Reason}")]
    public static partial void ProtocolViolation(this ILogger logger, long connection, NodeId peer, string reason);

    [LoggerMessage(1524, LogLevel.Debug, "Peer connection {Connection} from node {Peer} closed after {Messages} messages")]
    public static partial void InboundClosed(this ILogger logger, long connection, NodeId peer, long messages);

    [LoggerMessage(1525, LogLevel.Warning, "Peer connection from {Remote} refused: {Limit} connections already open")]
    public static partial void TooManyConnections(this ILogger logger, EndPoint? remote, int limit);

    [LoggerMessage(1526, LogLevel.Error, "Peer connection {Connection} from {Remote} failed")]
    public static partial void InboundFailed(this ILogger logger, Exception exception, long connection, EndPoint? remote);

    [LoggerMessage(1527, LogLevel.Information, "Peer connection {Connection} from node {Peer} replaces connection {Previous}")]
    public static partial void InboundReplaced(this ILogger logger, long connection, NodeId peer, long previous);

    [LoggerMessage(1528, LogLevel.Debug, "Peer connection {Connection} from {Remote} dropped: {Reason}")]
    public static partial void InboundDropped(this ILogger logger, long connection, EndPoint? remote, string reason);

    // Listener: 1540–1549.
    [LoggerMessage(1540, LogLevel.Information, "Listening for peers on {EndPoint}")]
    public static partial void ListenerStarted(this ILogger logger, EndPoint endPoint);

    [LoggerMessage(1541, LogLevel.Information, "Stopped listening for peers on {EndPoint}")]
    public static partial void ListenerStopped(this ILogger logger, EndPoint endPoint);

    [LoggerMessage(1542, LogLevel.Warning, "Accepting a peer connection on {EndPoint} failed")]
    public static partial void AcceptFailed(this ILogger logger, Exception exception, EndPoint endPoint);
}
