using System.Runtime.InteropServices;
using System.Text;
using Colony.Coordination;
using Colony.Coordination.Protocol;
using Colony.Coordination.Security;
using Colony.Coordination.Tree;
using Colony.Coordination.Watches;

namespace Colony.Node.ZooKeeper;

internal sealed partial class CoordinationServer
{
    /// <summary>Runs a read (or a session-local request) against this node's tree and completes it.</summary>
    private void ExecuteRead(SessionState session, PendingRequest pending)
    {
        var header = pending.Header;
        long zxid = Tree.LastZxid;
        ErrorCode error;
        IJuteWritable? body = null;
        bool close = false;
        switch (pending.Request)
        {
            case EmptyRequest when header.Type == OpCode.Ping:
                error = ErrorCode.Ok;
                break;
            case EmptyRequest when header.Type == OpCode.WhoAmI:
                error = ErrorCode.Ok;
                body = new WhoAmIResponse([.. JavaIdentityOrder.Order(session.Auth).Select(ClientInfoOf)]);
                break;
            case AuthPacket auth:
                error = Authenticate(session, auth);
                close = error != ErrorCode.Ok;
                break;
            case SaslRequest sasl:
                error = AuthenticateSasl(session, sasl, out body);
                close = error != ErrorCode.Ok;
                break;
            case ExistsRequest r:
                error = Exists(session, r, out body);
                break;
            case GetDataRequest r:
                error = GetData(session, r.Path, r.Watch, out var data);
                body = error == ErrorCode.Ok ? data : null;
                break;
            case GetChildrenRequest r:
                error = GetChildren(session, r.Path, r.Watch, out var children, out _);
                body = error == ErrorCode.Ok ? new GetChildrenResponse(children) : null;
                break;
            case GetChildren2Request r:
                error = GetChildren(session, r.Path, r.Watch, out children, out var stat);
                body = error == ErrorCode.Ok ? new GetChildren2Response(children, stat) : null;
                break;
            case GetAclRequest r:
                error = GetAcl(session, r.Path, out body);
                break;
            case GetAllChildrenNumberRequest r:
                error = ReadableNode(session, r.Path, out _);
                body = error == ErrorCode.Ok ? new GetAllChildrenNumberResponse(Tree.GetAllChildrenNumber(r.Path)) : null;
                break;
            case GetEphemeralsRequest r:
                error = ErrorCode.Ok;
                body = new GetEphemeralsResponse(Tree.GetEphemerals(session.SessionId, r.PrefixPath));
                break;
            case MultiRequest r:
                error = ErrorCode.Ok;
                body = MultiRead(session, r);
                break;
            case SetWatches r:
                error = ErrorCode.Ok;
                SetWatches(session, r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches, [], []);
                break;
            case SetWatches2 r:
                error = ErrorCode.Ok;
                SetWatches(session, r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches, r.PersistentWatches, r.PersistentRecursiveWatches);
                break;
            case AddWatchRequest r:
                error = PathValidator.Validate(r.Path) is null ? ErrorCode.Ok : ErrorCode.BadArguments;
                if (error == ErrorCode.Ok)
                {
                    _watches.Add(r.Path, r.Mode.ToWatchKind(), session.Connection.Id);
                    // ZooKeeper's reply carries an ErrorResponse of 0, and its Java client reads one:
                    // without it the client counts the reply as malformed and drops the connection.
                    body = new ErrorResponse(ErrorCode.Ok);
                }
                break;
            case CheckWatchesRequest r:
                error = _watches.Has(r.Path, r.Type, session.Connection.Id) ? ErrorCode.Ok : ErrorCode.NoWatcher;
                break;
            case RemoveWatchesRequest r:
                error = _watches.Remove(r.Path, r.Type, session.Connection.Id) != WatchKinds.None ? ErrorCode.Ok : ErrorCode.NoWatcher;
                break;
            case RejectedRequest rejected:
                error = rejected.Error;
                break;
            default:
                // Opcodes this server does not know.
                error = ErrorCode.Unimplemented;
                break;
        }
        if (error == ErrorCode.AuthFailed)
        {
            _counters.AuthFailed++;
        }
        pending.Complete(new ReplyHeader(header.Xid, zxid, error), error == ErrorCode.Ok ? body : null, close);
    }

    private ErrorCode Authenticate(SessionState session, AuthPacket auth)
    {
        if (auth.Scheme != "digest")
        {
            return ErrorCode.AuthFailed;
        }
        string userPassword = Encoding.UTF8.GetString(auth.Auth);
        if (!userPassword.Contains(':', StringComparison.Ordinal))
        {
            return ErrorCode.AuthFailed;
        }
        var id = DigestAuthentication.IdFor(userPassword);
        if (!session.Auth.Contains(id))
        {
            session.Auth.Add(id);
        }
        if (_options.SuperDigest is { } super && super == id.Identity && !session.Auth.Any(a => a.Scheme == "super"))
        {
            session.Auth.Add(new Id("super", ""));
        }
        return ErrorCode.Ok;
    }

    private ErrorCode Exists(SessionState session, ExistsRequest request, out IJuteWritable? body)
    {
        body = null;
        if (PathValidator.Validate(request.Path) is not null)
        {
            return ErrorCode.BadArguments;
        }
        if (request.Watch)
        {
            // Set whether or not the node exists: on a missing node it waits for the create.
            _watches.Add(request.Path, WatchKinds.Data, session.Connection.Id);
        }
        if (!Tree.TryGetNode(request.Path, out var node))
        {
            return ErrorCode.NoNode;
        }
        body = new ExistsResponse(node.Stat);
        return ErrorCode.Ok;
    }

