using System.Security.Cryptography;
using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;
using Colony.Coordination.Tree;
using Microsoft.Extensions.Logging;

namespace Colony.Node.ZooKeeper;

// Local sessions (ZooKeeper's localSessionsEnabled): a new session lives only on the node that
// created it, with no write to the log, and expires there by its own timeout. Its writes still go
// through the log, with no session id (the log cannot check a session it never heard of, as
// ZooKeeper's leader cannot check a follower's local session); a ticket in the cxid routes the
// answer back. It cannot own an ephemeral: with localSessionsUpgradingEnabled its first ephemeral
// create makes it global through the log first (CreateSession, then the create); without, the
// create fails with EphemeralOnLocalSession. If its node dies, the session is gone: a resume
// elsewhere finds no such session in the log and is told it expired.
internal sealed partial class CoordinationServer
{
    private readonly Dictionary<long, LocalSession> _localSessions = [];
    private readonly Dictionary<int, (SessionState Session, int Xid)> _localWrites = [];

    // Tickets start from the clock so that a write proposed before a restart, applied after it, does
    // not match a ticket given out since.
    private int _lastLocalTicket;

    public int LocalSessionCount => _localSessions.Count;

    /// <summary>A new session, local to this node: established at once.</summary>
    private void ConnectLocal(SessionState session)
    {
        session.Local = true;
        session.SessionId = _sessionIds.Next();
        session.Password = RandomNumberGenerator.GetBytes(PasswordBytes);
        _localSessions[session.SessionId] = new LocalSession(session.Password, session.TimeoutMs) { LastHeardMs = ElapsedMs };
        LogLocalSessionCreated(session.SessionId);
        Establish(session);
    }

    /// <summary>A resume of one of this node's local sessions; false if the id is not one.</summary>
    private bool TryResumeLocal(SessionState session, ConnectRequest request)
    {
        if (!_localSessions.TryGetValue(request.SessionId, out var local))
        {
            return false;
        }
        session.SessionId = request.SessionId;
        session.Password = request.Password;
        if (!CryptographicOperations.FixedTimeEquals(local.Password, request.Password))
        {
            RefuseResume(session);
            return true;
        }
        session.Local = true;
        local.LastHeardMs = ElapsedMs;
        TakeOver(session);
        return true;
    }

    /// <summary>A write from a local session: proposed without a session, refused, or upgrading the session first.</summary>
    private void ReceiveLocalWrite(SessionState session, RequestHeader header, PendingRequest pending, long now)
    {
        if (header.Type == OpCode.CloseSession)
        {
            _localSessions.Remove(session.SessionId);
            _sessions.Remove(session.SessionId);
            pending.Complete(new ReplyHeader(header.Xid, Tree.LastZxid, ErrorCode.Ok), null, closeAfter: true);
            return;
        }
        if (ToOperation(header.Type, pending.Request, session) is not { } operation)
        {
            pending.Complete(new ReplyHeader(header.Xid, Tree.LastZxid, ErrorCode.BadArguments), null);
            return;
        }
        if (CreatesEphemeral(operation))
        {
            if (!_options.LocalSessionsUpgradingEnabled)
            {
                pending.Complete(new ReplyHeader(header.Xid, Tree.LastZxid, ErrorCode.EphemeralOnLocalSession), null);
                return;
            }
            Upgrade(session, now);
            Propose(session, new CoordinationCommand(_host.NodeId, session.SessionId, header.Xid, now, session.Auth.ToArray(), operation));
            session.PendingWrites++;
            return;
        }
        int ticket = NextLocalTicket();
        _localWrites[ticket] = (session, header.Xid);
        Propose(session, new CoordinationCommand(_host.NodeId, 0, ticket, now, session.Auth.ToArray(), operation));
        session.PendingWrites++;
    }

    /// <summary>
    /// Makes the session global: its CreateSession goes in the log ahead of the write that needed it,
    /// so that write finds the session. The session keeps its id and password.
    /// </summary>
    private void Upgrade(SessionState session, long now)
    {
        LogLocalSessionUpgraded(session.SessionId);
        _localSessions.Remove(session.SessionId);
        session.Local = false;
        Propose(null, new CoordinationCommand(_host.NodeId, session.SessionId, 0, now, [],
            new Op.CreateSession(session.SessionId, session.TimeoutMs, session.Password)));
    }

    private static bool CreatesEphemeral(Op operation) => operation switch
    {
        Op.Create create => create.Mode.IsEphemeral(),
        Op.Multi multi => multi.Ops.Any(CreatesEphemeral),
        _ => false,
    };

    private int NextLocalTicket()
    {
        if (_lastLocalTicket == 0)
        {
            _lastLocalTicket = (int)(NowMs & 0x3FFF_FFFF) | 1;
        }
        _lastLocalTicket = _lastLocalTicket == int.MaxValue ? 1 : _lastLocalTicket + 1;
        return _lastLocalTicket;
    }

    /// <summary>The answer to a local session's write, applied: matched by the ticket in its cxid.</summary>
    private bool LocalWriteApplied(CoordinationCommand command, CoordinationResult result)
    {
        if (command.OriginNode != _host.NodeId || command.SessionId != 0 || command.Cxid == 0
            || !_localWrites.Remove(command.Cxid, out var write))
        {
            return false;
        }
        if (!write.Session.Connection.IsClosed)
        {
            CompleteWrite(write.Session, write.Xid, result);
        }
        return true;
    }

    /// <summary>Local sessions expire here, by their own timeout; nothing else knows of them.</summary>
    private void ExpireLocalSessions(long elapsed)
    {
        foreach (var (id, entry) in _localSessions.ToList())
        {
            if (elapsed - entry.LastHeardMs <= entry.TimeoutMs)
            {
                continue;
            }
            LogSessionExpired(id);
            _localSessions.Remove(id);
            if (_sessions.Remove(id, out var session))
            {
                session.Connection.Close();
            }
        }
    }

    private void TouchLocal(SessionState session)
    {
        if (_localSessions.TryGetValue(session.SessionId, out var local))
        {
            local.LastHeardMs = ElapsedMs;
        }
    }

    private void ForgetLocalWrites(SessionState session)
    {
        foreach (var (ticket, write) in _localWrites.ToList())
        {
            if (write.Session == session)
            {
                _localWrites.Remove(ticket);
            }
        }
    }

    private sealed class LocalSession(byte[] password, int timeoutMs)
    {
        public byte[] Password { get; } = password;

        public int TimeoutMs { get; } = timeoutMs;

        public long LastHeardMs { get; set; }
    }

    [LoggerMessage(EventId = 5060, Level = LogLevel.Debug, Message = "local session 0x{SessionId:x} created")]
    private partial void LogLocalSessionCreated(long sessionId);

    [LoggerMessage(EventId = 5061, Level = LogLevel.Information, Message = "local session 0x{SessionId:x} upgraded to a global session for an ephemeral")]
    private partial void LogLocalSessionUpgraded(long sessionId);
}
