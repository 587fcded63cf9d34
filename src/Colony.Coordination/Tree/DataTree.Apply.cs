using Colony.Coordination.Commands;
using Colony.Core;

namespace Colony.Coordination.Tree;

/// <remarks>
/// Apply. Every command takes the next zxid, whether it succeeds or fails, so the zxid counts the
/// transactions ZooKeeper would have logged (its failed requests are error transactions). The
/// exceptions are the ones ZooKeeper logs nothing for, and they report the last zxid instead:
/// <see cref="Op.Sync"/> and <see cref="Op.TouchSessions"/>, which change nothing, and
/// <see cref="Op.MoveSession"/>, which changes only a session's owner (ZooKeeper's leader keeps
/// owners in memory; here they are replicated, so every node fences alike).
/// </remarks>
public sealed partial class DataTree
{
    /// <summary>
    /// Applies one command and reports what it did. Never throws for a command the codec can produce;
    /// the tree must not be touched between commands except through this method.
    /// </summary>
    public CoordinationResult Apply(CoordinationCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(command.Operation);
        switch (command.Operation)
        {
            case Op.TouchSessions:
                return new CoordinationResult(ErrorCode.Ok, LastZxid, OpResult.Ok);
            case Op.Sync:
                var syncCode = CheckSession(command);
                return new CoordinationResult(syncCode, LastZxid, new OpResult(syncCode));
            case Op.MoveSession move:
                var moveCode = ApplyMoveSession(command, move);
                return new CoordinationResult(moveCode, LastZxid, new OpResult(moveCode));
        }

        long zxid = ++LastZxid;
        return command.Operation switch
        {
            Op.Multi multi => ApplyMulti(command, multi, zxid),
            Op.CreateSession create => ApplyCreateSession(command, create, zxid),
            Op.CloseSession close => ApplyCloseSession(close, command.TimeMs, zxid),
            Op.DeleteContainer delete => ApplyCleanup(delete.Path, command.TimeMs, zxid, container: true),
            Op.DeleteExpiredTtl delete => ApplyCleanup(delete.Path, command.TimeMs, zxid, container: false),
            Op.SetConfig config => ApplySetConfig(config, command.TimeMs, zxid),
            _ => ApplySingle(command, zxid),
        };
    }

    private CoordinationResult ApplySingle(CoordinationCommand command, long zxid)
    {
        var overlay = new Overlay(this);
        var code = Prepare(command, command.Operation, overlay, zxid, out var txn);
        if (code != ErrorCode.Ok)
        {
            return new CoordinationResult(code, zxid, new OpResult(code));
        }
        var triggers = new List<WatchTrigger>(2);
        var result = Commit(txn!, zxid, command.TimeMs, triggers);
        return new CoordinationResult(ErrorCode.Ok, zxid, result, triggers: triggers, softQuotaExceeded: overlay.SoftQuotaExceeded);
    }

    private CoordinationResult ApplyMulti(CoordinationCommand command, Op.Multi multi, long zxid)
    {
        var ops = multi.Ops;
        if (ops is null || ops.Count > Limits.MaxMultiOps)
        {
            return new CoordinationResult(ErrorCode.BadArguments, zxid, new OpResult(ErrorCode.BadArguments));
        }
        var overlay = new Overlay(this);
        var txns = new Txn[ops.Count];
        for (int i = 0; i < ops.Count; i++)
        {
            var code = Prepare(command, ops[i], overlay, zxid, out var txn);
            if (code != ErrorCode.Ok)
            {
                return FailedMulti(ops.Count, i, code, zxid);
            }
            txns[i] = txn!;
        }
        var results = new OpResult[ops.Count];
        var triggers = new List<WatchTrigger>(ops.Count * 2);
        for (int i = 0; i < txns.Length; i++)
        {
            results[i] = Commit(txns[i], zxid, command.TimeMs, triggers);
        }
        return new CoordinationResult(ErrorCode.Ok, zxid, OpResult.Ok, results, triggers: triggers, softQuotaExceeded: overlay.SoftQuotaExceeded);
    }

    private static CoordinationResult FailedMulti(int count, int failed, ErrorCode code, long zxid)
    {
        var results = new OpResult[count];
        for (int i = 0; i < count; i++)
        {
            results[i] = new OpResult(i < failed ? ErrorCode.Ok : i == failed ? code : ErrorCode.RuntimeInconsistency);
        }
        return new CoordinationResult(code, zxid, new OpResult(code), results);
    }

