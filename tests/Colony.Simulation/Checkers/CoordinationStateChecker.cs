using Colony.Consensus;
using Colony.Consensus.StateMachine;
using Colony.Coordination.Commands;
using Colony.Coordination.Tree;
using Colony.Core;

namespace Colony.Simulation.Checkers;

/// <summary>
/// State-machine safety for the coordination module. Nodes at the same applied index must hold the
/// same tree: compared by a fingerprint of everything the tree shows (<see cref="ContentFingerprint"/>)
/// at every <see cref="SamplePeriod"/>-th index a node applies and at every snapshot restore and
/// restart, and by a fingerprint of the snapshot bytes (<see cref="SnapshotFingerprint"/>) over the
/// quiet cluster at the end. And a tree's zxid must equal the number of zxid-taking commands in the
/// log up to its applied index, checked at every apply (it is one lookup).
/// </summary>
internal sealed class CoordinationStateChecker
{
    /// <summary>Every how many indexes a node's tree is fingerprinted as it applies (hashing the whole tree is not free).</summary>
    public const ulong SamplePeriod = 32;

    private readonly Dictionary<ulong, (ulong Fingerprint, NodeId Node)> _fingerprints = [];

    // The zxid a tree must hold after applying each index: the log's running count of commands that take one.
    private readonly Dictionary<ulong, long> _zxidAfter = new() { [0] = 0 };
    private readonly MemoryStream _buffer = new();

    public Violation? OnApplied(NodeId node, in Entry entry, DataTree tree, long now)
    {
        if (!_zxidAfter.ContainsKey(entry.Index) && _zxidAfter.TryGetValue(entry.Index - 1, out long before))
        {
            _zxidAfter.Add(entry.Index, before + ZxidsTaken(entry));
        }
        return CheckZxid(node, entry.Index, tree, now)
            ?? (entry.Index % SamplePeriod == 0 ? Compare(node, entry.Index, tree, now) : null);
    }

    /// <summary>A node restored a snapshot (from its disk at a restart, or from the leader).</summary>
    public Violation? OnRestored(NodeId node, ulong index, DataTree tree, long now) =>
        CheckZxid(node, index, tree, now) ?? Compare(node, index, tree, now);

    /// <summary>The end-of-run invariants of one node's tree: every ephemeral's owner session exists and counts it.</summary>
    public static Violation? CheckTree(NodeId node, DataTree tree, long now)
    {
        var owned = new Dictionary<long, int>();
        var pending = new Stack<string>([DataTree.RootPath]);
        while (pending.TryPop(out string? path))
        {
            Invariant.Check(tree.TryGetNode(path, out var view), "the tree lists {0} as a child but holds no such node", path);
            tree.TryGetChildren(path, out var children);
            long owner = view.Stat.EphemeralOwner;
            if (EphemeralOwner.KindOf(owner) == NodeKind.Ephemeral)
            {
                if (!tree.SessionExists(owner))
                {
                    return new Violation(ViolationKind.StateMachineSafety,
                        $"node {node}: ephemeral {path} belongs to session 0x{owner:x}, which does not exist", now);
                }
                owned[owner] = owned.GetValueOrDefault(owner) + 1;
            }
            foreach (string child in children)
            {
                pending.Push(path == DataTree.RootPath ? "/" + child : path + "/" + child);
            }
        }
        foreach (var session in tree.Sessions)
        {
            if (session.EphemeralCount != owned.GetValueOrDefault(session.SessionId))
            {
                return new Violation(ViolationKind.StateMachineSafety,
                    $"node {node}: session 0x{session.SessionId:x} counts {session.EphemeralCount} ephemerals but owns {owned.GetValueOrDefault(session.SessionId)}", now);
            }
        }
        return null;
    }

