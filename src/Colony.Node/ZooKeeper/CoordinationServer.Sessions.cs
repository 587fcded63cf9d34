using System.Security.Cryptography;
using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;
using Colony.Coordination.Tree;

namespace Colony.Node.ZooKeeper;

internal sealed partial class CoordinationServer
{
    private const int PasswordBytes = 16;

    private void Connect(ClientConnection connection, ConnectRequest request)
    {
        if (connection.IsClosed)
        {
            return;
        }
        Heard(connection); // the handshake is a packet received, as ZooKeeper counts them
        if (_removed)
        {
            connection.Close(); // no longer a member: the client tries the next server
            return;
        }
        _connections[connection.Id] = connection;
        long lastZxid = Tree.LastZxid;
        if (request.LastZxidSeen > lastZxid)
        {
            // The client has seen a newer state than ours; serving it would take it back in time.
            LogRefusedBehind(connection.Remote, request.LastZxidSeen, lastZxid);
            connection.Close();
            return;
        }
        var session = new SessionState(connection, _negotiation.Negotiate(request.TimeOut));
        connection.Session = session;
        if (connection.RemoteAddress is { } address)
        {
            session.Auth.Add(new Id("ip", address.ToString()));
        }
        if (connection.CertificateSubject is { } subject)
        {
            session.Auth.Add(new Id(Colony.Coordination.Security.AuthSchemes.X509, subject));
        }
        if (_readOnlyMode)
        {
            ConnectReadOnly(session, request);
            return;
        }
        if (request.SessionId == 0 && _options.LocalSessionsEnabled)
        {
            ConnectLocal(session);
            return;
        }
        if (request.SessionId == 0)
        {
            session.SessionId = _sessionIds.Next();
            session.Password = RandomNumberGenerator.GetBytes(PasswordBytes);
            _creating[session.SessionId] = session;
            Propose(session, new CoordinationCommand(_host.NodeId, session.SessionId, 0, NowMs, [],
                new Op.CreateSession(session.SessionId, session.TimeoutMs, session.Password)));
            return;
        }
        if (TryResumeLocal(session, request))
        {
            return;
        }
        session.SessionId = request.SessionId;
        session.Password = request.Password;
        if (request.Password.Length != PasswordBytes
            || (Tree.SessionExists(request.SessionId) && !Tree.CheckSessionPassword(request.SessionId, request.Password)))
        {
            // Every session here has a password of PasswordBytes, and it never changes: a wrong one
            // needs no trip through the log.
            RefuseResume(session);
            return;
        }
        // Take the session over through the log, even where this node already owns it, as ZooKeeper's
        // servers revalidate every resume with the leader. Once the move is applied, writes proposed
        // by any other node fail with SessionMoved, so a write still in flight from the client's old
        // connection cannot land after what it does next through this one. Going through the log also
        // finds a session created an instant ago through another node, not yet applied here.
        int ticket = ++_lastRevalidation;
        _revalidating[ticket] = session;
        Propose(session, new CoordinationCommand(_host.NodeId, session.SessionId, ticket, NowMs, [],
            new Op.MoveSession(session.SessionId, session.Password)));
    }

    /// <summary>
    /// A MoveSession was applied. Proposed here for a resume: the session is now this node's, or the
    /// resume is refused. Proposed elsewhere: the client went on to that node, so a connection this
    /// node still holds for the session is stale; close it, as its later writes would be fenced anyway.
    /// </summary>
    private void SessionMoveApplied(CoordinationCommand command, Op.MoveSession move, CoordinationResult result)
    {
        if (command.OriginNode == _host.NodeId)
        {
            // The ticket alone could match a move replayed from before a restart; the id must match too.
            if (_revalidating.TryGetValue(command.Cxid, out var resuming) && resuming.SessionId == move.SessionId)
            {
                _revalidating.Remove(command.Cxid);
                resuming.ProposedWrites = Math.Max(0, resuming.ProposedWrites - 1);
                if (resuming.Connection.IsClosed)
                {
                    return;
                }
                if (result.IsOk)
                {
                    TakeOver(resuming);
                }
                else
                {
                    RefuseResume(resuming);
                }
            }
            return;
        }
        if (result.IsOk && _sessions.Remove(move.SessionId, out var left))
        {
            LogSessionMovedAway(move.SessionId, left.Connection.Remote, command.OriginNode);
            left.Connection.Close();
        }
    }

