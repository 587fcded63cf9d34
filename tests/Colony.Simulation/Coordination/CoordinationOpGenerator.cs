using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Tree;
using Colony.Core;
using Colony.Simulation.Cluster;

namespace Colony.Simulation.Coordination;

/// <summary>
/// Draws coordination operations from the seed: creates of every mode, deletes and setData with and
/// without versions, multis (some bound to fail), session closes and moves (a client resuming its
/// session through another node, now and then with a wrong password), the leader's container and
/// TTL cleanups, touches and syncs. Paths come from a small fixed namespace, so operations collide, or
/// from a walk down a node's current tree, so deletes, versions and cleanups often hit something
/// real. Reading a node's tree only steers the draws; the run stays a function of the seed.
/// </summary>
internal sealed class CoordinationOpGenerator(IRandomSource random)
{
    // Arguments evaluate left to right: a version is drawn right after its path, for that path.
    private string? _lastPath;

    // "/q" and "q" are there for containers: a container only goes once it has had a child.
    private static readonly string[] Parents = ["", "/a", "/b", "/a/b", "/q"];
    private static readonly string[] Names = ["a", "b", "q", "n0", "n1", "n2"];

    // Weights of the create modes: the plain ones most, every other one often enough to matter.
    private static readonly (CreateMode Mode, int Weight)[] Modes =
    [
        (CreateMode.Persistent, 6),
        (CreateMode.Ephemeral, 4),
        (CreateMode.PersistentSequential, 2),
        (CreateMode.EphemeralSequential, 2),
        (CreateMode.Container, 3),
        (CreateMode.PersistentWithTtl, 2),
        (CreateMode.PersistentSequentialWithTtl, 1),
    ];

    /// <summary>A new session: id and password from the seed, the id valid as an ephemeral owner.</summary>
    public Op.CreateSession NewSession()
    {
        // The top byte clear keeps the id clear of the container and TTL encodings; never 0.
        long id = (long)(random.NextUInt64() >> 8) | 1;
        var password = new byte[16];
        FillRandom(password);
        return new Op.CreateSession(id, random.Next(4_000, 40_001), password);
    }

    /// <summary>
    /// The next operation of a client holding <paramref name="session"/> (whose password is
    /// <paramref name="password"/>) at <paramref name="nowMs"/>; <paramref name="view"/> steers path choice.
    /// </summary>
    public Op Next(long session, byte[] password, SimNode? view, long nowMs)
    {
        var tree = view?.Tree;
        int roll = random.Next(100);
        return roll switch
        {
            < 32 => Create(),
            < 47 => new Op.SetData(PickPath(tree), Data(), PickVersion(tree)),
            < 60 => new Op.Delete(PickPath(tree), PickVersion(tree)),
            < 74 => Multi(tree),
            < 82 => new Op.DeleteContainer(PickCandidate(tree?.EmptyContainers(), tree)),
            < 89 => new Op.DeleteExpiredTtl(PickCandidate(tree?.ExpiredTtlNodes(nowMs), tree)),
            < 91 => new Op.TouchSessions([session]),
            // The client resumes its session on another node (the client picks which), which becomes its owner.
            < 95 => new Op.MoveSession(session, random.Next(8) == 0 ? [.. password.Reverse()] : password),
            < 97 => new Op.Sync(PickPath(tree)),
            _ => new Op.CloseSession(session),
        };
    }

    private Op.Create Create()
    {
        var mode = PickMode();
        string path = Parents[random.Next(Parents.Length)] + "/" + Names[random.Next(Names.Length)];
        // TTLs short enough to run out within a run; now and then an invalid one, which apply rejects.
        long ttl = mode.IsTtl() ? (random.Next(20) == 0 ? 0 : random.Next(1, 2_000)) : -1;
        return new Op.Create(path, Data(), Acl.OpenUnsafe, mode, ttl);
    }

    private Op.Multi Multi(DataTree? tree)
    {
        var ops = new Op[random.Next(1, 5)];
        for (int i = 0; i < ops.Length; i++)
        {
            ops[i] = random.Next(4) switch
            {
                0 => Create(),
                1 => new Op.Delete(PickPath(tree), PickVersion(tree)),
                2 => new Op.SetData(PickPath(tree), Data(), PickVersion(tree)),
                _ => new Op.Check(PickPath(tree), PickVersion(tree)),
            };
        }
        return new Op.Multi(ops);
    }

    private CreateMode PickMode()
    {
        int roll = random.Next(Modes.Sum(mode => mode.Weight));
        foreach (var (mode, weight) in Modes)
        {
            if (roll < weight)
            {
                return mode;
            }
            roll -= weight;
        }
        return CreateMode.Persistent;
    }

    /// <summary>A path: half the time one that exists on the view (a walk down from the root), else one from the fixed namespace.</summary>
    private string PickPath(DataTree? tree)
    {
        string path = tree is not null && random.Next(2) == 0
            ? Walk(tree)
            : Parents[random.Next(Parents.Length)] + "/" + Names[random.Next(Names.Length)];
        _lastPath = path;
        return path;
    }

    private string Walk(DataTree tree)
    {
        string path = DataTree.RootPath;
        while (tree.TryGetChildren(path, out var children) && children.Count > 0)
        {
            string child = (path == DataTree.RootPath ? "/" : path + "/") + children[random.Next(children.Count)];
            if (child == DataTree.ZooKeeperPath && random.Next(4) != 0)
            {
                continue;
            }
            path = child;
            if (random.Next(3) == 0)
            {
                break;
            }
        }
        return path == DataTree.RootPath ? "/a" : path;
    }

    private string PickCandidate(IReadOnlyList<string>? candidates, DataTree? tree) =>
        candidates is { Count: > 0 } && random.Next(4) != 0 ? candidates[random.Next(candidates.Count)] : PickPath(tree);

    /// <summary>−1 (any version) half the time; else the last picked path's version on the view, sometimes off by one.</summary>
    private int PickVersion(DataTree? tree)
    {
        if (random.Next(2) == 0)
        {
            return -1;
        }
        int version = _lastPath is { } path && tree is not null && tree.TryGetNode(path, out var node) ? node.Stat.Version : 0;
        return random.Next(4) == 0 ? version + 1 : version;
    }

    private byte[]? Data()
    {
        if (random.Next(10) == 0)
        {
            return null;
        }
        var data = new byte[random.Next(0, 24)];
        FillRandom(data);
        return data;
    }

    private void FillRandom(Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)random.Next(256);
        }
    }
}
