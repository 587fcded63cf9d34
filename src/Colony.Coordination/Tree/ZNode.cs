namespace Colony.Coordination.Tree;

/// <summary>A node as a reader sees it. <see cref="Data"/> is null if the node was given null data, as ZooKeeper keeps it.</summary>
public readonly record struct NodeView(ReadOnlyMemory<byte>? Data, Stat Stat, IReadOnlyList<Acl> Acl);

/// <summary>A node of the tree: its data, ACL, the persisted part of its Stat, and its children's names.</summary>
internal sealed class ZNode
{
    public byte[]? Data;
    public Acl[] Acl = [];
    public long Czxid;
    public long Mzxid;
    public long Ctime;
    public long Mtime;
    public int Version;
    public int Cversion;

    /// <summary>
    /// Children ever created here: the next sequential suffix. ZooKeeper's cversion also counts
    /// deletes, its suffix does not, so the two are kept apart.
    /// </summary>
    public int ChildrenCreated;
    public int Aversion;
    public long EphemeralOwner;
    public long Pzxid;

    /// <summary>The children's names, ordinal-sorted; null until the first child, since most nodes are leaves.</summary>
    public SortedSet<string>? Children;

    public int ChildCount => Children?.Count ?? 0;

    public int DataLength => Data?.Length ?? 0;

    public Stat Stat => new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion, Aversion, EphemeralOwner, DataLength, ChildCount, Pzxid);

    public NodeKind Kind => Tree.EphemeralOwner.KindOf(EphemeralOwner);

    public void AddChild(string name) => (Children ??= new SortedSet<string>(StringComparer.Ordinal)).Add(name);

    public void RemoveChild(string name)
    {
        if (Children is not null && Children.Remove(name) && Children.Count == 0)
        {
            Children = null;
        }
    }
}
