using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

/// <summary>Feeds commands to a tree with a default session, clock and identity, so tests read as the operations they make.</summary>
internal sealed class TreeDriver
{
    public const long DefaultSession = 0x0100_0000_0000_0001;

    /// <summary>The node every command comes from unless a test says otherwise: the owner of the sessions it opens.</summary>
    public const ulong Origin = 7;

    public TreeDriver(TreeLimits? limits = null, bool openDefaultSession = true)
    {
        Tree = new DataTree(limits);
        if (openDefaultSession)
        {
            Expect(ErrorCode.Ok, Run(new Op.CreateSession(DefaultSession, 30_000, [1, 2, 3]), session: 0));
        }
    }

    public DataTree Tree { get; }

    public long TimeMs { get; set; } = 1_700_000_000_000;

    public IReadOnlyList<Id> Auth { get; set; } = [];

    public CoordinationResult Run(Op op, long session = DefaultSession, IReadOnlyList<Id>? auth = null, ulong origin = Origin) =>
        Tree.Apply(new CoordinationCommand(origin, session, 1, TimeMs, auth ?? Auth, op));

    public CoordinationResult Create(
        string path,
        byte[]? data = null,
        CreateMode mode = CreateMode.Persistent,
        IReadOnlyList<Acl>? acl = null,
        long ttlMs = -1,
        long session = DefaultSession) =>
        Run(new Op.Create(path, data ?? [], acl ?? Acl.OpenUnsafe, mode, ttlMs), session);

    public string CreateOk(string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, long ttlMs = -1)
    {
        var result = Create(path, data, mode, acl, ttlMs);
        Expect(ErrorCode.Ok, result);
        return result.Op.Path!;
    }

    public CoordinationResult Delete(string path, int version = -1) => Run(new Op.Delete(path, version));

    public CoordinationResult SetData(string path, byte[]? data, int version = -1) => Run(new Op.SetData(path, data, version));

    public Stat StatOf(string path)
    {
        Assert.True(Tree.TryGetNode(path, out var node), $"{path} should exist");
        return node.Stat;
    }

    public static void Expect(ErrorCode code, CoordinationResult result) =>
        Assert.True(result.Error == code, $"expected {code}, got {result.Error}");
}
