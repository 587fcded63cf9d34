using Colony.Coordination.Commands;
using Colony.Coordination.Security;

namespace Colony.Coordination.Tree;

/// <remarks>
/// Validation, split from the change itself as ZooKeeper splits prep from apply: each operation is
/// checked against a scratch overlay of the tree (which a multi's earlier operations have already
/// changed) and turns into a <see cref="Txn"/> that cannot fail. Only when every operation passes are
/// the txns committed, so a multi applies entirely or not at all. The checks run in ZooKeeper's order,
/// so the first failing rule decides the code just as it would there.
/// </remarks>
public sealed partial class DataTree
{
    /// <summary>A validated change, ready to commit.</summary>
    private abstract record Txn(string Path);

    private sealed record CreateTxn(string Path, byte[]? Data, Acl[] Acl, long Owner) : Txn(Path);

    private sealed record DeleteTxn(string Path) : Txn(Path);

    private sealed record SetDataTxn(string Path, byte[]? Data, int Version) : Txn(Path);

    private sealed record SetAclTxn(string Path, Acl[] Acl, int Aversion) : Txn(Path);

    private sealed record CheckTxn(string Path) : Txn(Path);

    /// <summary>What validation needs to know of a node: its Stat (children counted) and its ACL.</summary>
    private sealed record PendingNode(Stat Stat, IReadOnlyList<Acl> Acl, int ChildrenCreated = 0);

    /// <summary>The tree as earlier operations of the same command would leave it. A null entry is a deleted node.</summary>
    private sealed class Overlay(DataTree tree)
    {
        private readonly Dictionary<string, PendingNode?> _changes = new(StringComparer.Ordinal);

        public PendingNode? Get(string path)
        {
            if (_changes.TryGetValue(path, out var pending))
            {
                return pending;
            }
            return tree._nodes.TryGetValue(path, out var node) ? new PendingNode(node.Stat, node.Acl, node.ChildrenCreated) : null;
        }

        public void Set(string path, PendingNode? node) => _changes[path] = node;

        private Dictionary<string, (long Count, long Bytes)>? _quotaDeltas;

        /// <summary>Quotas a prepared change went over softly: reported, not refused.</summary>
        public List<string>? SoftQuotaExceeded { get; private set; }

        /// <summary>What earlier operations of this command added under the quota on <paramref name="owner"/>.</summary>
        public (long Count, long Bytes) QuotaDelta(string owner) => _quotaDeltas?.GetValueOrDefault(owner) ?? default;

        public void AddQuotaDelta(string owner, long count, long bytes)
        {
            _quotaDeltas ??= new(StringComparer.Ordinal);
            var (c, b) = _quotaDeltas.GetValueOrDefault(owner);
            _quotaDeltas[owner] = (c + count, b + bytes);
        }

        public void ReportSoftQuota(string owner) => (SoftQuotaExceeded ??= []).Add(owner);
    }

    /// <summary>QuotaExceeded for a hard limit; a soft limit is only noted in the overlay.</summary>
    private ErrorCode CheckQuota(string path, long countDelta, long bytesDelta, Overlay overlay)
    {
        switch (MeasureQuota(path, countDelta, bytesDelta, overlay, out string? owner))
        {
            case QuotaVerdict.OverHardLimit:
                return ErrorCode.QuotaExceeded;
            case QuotaVerdict.OverSoftLimit:
                overlay.ReportSoftQuota(owner!);
                break;
        }
        return ErrorCode.Ok;
    }

    private ErrorCode Prepare(CoordinationCommand command, Op op, Overlay overlay, long zxid, out Txn? txn)
    {
        txn = null;
        return op switch
        {
            Op.Create create => PrepareCreate(command, create, overlay, zxid, out txn),
            Op.Delete delete => PrepareDelete(command, delete, overlay, zxid, out txn),
            Op.SetData setData => PrepareSetData(command, setData, overlay, zxid, out txn),
            Op.SetAcl setAcl => PrepareSetAcl(command, setAcl, overlay, out txn),
            Op.Check check => PrepareCheck(command, check, overlay, out txn),
            // Only reachable through the API: the codec never lets another kind into a multi.
            _ => ErrorCode.BadArguments,
        };
    }