    /// <summary>A new session belongs to the node that proposed it: its client is connected there.</summary>
    private CoordinationResult ApplyCreateSession(CoordinationCommand command, Op.CreateSession op, long zxid)
    {
        var code = !EphemeralOwner.IsValidSessionId(op.SessionId) || op.TimeoutMs <= 0 || op.Password is null
            || !_sessions.TryAdd(op.SessionId, op.TimeoutMs, op.Password, command.OriginNode)
            ? ErrorCode.BadArguments
            : ErrorCode.Ok;
        return new CoordinationResult(code, zxid, new OpResult(code));
    }

    /// <summary>
    /// The session's client resumed it on the proposing node, which becomes its owner. The password
    /// must match (AuthFailed otherwise), so knowing a session's id is not enough to fence its
    /// client. Node 0 is no node: it cannot own a session.
    /// </summary>
    private ErrorCode ApplyMoveSession(CoordinationCommand command, Op.MoveSession op)
    {
        if (command.OriginNode == SessionInfo.NoOwner || op.Password is null)
        {
            return ErrorCode.BadArguments;
        }
        if (!_sessions.TryGet(op.SessionId, out var session))
        {
            return ErrorCode.SessionExpired;
        }
        if (!session.HasPassword(op.Password))
        {
            return ErrorCode.AuthFailed;
        }
        session.Owner = command.OriginNode;
        return ErrorCode.Ok;
    }

    private CoordinationResult ApplyCloseSession(Op.CloseSession op, long timeMs, long zxid)
    {
        if (!_sessions.TryGet(op.SessionId, out var session))
        {
            return new CoordinationResult(ErrorCode.SessionExpired, zxid, new OpResult(ErrorCode.SessionExpired));
        }
        string[] paths = [.. session.Ephemerals];
        var triggers = new List<WatchTrigger>(paths.Length * 2);
        foreach (var path in paths)
        {
            Commit(new DeleteTxn(path), zxid, timeMs, triggers);
        }
        Invariant.Check(session.Ephemerals.Count == 0);
        _sessions.Remove(op.SessionId);
        return new CoordinationResult(ErrorCode.Ok, zxid, OpResult.Ok, deletedPaths: paths, triggers: triggers);
    }

    /// <summary>
    /// The leader's cleanup. It was decided on the leader's view; apply checks again, since the node
    /// may have changed in between: it must still exist, be childless, be of the right kind, and be a
    /// container that once had a child, or a TTL node expired at the command's time. As ZooKeeper,
    /// a node of the wrong kind or not yet due is BadVersion. No ACL applies to the cluster's own cleanup.
    /// </summary>
    private CoordinationResult ApplyCleanup(string path, long timeMs, long zxid, bool container)
    {
        var code = CheckCleanup(path, timeMs, container);
        if (code != ErrorCode.Ok)
        {
            return new CoordinationResult(code, zxid, new OpResult(code));
        }
        var triggers = new List<WatchTrigger>(2);
        Commit(new DeleteTxn(path), zxid, timeMs, triggers);
        return new CoordinationResult(ErrorCode.Ok, zxid, OpResult.Ok, triggers: triggers);
    }

    /// <summary>
    /// The cluster's own rewrite of <c>/zookeeper/config</c>: no ACL applies (the node is read-only to
    /// clients), and the version line names this zxid, as ZooKeeper's names the reconfig's. The node's
    /// data version stays −1: ZooKeeper writes the config with version −1 every time.
    /// </summary>
    private CoordinationResult ApplySetConfig(Op.SetConfig op, long timeMs, long zxid)
    {
        if (op.Servers is null)
        {
            return new CoordinationResult(ErrorCode.BadArguments, zxid, new OpResult(ErrorCode.BadArguments));
        }
        byte[] data = [.. op.Servers, .. System.Text.Encoding.UTF8.GetBytes(Reconfig.DynamicConfig.FormatVersion(zxid))];
        var triggers = new List<WatchTrigger>(1);
        var result = Commit(new SetDataTxn(ConfigPath, data, -1), zxid, timeMs, triggers);
        return new CoordinationResult(ErrorCode.Ok, zxid, result, triggers: triggers);
    }

    private ErrorCode CheckCleanup(string path, long timeMs, bool container)
    {
        if (path is null || !TryParentForDelete(path, out _))
        {
            return ErrorCode.BadArguments;
        }
        if (!_nodes.TryGetValue(path, out var node))
        {
            return ErrorCode.NoNode;
        }
        if (node.ChildCount > 0)
        {
            return ErrorCode.NotEmpty;
        }
        bool due = container ? IsDeletableContainer(node) : IsExpiredTtl(node, timeMs);
        return due ? ErrorCode.Ok : ErrorCode.BadVersion;
    }

