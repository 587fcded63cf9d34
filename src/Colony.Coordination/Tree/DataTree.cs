using System.Globalization;
using Colony.Coordination.Commands;

namespace Colony.Coordination.Tree;

/// <summary>
/// ZooKeeper's data tree and session table as a deterministic replicated state machine. Commands go in
/// through <see cref="Apply"/> in log order; every node computes the same state and the same results.
/// The read side (<see cref="TryGetNode"/> and friends) serves the local server. Not thread-safe: the
/// node's apply loop owns it, and reads run on that loop too.
/// </summary>
public sealed partial class DataTree
{
    /// <summary>The paths ZooKeeper creates at start and never lets a client delete.</summary>
    public const string RootPath = "/";

    public const string ZooKeeperPath = "/zookeeper";
    public const string QuotaPath = "/zookeeper/quota";
    public const string ConfigPath = "/zookeeper/config";

    private readonly Dictionary<string, ZNode> _nodes = new(StringComparer.Ordinal);
    private readonly SessionTable _sessions = new();
    private readonly SortedSet<string> _containers = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _ttlNodes = new(StringComparer.Ordinal);

    public DataTree(TreeLimits? limits = null)
    {
        Limits = (limits ?? TreeLimits.Default).Validate();
        Reset();
    }

    public TreeLimits Limits { get; }

    /// <summary>The zxid of the last command applied; 0 in a new tree. Only ever grows.</summary>
    public long LastZxid { get; private set; }

    /// <summary>How many nodes the tree holds, the root included.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Sum of path lengths and data lengths over all nodes, as ZooKeeper estimates its data size.</summary>
    public long ApproximateDataSize { get; private set; }

    public int SessionCount => _sessions.Count;

    public int EphemeralCount => _sessions.EphemeralCount;

    /// <summary>The live sessions, by ascending id.</summary>
    public IEnumerable<SessionInfo> Sessions => _sessions.All.Select(s => SessionTable.Describe(s.Key, s.Value));

    /// <summary>The node at <paramref name="path"/>, if there is one.</summary>
    public bool TryGetNode(string path, out NodeView node)
    {
        if (path is not null && _nodes.TryGetValue(path, out var found))
        {
            // Not a conditional expression: the null literal would convert to an empty ReadOnlyMemory through byte[].
            ReadOnlyMemory<byte>? data = null;
            if (found.Data is not null)
            {
                data = found.Data;
            }
            node = new NodeView(data, found.Stat, found.Acl);
            return true;
        }
        node = default;
        return false;
    }

    /// <summary>True if a node exists at <paramref name="path"/>.</summary>
    public bool Exists(string path) => path is not null && _nodes.ContainsKey(path);

    /// <summary>
    /// The names of the node's children in ordinal order. ZooKeeper promises no order; a fixed one makes
    /// replies reproducible.
    /// </summary>
    public bool TryGetChildren(string path, out IReadOnlyList<string> children)
    {
        if (path is not null && _nodes.TryGetValue(path, out var node))
        {
            children = node.Children is null ? [] : [.. node.Children];
            return true;
        }
        children = [];
        return false;
    }

    /// <summary>How many nodes lie below <paramref name="path"/> at any depth (0 if there is no such node).</summary>
    public int GetAllChildrenNumber(string path)
    {
        if (path == RootPath)
        {
            return _nodes.Count - 1;
        }
        return path is not null && _nodes.TryGetValue(path, out var node) ? CountDescendants(path, node) : 0;
    }

    private int CountDescendants(string path, ZNode node)
    {
        if (node.Children is null)
        {
            return 0;
        }
        int count = 0;
        foreach (var name in node.Children)
        {
            string child = ChildPath(path, name);
            count += 1 + CountDescendants(child, _nodes[child]);
        }
        return count;
    }

    /// <summary>
    /// The session's ephemerals whose path starts with <paramref name="prefixPath"/> (all of them for
    /// null, blank or "/"), in ordinal order.
    /// </summary>
    public IReadOnlyList<string> GetEphemerals(long sessionId, string? prefixPath = null)
    {
        if (!_sessions.TryGet(sessionId, out var session))
        {
            return [];
        }
        string prefix = prefixPath?.Trim() ?? "";
        if (prefix.Length == 0 || prefix == RootPath)
        {
            return [.. session.Ephemerals];
        }
        return session.Ephemerals.Where(p => p.StartsWith(prefixPath!, StringComparison.Ordinal)).ToArray();
    }