    private ErrorCode PrepareCreate(CoordinationCommand command, Op.Create op, Overlay overlay, long zxid, out Txn? txn)
    {
        txn = null;
        if (op.Data?.Length > Limits.MaxDataBytes || !op.Mode.IsDefined())
        {
            return ErrorCode.BadArguments;
        }
        if (op.Mode.IsTtl() ? !EphemeralOwner.IsValidTtl(op.TtlMs) : op.TtlMs >= 0)
        {
            return ErrorCode.BadArguments;
        }
        // The cluster (session 0) may create, but an ephemeral needs a session to own it.
        var sessionCode = op.Mode.IsEphemeral() && !EphemeralOwner.IsValidSessionId(command.SessionId)
            ? ErrorCode.SessionExpired
            : CheckSession(command);
        if (sessionCode != ErrorCode.Ok)
        {
            return sessionCode;
        }
        string path = op.Path;
        int slash = path.LastIndexOf('/');
        if (slash < 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            return ErrorCode.BadArguments;
        }
        if (!TryFixupAcl(op.Acl, command.Auth, out var acl))
        {
            return ErrorCode.InvalidAcl;
        }
        string parentPath = slash == 0 ? RootPath : path[..slash];
        var parent = overlay.Get(parentPath);
        if (parent is null)
        {
            return ErrorCode.NoNode;
        }
        if (!AclCheck.Allows(parent.Acl, Perms.Create, command.Auth))
        {
            return ErrorCode.NoAuth;
        }
        if (op.Mode.IsSequential())
        {
            path += SequentialSuffix(parent.ChildrenCreated);
        }
        if (PathValidator.Validate(path) is not null || path.Length > Limits.MaxPathLength)
        {
            return ErrorCode.BadArguments;
        }
        if (overlay.Get(path) is not null)
        {
            return ErrorCode.NodeExists;
        }
        if (EphemeralOwner.KindOf(parent.Stat.EphemeralOwner) == NodeKind.Ephemeral)
        {
            return ErrorCode.NoChildrenForEphemerals;
        }
        if (CheckQuota(path, 1, op.Data?.Length ?? 0, overlay) is var quota and not ErrorCode.Ok)
        {
            return quota;
        }
        long owner = op.Mode switch
        {
            CreateMode.Container => EphemeralOwner.Container,
            _ when op.Mode.IsTtl() => EphemeralOwner.ForTtl(op.TtlMs),
            _ when op.Mode.IsEphemeral() => command.SessionId,
            _ => 0,
        };
        var parentStat = parent.Stat with
        {
            Cversion = unchecked(parent.Stat.Cversion + 1),
            Pzxid = zxid,
            NumChildren = parent.Stat.NumChildren + 1,
        };
        overlay.Set(parentPath, parent with { Stat = parentStat, ChildrenCreated = unchecked(parent.ChildrenCreated + 1) });
        var stat = new Stat(zxid, zxid, command.TimeMs, command.TimeMs, 0, 0, 0, owner, op.Data?.Length ?? 0, 0, zxid);
        overlay.Set(path, new PendingNode(stat, acl));
        txn = new CreateTxn(path, op.Data, acl, owner);
        return ErrorCode.Ok;
    }

    private ErrorCode PrepareDelete(CoordinationCommand command, Op.Delete op, Overlay overlay, long zxid, out Txn? txn)
    {
        txn = null;
        if (CheckSession(command) is var sessionCode and not ErrorCode.Ok)
        {
            return sessionCode;
        }
        if (!TryParentForDelete(op.Path, out string parentPath))
        {
            return ErrorCode.BadArguments;
        }
        var parent = overlay.Get(parentPath);
        if (parent is null)
        {
            return ErrorCode.NoNode;
        }
        if (!AclCheck.Allows(parent.Acl, Perms.Delete, command.Auth))
        {
            return ErrorCode.NoAuth;
        }
        var node = overlay.Get(op.Path);
        if (node is null)
        {
            return ErrorCode.NoNode;
        }
        if (!VersionMatches(op.Version, node.Stat.Version))
        {
            return ErrorCode.BadVersion;
        }
        if (node.Stat.NumChildren > 0)
        {
            return ErrorCode.NotEmpty;
        }
        overlay.Set(parentPath, parent with { Stat = parent.Stat with { Cversion = unchecked(parent.Stat.Cversion + 1), Pzxid = zxid, NumChildren = parent.Stat.NumChildren - 1 } });
        overlay.Set(op.Path, null);
        if (QuotaOwnerOf(op.Path) is { } quotaOwner)
        {
            overlay.AddQuotaDelta(quotaOwner, -1, -node.Stat.DataLength);
        }
        txn = new DeleteTxn(op.Path);
        return ErrorCode.Ok;
    }

    private ErrorCode PrepareSetData(CoordinationCommand command, Op.SetData op, Overlay overlay, long zxid, out Txn? txn)
    {
        txn = null;
        if (op.Data?.Length > Limits.MaxDataBytes)
        {
            return ErrorCode.BadArguments;
        }
        var error = ExistingNode(command, op.Path, op.Version, Perms.Write, overlay, out var node);
        if (error != ErrorCode.Ok)
        {
            return error;
        }
        if (CheckQuota(op.Path, 0, (op.Data?.Length ?? 0) - node.Stat.DataLength, overlay) is var quota and not ErrorCode.Ok)
        {
            return quota;
        }
        int version = NextVersion(node.Stat.Version);
        var stat = node.Stat with { Version = version, Mtime = command.TimeMs, Mzxid = zxid, DataLength = op.Data?.Length ?? 0 };
        overlay.Set(op.Path, node with { Stat = stat });
        txn = new SetDataTxn(op.Path, op.Data, version);
        return ErrorCode.Ok;
    }