    /// <summary>A fingerprint of the tree's snapshot bytes: equal trees write equal bytes.</summary>
    public ulong SnapshotFingerprint(DataTree tree)
    {
        _buffer.SetLength(0);
        tree.WriteSnapshot(_buffer);
        return Fingerprint.Add(Fingerprint.Seed, _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length));
    }

    /// <summary>
    /// A fingerprint of what the tree shows through its read side: zxid, sessions (owners included),
    /// and every node's path, data, Stat and ACL. Everything the snapshot holds but each parent's
    /// count of children ever created, and far cheaper to take than a snapshot, so it is the one
    /// taken as nodes apply.
    /// </summary>
    public static ulong ContentFingerprint(DataTree tree)
    {
        ulong hash = Fingerprint.Add(Fingerprint.Seed, (ulong)tree.LastZxid);
        foreach (var session in tree.Sessions)
        {
            hash = Fingerprint.Add(Fingerprint.Add(hash, (ulong)session.SessionId), (ulong)session.TimeoutMs);
            hash = Fingerprint.Add(Fingerprint.Add(hash, session.Password.Span), (ulong)session.EphemeralCount);
            hash = Fingerprint.Add(hash, session.Owner);
        }
        var pending = new Stack<string>([DataTree.RootPath]);
        while (pending.TryPop(out string? path))
        {
            tree.TryGetNode(path, out var node);
            hash = Fingerprint.Add(hash, path);
            hash = node.Data is { } data ? Fingerprint.Add(Fingerprint.Add(hash, (ulong)data.Length), data.Span) : Fingerprint.Add(hash, ulong.MaxValue);
            var stat = node.Stat;
            foreach (long field in (ReadOnlySpan<long>)[stat.Czxid, stat.Mzxid, stat.Ctime, stat.Mtime, stat.Version, stat.Cversion,
                stat.Aversion, stat.EphemeralOwner, stat.DataLength, stat.NumChildren, stat.Pzxid])
            {
                hash = Fingerprint.Add(hash, (ulong)field);
            }
            foreach (var acl in node.Acl)
            {
                hash = Fingerprint.Add(Fingerprint.Add(Fingerprint.Add(hash, (ulong)acl.Perms), acl.Id.Scheme), acl.Id.Identity);
            }
            tree.TryGetChildren(path, out var children);
            foreach (string child in children)
            {
                pending.Push(path == DataTree.RootPath ? "/" + child : path + "/" + child);
            }
        }
        return hash;
    }

    private Violation? Compare(NodeId node, ulong index, DataTree tree, long now)
    {
        ulong fingerprint = ContentFingerprint(tree);
        if (!_fingerprints.TryGetValue(index, out var first))
        {
            _fingerprints.Add(index, (fingerprint, node));
            return null;
        }
        return first.Fingerprint == fingerprint
            ? null
            : new Violation(ViolationKind.StateMachineSafety,
                $"nodes {first.Node} and {node} both applied up to {index} but hold different coordination trees", now);
    }

    private Violation? CheckZxid(NodeId node, ulong index, DataTree tree, long now) =>
        _zxidAfter.TryGetValue(index, out long expected) && tree.LastZxid != expected
            ? new Violation(ViolationKind.StateMachineSafety,
                $"node {node} applied up to {index}, whose log takes {expected} zxids, but its tree is at zxid {tree.LastZxid}", now)
            : null;

    /// <summary>The zxids an entry's commands take: one per coordination command but touches, syncs and session moves.</summary>
    private static long ZxidsTaken(in Entry entry)
    {
        if (entry.Type != EntryType.Normal)
        {
            return 0;
        }
        long taken = 0;
        var reader = new CommandBatchReader(entry.Data.Span);
        while (reader.TryReadNext(out var module, out var command))
        {
            if (module == ModuleId.Coordination
                && CoordinationCommand.Decode(command).Operation.Kind is not (OperationKind.TouchSessions or OperationKind.Sync or OperationKind.MoveSession))
            {
                taken++;
            }
        }
        return taken;
    }
}