    public bool SessionExists(long sessionId) => _sessions.Contains(sessionId);

    public bool TryGetSession(long sessionId, out SessionInfo session)
    {
        if (_sessions.TryGet(sessionId, out var found))
        {
            session = SessionTable.Describe(sessionId, found);
            return true;
        }
        session = null!;
        return false;
    }

    /// <summary>True if the session exists and <paramref name="password"/> is its password (compared in constant time).</summary>
    public bool CheckSessionPassword(long sessionId, ReadOnlySpan<byte> password) => _sessions.CheckPassword(sessionId, password);

    /// <summary>
    /// Containers the leader should delete: no children now, and a child once (cversion ≠ 0), so a
    /// container created just before a sweep survives until it is used.
    /// </summary>
    public IReadOnlyList<string> EmptyContainers() =>
        _containers.Where(p => IsDeletableContainer(_nodes[p])).ToArray();

    /// <summary>Childless TTL nodes unchanged for longer than their TTL at <paramref name="nowMs"/>.</summary>
    public IReadOnlyList<string> ExpiredTtlNodes(long nowMs) =>
        _ttlNodes.Where(p => IsExpiredTtl(_nodes[p], nowMs)).ToArray();

    private static bool IsDeletableContainer(ZNode node) =>
        node.Kind == NodeKind.Container && node.ChildCount == 0 && node.Cversion != 0;

    // As ZooKeeper: expired once strictly more than the TTL has passed since the last change.
    private static bool IsExpiredTtl(ZNode node, long nowMs) =>
        node.Kind == NodeKind.Ttl && node.ChildCount == 0 && nowMs - node.Mtime > EphemeralOwner.TtlOf(node.EphemeralOwner);

    /// <summary>True for the nodes no client may delete: the root and ZooKeeper's own nodes.</summary>
    public static bool IsSpecialPath(string path) =>
        path is RootPath or ZooKeeperPath or QuotaPath or ConfigPath;

    /// <summary>A sequential node's suffix: the parent's cversion as ZooKeeper's "%010d" formats it, sign included.</summary>
    public static string SequentialSuffix(int cversion) =>
        cversion >= 0
            ? cversion.ToString("D10", CultureInfo.InvariantCulture)
            : "-" + (-(long)cversion).ToString("D9", CultureInfo.InvariantCulture);

    private static string ChildPath(string parent, string name) => parent == RootPath ? "/" + name : parent + "/" + name;

    private static long NodeSize(string path, byte[]? data) => path.Length + (data?.Length ?? 0);

    /// <summary>Empties the tree back to ZooKeeper's initial nodes and no sessions.</summary>
    private void Reset()
    {
        _nodes.Clear();
        _sessions.Clear();
        _containers.Clear();
        _ttlNodes.Clear();
        _quotas.Clear();
        ApproximateDataSize = 0;
        LastZxid = 0;
        var open = Acl.OpenUnsafe.ToArray();
        // A fresh ZooKeeper server reports cversion −1 for "/" and −2 for /zookeeper (the sequential
        // suffixes of their children still start at 0: those count creations, see ZNode.ChildrenCreated).
        AddInitial(RootPath, open, aversion: 0, cversion: -1);
        AddInitial(ZooKeeperPath, open, aversion: 0, cversion: -2);
        AddInitial(QuotaPath, open, aversion: 0, cversion: 0);
        // ZooKeeper sets the config node's ACL after creating it with version −1, leaving aversion −1.
        AddInitial(ConfigPath, Acl.ReadUnsafe.ToArray(), aversion: -1, cversion: 0);
    }

    private void AddInitial(string path, Acl[] acl, int aversion, int cversion)
    {
        var node = new ZNode { Data = [], Acl = acl, Aversion = aversion, Cversion = cversion };
        if (path != RootPath)
        {
            _nodes[PathValidator.ParentOf(path)].AddChild(PathValidator.NameOf(path));
        }
        _nodes.Add(path, node);
        ApproximateDataSize += NodeSize(path, node.Data);
    }
}