    private ErrorCode GetData(SessionState session, string path, bool watch, out GetDataResponse response)
    {
        response = default;
        var error = ReadableNode(session, path, out var node);
        if (error != ErrorCode.Ok)
        {
            return error;
        }
        if (watch)
        {
            _watches.Add(path, WatchKinds.Data, session.Connection.Id);
        }
        response = new GetDataResponse(AsArray(node.Data), node.Stat);
        return ErrorCode.Ok;
    }

    private ErrorCode GetChildren(SessionState session, string path, bool watch, out IReadOnlyList<string> children, out Stat stat)
    {
        children = [];
        var error = ReadableNode(session, path, out var node);
        stat = node.Stat;
        if (error != ErrorCode.Ok)
        {
            return error;
        }
        if (watch)
        {
            _watches.Add(path, WatchKinds.Child, session.Connection.Id);
        }
        Tree.TryGetChildren(path, out children);
        return ErrorCode.Ok;
    }

    private ErrorCode GetAcl(SessionState session, string path, out IJuteWritable? body)
    {
        body = null;
        if (PathValidator.Validate(path) is not null)
        {
            return ErrorCode.BadArguments;
        }
        if (!Tree.TryGetNode(path, out var node))
        {
            return ErrorCode.NoNode;
        }
        bool admin = AclCheck.Allows(node.Acl, Perms.Admin, session.Auth);
        if (!admin && !AclCheck.Allows(node.Acl, Perms.Read, session.Auth))
        {
            return ErrorCode.NoAuth;
        }
        // Without ADMIN, digest ids are shown without their password hashes, as ZooKeeper does.
        var acl = admin ? node.Acl : [.. node.Acl.Select(MaskDigest)];
        body = new GetAclResponse(acl, node.Stat);
        return ErrorCode.Ok;
    }

    /// <summary>As ZooKeeper's whoAmI names an identity: a digest id by its user name alone.</summary>
    private static ClientInfo ClientInfoOf(Id id)
    {
        int colon = id.Identity.IndexOf(':', StringComparison.Ordinal);
        return new ClientInfo(id.Scheme, id.Scheme == "digest" && colon >= 0 ? id.Identity[..colon] : id.Identity);
    }

    private static Acl MaskDigest(Acl entry)
    {
        if (entry.Id.Scheme != "digest")
        {
            return entry;
        }
        int colon = entry.Id.Identity.IndexOf(':', StringComparison.Ordinal);
        return entry with { Id = new Id("digest", (colon < 0 ? entry.Id.Identity : entry.Id.Identity[..colon]) + ":x") };
    }

    private ErrorCode ReadableNode(SessionState session, string path, out NodeView node)
    {
        node = default;
        if (PathValidator.Validate(path) is not null)
        {
            return ErrorCode.BadArguments;
        }
        if (!Tree.TryGetNode(path, out node))
        {
            return ErrorCode.NoNode;
        }
        return AclCheck.Allows(node.Acl, Perms.Read, session.Auth) ? ErrorCode.Ok : ErrorCode.NoAuth;
    }

    private MultiResponse MultiRead(SessionState session, MultiRequest request)
    {
        var results = new Colony.Coordination.Protocol.OpResult[request.Ops.Count];
        for (int i = 0; i < results.Length; i++)
        {
            switch (request.Ops[i].Request)
            {
                case GetDataRequest r:
                    var error = GetData(session, r.Path, r.Watch, out var data);
                    results[i] = error == ErrorCode.Ok ? new GetDataResult(data.Data, data.Stat) : new ErrorResult(error);
                    break;
                case GetChildrenRequest r:
                    error = GetChildren(session, r.Path, r.Watch, out var children, out _);
                    results[i] = error == ErrorCode.Ok ? new GetChildrenResult(children) : new ErrorResult(error);
                    break;
                default:
                    results[i] = new ErrorResult(ErrorCode.Unimplemented);
                    break;
            }
        }
        return new MultiResponse(results);
    }

    private void SetWatches(SessionState session, long relativeZxid, IReadOnlyList<string> data, IReadOnlyList<string> exist,
        IReadOnlyList<string> child, IReadOnlyList<string> persistent, IReadOnlyList<string> recursive)
    {
        var fired = _watches.SetWatches(relativeZxid, data, exist, child, persistent, recursive, session.Connection.Id, _treeView);
        foreach (var notification in fired)
        {
            session.Connection.Send(new ReplyHeader(SpecialXid.Notification, -1, ErrorCode.Ok),
                new WatcherEvent(notification.Type, KeeperState.SyncConnected, notification.Path), completesRequest: false);
        }
    }

    /// <summary>The tree's bytes without a copy when they fill their array (the tree never mutates data in place).</summary>
    private static byte[]? AsArray(ReadOnlyMemory<byte>? data)
    {
        if (data is not { } bytes)
        {
            return null;
        }
        return MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToArray();
    }

    /// <summary>The tree as the watch manager's re-registration rules see it.</summary>
    private sealed class TreeView(DataTree tree) : IWatchTreeView
    {
        public bool TryGetStat(string path, out Stat stat)
        {
            bool found = tree.TryGetNode(path, out var node);
            stat = node.Stat;
            return found;
        }
    }
}
