using System.Security.Cryptography;
using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;

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
        if (request.SessionId == 0)
        {
            session.SessionId = _sessionIds.Next();
            session.Password = RandomNumberGenerator.GetBytes(PasswordBytes);
            _creating[session.SessionId] = session;
            Propose(session, new CoordinationCommand(_host.NodeId, session.SessionId, 0, NowMs, [],
                new Op.CreateSession(session.SessionId, session.TimeoutMs, session.Password)));
            return;
        }
        session.SessionId = request.SessionId;
        session.Password = request.Password;
        if (Tree.SessionExists(request.SessionId))
        {
            Resume(session);
            return;
        }
        // Unknown here, but perhaps only not applied here yet (created an instant ago through
        // another node): catch up through the log before calling it expired, as ZooKeeper's
        // followers revalidate a session with the leader.
        int ticket = ++_lastRevalidation;
        _revalidating[ticket] = session;
        Propose(session, new CoordinationCommand(_host.NodeId, 0, ticket, NowMs, [], new Op.Sync("/")));
    }

    /// <summary>A session this node knows about (now): check the password, then take it over.</summary>
    private void Resume(SessionState session)
    {
        var connection = session.Connection;
        if (!Tree.SessionExists(session.SessionId) || !Tree.CheckSessionPassword(session.SessionId, session.Password))
        {
            // ZooKeeper's way of saying "expired": a zero timeout, then the connection closes.
            LogSessionRefused(connection.Remote, session.SessionId);
            connection.SendConnectResponse(new ConnectResponse(0, 0, 0, new byte[PasswordBytes], false));
            connection.CloseAfterFlush();
            return;
        }
        if (_sessions.TryGetValue(session.SessionId, out var previous) && previous.Connection != connection)
        {
            // The session moved here; its old connection must not act for it any more.
            previous.Connection.Close();
        }
        Establish(session);
    }

    /// <summary>The catch-up a resume waited for has been applied here.</summary>
    private void Revalidated(int ticket)
    {
        if (_revalidating.Remove(ticket, out var session))
        {
            session.ProposedWrites = Math.Max(0, session.ProposedWrites - 1);
            if (!session.Connection.IsClosed)
            {
                Resume(session);
            }
        }
    }

    private void Establish(SessionState session)
    {
        session.Established = true;
        _sessions[session.SessionId] = session;
        session.Connection.SendConnectResponse(new ConnectResponse(0, session.TimeoutMs, session.SessionId, session.Password, false));
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
        if (_leading)
        {
            _expiry.Touch(session.SessionId, session.TimeoutMs, NowMs);
        }
        else
        {
            _touches.Touch(session.SessionId);
        }
    }
}
