namespace Colony.Coordination.Commands;

/// <summary>
/// One coordination operation as the log carries it: the client's request (or the leader's decision),
/// not yet validated. Apply validates it against the tree, so every node reaches the same result.
/// Byte arrays are kept, not copied: don't change one after handing it over.
/// </summary>
public abstract record Op
{
    private protected Op()
    {
    }

    public abstract OperationKind Kind { get; }

    /// <summary>True for the operations a multi may hold: create, delete, setData and check.</summary>
    public bool IsMultiOp => Kind is OperationKind.Create or OperationKind.Delete or OperationKind.SetData or OperationKind.Check;

    /// <summary>
    /// Creates a node. <paramref name="TtlMs"/> is the TTL for the TTL modes and must be negative
    /// (ZooKeeper sends −1) for every other mode. A sequential mode appends the parent's child version.
    /// Null data is kept as null, as ZooKeeper keeps it.
    /// </summary>
    public sealed record Create(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, CreateMode Mode, long TtlMs = -1) : Op
    {
        public override OperationKind Kind => OperationKind.Create;
    }

    /// <summary>Deletes a childless node; <paramref name="Version"/> −1 matches any version.</summary>
    public sealed record Delete(string Path, int Version = -1) : Op
    {
        public override OperationKind Kind => OperationKind.Delete;
    }

    /// <summary>Replaces a node's data; <paramref name="Version"/> −1 matches any version.</summary>
    public sealed record SetData(string Path, byte[]? Data, int Version = -1) : Op
    {
        public override OperationKind Kind => OperationKind.SetData;
    }

    /// <summary>Replaces a node's ACL; <paramref name="AclVersion"/> −1 matches any ACL version.</summary>
    public sealed record SetAcl(string Path, IReadOnlyList<Acl> Acl, int AclVersion = -1) : Op
    {
        public override OperationKind Kind => OperationKind.SetAcl;
    }

    /// <summary>Fails unless the node exists (and has <paramref name="Version"/>, unless it is −1).</summary>
    public sealed record Check(string Path, int Version = -1) : Op
    {
        public override OperationKind Kind => OperationKind.Check;
    }

    /// <summary>Create, delete, setData and check operations that apply all together or not at all.</summary>
    public sealed record Multi(IReadOnlyList<Op> Ops) : Op
    {
        public override OperationKind Kind => OperationKind.Multi;
    }

    /// <summary>Opens a session; the proposer chose the id, negotiated the timeout and made the password.</summary>
    public sealed record CreateSession(long SessionId, int TimeoutMs, byte[] Password) : Op
    {
        public override OperationKind Kind => OperationKind.CreateSession;
    }

    /// <summary>Ends a session and deletes its ephemerals: a client's close or the leader's expiry.</summary>
    public sealed record CloseSession(long SessionId) : Op
    {
        public override OperationKind Kind => OperationKind.CloseSession;
    }

    /// <summary>
    /// Makes the proposing node the session's owner: a client resumed it there. Carries the password,
    /// so a client that only knows the id cannot take a session away from its owner.
    /// </summary>
    public sealed record MoveSession(long SessionId, byte[] Password) : Op
    {
        public override OperationKind Kind => OperationKind.MoveSession;
    }

    /// <summary>
    /// Reports that these sessions were heard from; changes nothing. It carries followers' session
    /// liveness to the leader in log order.
    /// </summary>
    public sealed record TouchSessions(IReadOnlyList<long> SessionIds) : Op
    {
        public override OperationKind Kind => OperationKind.TouchSessions;
    }

    /// <summary>The leader's cleanup of a container that had children and has none left.</summary>
    public sealed record DeleteContainer(string Path) : Op
    {
        public override OperationKind Kind => OperationKind.DeleteContainer;
    }

    /// <summary>The leader's cleanup of a childless TTL node whose TTL has run out since its last change.</summary>
    public sealed record DeleteExpiredTtl(string Path) : Op
    {
        public override OperationKind Kind => OperationKind.DeleteExpiredTtl;
    }

    /// <summary>Changes nothing; once a node has applied it, it has applied everything before it.</summary>
    public sealed record Sync(string Path) : Op
    {
        public override OperationKind Kind => OperationKind.Sync;
    }

    /// <summary>
    /// The cluster's rewrite of <c>/zookeeper/config</c> after its membership changed: the server lines
    /// (see <see cref="Reconfig.DynamicConfig"/>); the tree appends the version line, the zxid that applies it.
    /// </summary>
    public sealed record SetConfig(byte[] Servers) : Op
    {
        public override OperationKind Kind => OperationKind.SetConfig;
    }
}