    private OpResult Commit(Txn txn, long zxid, long timeMs, List<WatchTrigger> triggers)
    {
        switch (txn)
        {
            case CreateTxn create:
                return CommitCreate(create, zxid, timeMs, triggers);
            case DeleteTxn delete:
                CommitDelete(delete.Path, zxid, triggers);
                return OpResult.Ok;
            case SetDataTxn setData:
            {
                var node = _nodes[setData.Path];
                ApproximateDataSize += NodeSize(setData.Path, setData.Data) - NodeSize(setData.Path, node.Data);
                long grown = (setData.Data?.Length ?? 0) - (node.Data?.Length ?? 0);
                node.Data = setData.Data;
                node.Version = setData.Version;
                node.Mtime = timeMs;
                node.Mzxid = zxid;
                QuotaAfterChange(setData.Path, 0, grown);
                triggers.Add(new WatchTrigger(setData.Path, EventType.NodeDataChanged));
                return new OpResult(ErrorCode.Ok, Stat: node.Stat);
            }
            case SetAclTxn setAcl:
            {
                var node = _nodes[setAcl.Path];
                node.Acl = setAcl.Acl;
                node.Aversion = setAcl.Aversion;
                return new OpResult(ErrorCode.Ok, Stat: node.Stat);
            }
            case CheckTxn:
                return OpResult.Ok;
            default:
                throw new InvalidOperationException($"unknown txn {txn.GetType().Name}");
        }
    }

    private OpResult CommitCreate(CreateTxn txn, long zxid, long timeMs, List<WatchTrigger> triggers)
    {
        string parentPath = PathValidator.ParentOf(txn.Path);
        var parent = _nodes[parentPath];
        var node = new ZNode
        {
            Data = txn.Data,
            Acl = txn.Acl,
            Czxid = zxid,
            Mzxid = zxid,
            Pzxid = zxid,
            Ctime = timeMs,
            Mtime = timeMs,
            EphemeralOwner = txn.Owner,
        };
        _nodes.Add(txn.Path, node);
        parent.AddChild(PathValidator.NameOf(txn.Path));
        parent.Cversion = unchecked(parent.Cversion + 1);
        parent.ChildrenCreated = unchecked(parent.ChildrenCreated + 1);
        parent.Pzxid = zxid;
        ApproximateDataSize += NodeSize(txn.Path, txn.Data);
        switch (node.Kind)
        {
            case NodeKind.Container:
                _containers.Add(txn.Path);
                break;
            case NodeKind.Ttl:
                _ttlNodes.Add(txn.Path);
                break;
            case NodeKind.Ephemeral:
                Invariant.Check(_sessions.TryGet(txn.Owner, out var session));
                session.Ephemerals.Add(txn.Path);
                break;
        }
        QuotaAfterChange(txn.Path, 1, txn.Data?.Length ?? 0);
        triggers.Add(new WatchTrigger(txn.Path, EventType.NodeCreated));
        triggers.Add(new WatchTrigger(parentPath, EventType.NodeChildrenChanged));
        return new OpResult(ErrorCode.Ok, txn.Path, node.Stat);
    }

    private void CommitDelete(string path, long zxid, List<WatchTrigger> triggers)
    {
        string parentPath = PathValidator.ParentOf(path);
        var parent = _nodes[parentPath];
        var node = _nodes[path];
        Invariant.Check(node.ChildCount == 0);
        _nodes.Remove(path);
        parent.RemoveChild(PathValidator.NameOf(path));
        parent.Cversion = unchecked(parent.Cversion + 1);
        if (zxid > parent.Pzxid)
        {
            parent.Pzxid = zxid;
        }
        ApproximateDataSize -= NodeSize(path, node.Data);
        QuotaAfterChange(path, -1, -(node.Data?.Length ?? 0));
        switch (node.Kind)
        {
            case NodeKind.Container:
                _containers.Remove(path);
                break;
            case NodeKind.Ttl:
                _ttlNodes.Remove(path);
                break;
            case NodeKind.Ephemeral when _sessions.TryGet(node.EphemeralOwner, out var session):
                session.Ephemerals.Remove(path);
                break;
        }
        triggers.Add(new WatchTrigger(path, EventType.NodeDeleted));
        triggers.Add(new WatchTrigger(parentPath, EventType.NodeChildrenChanged));
    }
}
