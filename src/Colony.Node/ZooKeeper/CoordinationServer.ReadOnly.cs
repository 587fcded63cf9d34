using System.Security.Cryptography;
using Colony.Coordination;
using Colony.Coordination.Protocol;
using Microsoft.Extensions.Logging;

namespace Colony.Node.ZooKeeper;

// Read-only mode, as ZooKeeper's read-only server: a node cut off from its quorum keeps answering
// reads from its last applied state to clients that said they can live with that (canBeReadOnly),
// in sessions known only to this node. Writes get NotReadOnly. When a leader is back, those sessions'
// connections are closed: the clients reconnect and find a read-write server, where a read-only
// session id means nothing (SessionExpired), as in ZooKeeper.
internal sealed partial class CoordinationServer
{
    private readonly Dictionary<long, ReadOnlySession> _readOnlySessions = [];
    private bool _readOnlyMode;
    private long _leaderlessSinceMs;

    /// <summary>True while this node serves read-only sessions (isro answers "ro").</summary>
    public bool IsReadOnly => _readOnlyMode;

    /// <summary>Enters read-only mode after a spell without a leader; leaves it as soon as one is known (under the gate).</summary>
    private void UpdateReadOnlyMode(long elapsed)
    {
        if (_leader != 0)
        {
            _leaderlessSinceMs = 0;
            if (_readOnlyMode)
            {
                LeaveReadOnlyMode();
            }
            return;
        }
        if (_leaderlessSinceMs == 0)
        {
            _leaderlessSinceMs = elapsed;
        }
        if (!_readOnlyMode && _options.ReadOnlyModeEnabled && elapsed - _leaderlessSinceMs >= _options.ReadOnlyAfterMs)
        {
            _readOnlyMode = true;
            LogReadOnlyEntered(elapsed - _leaderlessSinceMs);
        }
        if (_readOnlyMode)
        {
            ExpireReadOnlySessions(elapsed);
        }
    }

    private void LeaveReadOnlyMode()
    {
        _readOnlyMode = false;
        var readOnly = _sessions.Values.Where(s => s.ReadOnly).ToList();
        LogReadOnlyLeft(readOnly.Count);
        foreach (var session in readOnly)
        {
            _sessions.Remove(session.SessionId);
            session.Connection.Close();
        }
        _readOnlySessions.Clear();
    }

    /// <summary>A handshake while read-only: only a client that accepts a read-only session gets one.</summary>
    private void ConnectReadOnly(SessionState session, ConnectRequest request)
    {
        var connection = session.Connection;
        if (!request.ReadOnly)
        {
            // ZooKeeper's read-only server does the same: the client tries the next server.
            LogRefusedNotReadOnlyClient(connection.Remote);
            connection.Close();
            return;
        }
        session.ReadOnly = true;
        session.LastHeardMs = ElapsedMs;
        if (request.SessionId == 0)
        {
            session.SessionId = _sessionIds.Next();
            session.Password = RandomNumberGenerator.GetBytes(PasswordBytes);
        }
        else
        {
            // A resume: a session this node gave out while read-only, or one the log knew before the
            // quorum was lost; either way the password must match.
            session.SessionId = request.SessionId;
            session.Password = request.Password;
            bool known = _readOnlySessions.TryGetValue(request.SessionId, out var given)
                ? CryptographicOperations.FixedTimeEquals(given.Password, request.Password)
                : Tree.SessionExists(request.SessionId) && Tree.CheckSessionPassword(request.SessionId, request.Password);
            if (!known)
            {
                RefuseResume(session);
                return;
            }
        }
        _readOnlySessions[session.SessionId] = new ReadOnlySession(session.Password, session.TimeoutMs) { LastHeardMs = session.LastHeardMs };
        TakeOver(session);
    }

    /// <summary>A write in a read-only session: NotReadOnly, except closeSession, which ends it here.</summary>
    private void RefuseReadOnlyWrite(SessionState session, RequestHeader header, PendingRequest pending)
    {
        if (header.Type == OpCode.CloseSession)
        {
            _readOnlySessions.Remove(session.SessionId);
            _sessions.Remove(session.SessionId);
            pending.Complete(new ReplyHeader(header.Xid, Tree.LastZxid, ErrorCode.Ok), null, closeAfter: true);
            return;
        }
        pending.Complete(new ReplyHeader(header.Xid, Tree.LastZxid, ErrorCode.NotReadOnly), null);
    }

    /// <summary>
    /// Read-only sessions expire here, by their own timeout, as nothing else tracks them. A client
    /// that disconnected may resume until then.
    /// </summary>
    private void ExpireReadOnlySessions(long now)
    {
        foreach (var (id, entry) in _readOnlySessions.ToList())
        {
            bool connected = _sessions.TryGetValue(id, out var session) && session.ReadOnly;
            if (connected)
            {
                entry.LastHeardMs = Math.Max(entry.LastHeardMs, session!.LastHeardMs);
            }
            if (now - entry.LastHeardMs > entry.TimeoutMs)
            {
                LogSessionExpired(id);
                _readOnlySessions.Remove(id);
                if (connected)
                {
                    _sessions.Remove(id);
                    session!.Connection.Close();
                }
            }
        }
    }

    private sealed class ReadOnlySession(byte[] password, int timeoutMs)
    {
        public byte[] Password { get; } = password;

        public int TimeoutMs { get; } = timeoutMs;

        public long LastHeardMs { get; set; }
    }

    [LoggerMessage(EventId = 5040, Level = LogLevel.Warning, Message = "coordination: no leader for {Milliseconds} ms; serving read-only sessions")]
    private partial void LogReadOnlyEntered(long milliseconds);

    [LoggerMessage(EventId = 5041, Level = LogLevel.Information, Message = "coordination: a leader is back; leaving read-only mode and closing {Count} read-only sessions")]
    private partial void LogReadOnlyLeft(int count);

    [LoggerMessage(EventId = 5042, Level = LogLevel.Information, Message = "coordination: refused {Remote}: this node is read-only and the client did not ask for a read-only session")]
    private partial void LogRefusedNotReadOnlyClient(string remote);
}