    /// <summary>
    /// A write this node proposed was fenced: the session belongs to another node. ZooKeeper answers
    /// this by closing the connection, not with SessionMoved, since the client may only have lost a
    /// race between two of its own resumes; reconnecting takes the session back (and its requests
    /// in flight end as ConnectionLoss: the fenced write changed nothing).
    /// </summary>
    private void WriteFenced(SessionState session)
    {
        LogWriteFenced(session.SessionId, session.Connection.Remote);
        _sessions.Remove(session.SessionId);
        session.Connection.Close();
    }

    /// <summary>True if the session's client has moved to another node, as far as this node has applied.</summary>
    private bool IsOwnedElsewhere(long sessionId) =>
        Tree.TryGetSession(sessionId, out var info) && !info.IsOwnedBy(_host.NodeId);

    /// <summary>The session is now this node's: an older connection here for it must not act for it any more.</summary>
    private void TakeOver(SessionState session)
    {
        if (_sessions.TryGetValue(session.SessionId, out var previous) && previous.Connection != session.Connection)
        {
            previous.Connection.Close();
        }
        Establish(session);
    }

    /// <summary>ZooKeeper's way of saying "expired" (or "wrong password"): a zero timeout, then the connection closes.</summary>
    private void RefuseResume(SessionState session)
    {
        var connection = session.Connection;
        LogSessionRefused(connection.Remote, session.SessionId);
        connection.SendConnectResponse(new ConnectResponse(0, 0, 0, new byte[PasswordBytes], false));
        connection.CloseAfterFlush();
    }

    private void Establish(SessionState session)
    {
        session.Established = true;
        _sessions[session.SessionId] = session;
        session.Connection.SendConnectResponse(new ConnectResponse(0, session.TimeoutMs, session.SessionId, session.Password, session.ReadOnly));
        _counters.Sent++;
        long now = ElapsedMs;
        session.Connection.Stats.Record(ConnectionStats.NameOf(OpCode.CreateSession), 0, Tree.LastZxid, now, now);
        LogSessionEstablished(session.SessionId, session.Connection.Remote, session.TimeoutMs);
        Touch(session);
        Drain(session);
    }

    private void Disconnected(ClientConnection connection)
    {
        _connections.Remove(connection.Id);
        _watches.RemoveWatcher(connection.Id);
        if (connection.Session is not { } session)
        {
            return;
        }
        ForgetLocalWrites(session);
        if (_sessions.TryGetValue(session.SessionId, out var current) && current == session)
        {
            // The session lives on until it expires: the client may reconnect here or elsewhere.
            _sessions.Remove(session.SessionId);
        }
        if (_creating.TryGetValue(session.SessionId, out var creating) && creating == session)
        {
            _creating.Remove(session.SessionId);
        }
        foreach (var (ticket, waiting) in _revalidating)
        {
            if (waiting == session)
            {
                _revalidating.Remove(ticket);
                break;
            }
        }
    }

    private void Touch(SessionState session)
    {
        if (session.ReadOnly)
        {
            session.LastHeardMs = ElapsedMs; // local: the log never hears of it
            return;
        }
        if (session.Local)
        {
            TouchLocal(session);
            return;
        }
        if (_leading)
        {
            _expiry.Touch(session.SessionId, session.TimeoutMs, ElapsedMs);
        }
        else
        {
            _touches.Touch(session.SessionId);
        }
    }
}
