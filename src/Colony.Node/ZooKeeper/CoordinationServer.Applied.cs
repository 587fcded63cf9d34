using Colony.Consensus.StateMachine;
using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Protocol;
using Colony.Coordination.Tree;

namespace Colony.Node.ZooKeeper;

internal sealed partial class CoordinationServer
{
    /// <summary>
    /// Every node applies every command; this node then fires its clients' watches and, if the
    /// command came from one of its clients, answers it. The loop applies under the gate already
    /// (see <see cref="Hosting.GatedModule"/>); taking it again costs nothing and keeps this safe.
    /// </summary>
    private void OnApplied(CommandContext context, CoordinationCommand command, CoordinationResult result)
    {
        lock (_gate)
        {
            Applied(command, result);
        }
    }

    private void Applied(CoordinationCommand command, CoordinationResult result)
    {
        if (result.SoftQuotaExceeded.Count > 0 && command.OriginNode == _host.NodeId)
        {
            // Reported once, by the node whose client made the change, as ZooKeeper's leader logs it.
            foreach (string quota in result.SoftQuotaExceeded)
            {
                LogSoftQuotaExceeded(quota, command.SessionId);
                _metrics?.QuotaExceeded.Add(1);
            }
        }
        foreach (var trigger in result.Triggers)
        {
            Notify(trigger);
        }
        switch (command.Operation)
        {
            case Op.CreateSession created:
                SessionCreated(command, created, result);
                return;
            case Op.CloseSession closed:
                _expiry.Remove(closed.SessionId);
                if (_sessions.TryGetValue(closed.SessionId, out var owner) && !(command.OriginNode == _host.NodeId && command.SessionId == closed.SessionId))
                {
                    // Expired (or closed from elsewhere): the client learns it when it reconnects.
                    owner.Connection.Close();
                    _sessions.Remove(closed.SessionId);
                    return;
                }
                break;
            case Op.MoveSession moved:
                SessionMoveApplied(command, moved, result);
                return;
            case Op.SetConfig:
                _configProposed = null;
                return;
            case Op.TouchSessions touched when _host.IsLeader:
                long elapsed = ElapsedMs;
                foreach (long id in touched.SessionIds)
                {
                    if (Tree.TryGetSession(id, out var info))
                    {
                        _expiry.Touch(id, info.TimeoutMs, elapsed);
                    }
                }
                return;
        }
        if (LocalWriteApplied(command, result))
        {
            return;
        }
        if (command.OriginNode == _host.NodeId && command.SessionId != 0 && _sessions.TryGetValue(command.SessionId, out var session))
        {
            if (result.Error == ErrorCode.SessionMoved)
            {
                WriteFenced(session);
                return;
            }
            CompleteWrite(session, command.Cxid, result);
        }
    }

    private void SessionCreated(CoordinationCommand command, Op.CreateSession created, CoordinationResult result)
    {
        if (_host.IsLeader && result.IsOk)
        {
            _expiry.Touch(created.SessionId, created.TimeoutMs, ElapsedMs);
        }
        if (command.OriginNode != _host.NodeId || !_creating.Remove(created.SessionId, out var session))
        {
            return;
        }
        session.ProposedWrites = Math.Max(0, session.ProposedWrites - 1);
        if (!result.IsOk)
        {
            session.Connection.Close();
            return;
        }
        Establish(session);
    }

    private void Notify(WatchTrigger trigger)
    {
        foreach (var notification in _watches.Trigger(trigger.Path, trigger.Type))
        {
            if (_connections.TryGetValue(notification.WatcherId, out var connection))
            {
                connection.Send(new ReplyHeader(SpecialXid.Notification, -1, ErrorCode.Ok),
                    new WatcherEvent(notification.Type, KeeperState.SyncConnected, notification.Path), completesRequest: false);
            }
        }
    }
}