    private ErrorCode PrepareSetAcl(CoordinationCommand command, Op.SetAcl op, Overlay overlay, out Txn? txn)
    {
        txn = null;
        if (CheckSession(command) is var sessionCode and not ErrorCode.Ok)
        {
            return sessionCode;
        }
        if (!PathValidator.IsValid(op.Path))
        {
            return ErrorCode.BadArguments;
        }
        if (!TryFixupAcl(op.Acl, command.Auth, out var acl))
        {
            return ErrorCode.InvalidAcl;
        }
        var node = overlay.Get(op.Path);
        if (node is null)
        {
            return ErrorCode.NoNode;
        }
        if (!AclCheck.Allows(node.Acl, Perms.Admin, command.Auth))
        {
            return ErrorCode.NoAuth;
        }
        if (!VersionMatches(op.AclVersion, node.Stat.Aversion))
        {
            return ErrorCode.BadVersion;
        }
        int aversion = NextVersion(node.Stat.Aversion);
        overlay.Set(op.Path, new PendingNode(node.Stat with { Aversion = aversion }, acl));
        txn = new SetAclTxn(op.Path, acl, aversion);
        return ErrorCode.Ok;
    }

    private ErrorCode PrepareCheck(CoordinationCommand command, Op.Check op, Overlay overlay, out Txn? txn)
    {
        txn = null;
        var error = ExistingNode(command, op.Path, op.Version, Perms.Read, overlay, out _);
        if (error != ErrorCode.Ok)
        {
            return error;
        }
        txn = new CheckTxn(op.Path);
        return ErrorCode.Ok;
    }

    /// <summary>
    /// The checks setData and check share, in ZooKeeper's order: a live session, a valid path, an
    /// existing node, the permission, then the version.
    /// </summary>
    private ErrorCode ExistingNode(CoordinationCommand command, string path, int version, Perms perm, Overlay overlay, out PendingNode node)
    {
        node = null!;
        if (CheckSession(command) is var sessionCode and not ErrorCode.Ok)
        {
            return sessionCode;
        }
        if (!PathValidator.IsValid(path))
        {
            return ErrorCode.BadArguments;
        }
        if (overlay.Get(path) is not { } found)
        {
            return ErrorCode.NoNode;
        }
        node = found;
        if (!AclCheck.Allows(node.Acl, perm, command.Auth))
        {
            return ErrorCode.NoAuth;
        }
        return VersionMatches(version, node.Stat.Version) ? ErrorCode.Ok : ErrorCode.BadVersion;
    }

    /// <summary>
    /// A client's operation needs its session to be live (SessionExpired) and to be proposed by the
    /// node its client is connected to (SessionMoved), as ZooKeeper's leader checks a session's
    /// owner. The second rule fences a connection the client has left: a write still in flight
    /// there must not be applied after what the client does next through its new node. Session 0
    /// is the cluster itself (cleanup, expiry), which needs neither.
    /// </summary>
    private ErrorCode CheckSession(CoordinationCommand command)
    {
        if (command.SessionId == 0)
        {
            return ErrorCode.Ok;
        }
        if (!_sessions.TryGet(command.SessionId, out var session))
        {
            return ErrorCode.SessionExpired;
        }
        return session.IsOwnedBy(command.OriginNode) ? ErrorCode.Ok : ErrorCode.SessionMoved;
    }

    private bool TryFixupAcl(IReadOnlyList<Acl> requested, IReadOnlyList<Id> auth, out Acl[] acl)
    {
        acl = [];
        if (requested is null || requested.Count > Limits.MaxAclEntries || !AclFixup.TryFixup(requested, auth, out var fixedUp)
            || fixedUp.Count > Limits.MaxAclEntries)
        {
            return false;
        }
        acl = [.. fixedUp];
        return true;
    }

    /// <summary>The parent of a path a delete names, or false if it may not be deleted (ZooKeeper's BadArguments).</summary>
    private static bool TryParentForDelete(string path, out string parentPath)
    {
        int slash = path.LastIndexOf('/');
        parentPath = slash <= 0 ? RootPath : path[..slash];
        return slash >= 0 && !path.Contains('\0', StringComparison.Ordinal) && !IsSpecialPath(path);
    }

    private static bool VersionMatches(int expected, int actual) => expected == -1 || expected == actual;

    // As ZooKeeper: versions wrap like Java ints, but never to −1, which means "any version".
    private static int NextVersion(int current)
    {
        int next = unchecked(current + 1);
        return next == -1 ? 0 : next;
    }
}
