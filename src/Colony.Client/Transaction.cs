using Colony.Coordination;
using Colony.Coordination.Protocol;

namespace Colony.Client;

/// <summary>
/// Operations to apply atomically with one multi request:
/// <c>client.Transaction().Create(…).SetData(…).Delete(…).Check(…).CommitAsync()</c>.
/// Each call validates its path at once. A transaction is not thread-safe; commit it once.
/// </summary>
public sealed class Transaction
{
    private readonly ZooKeeperClient client;
    private readonly List<MultiOp> ops = [];
    private readonly List<string> paths = [];

    internal Transaction(ZooKeeperClient client)
    {
        this.client = client;
    }

    public int Count => ops.Count;

    /// <summary>Creates a node; its result is a <see cref="CreateResult"/> with the created path.</summary>
    public Transaction Create(string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode = CreateMode.Persistent, long? ttl = null)
    {
        ZooKeeperClient.ValidateCreate(path, acl, mode, ttl);
        return Add(path, client.CreateOp(path, data, acl, mode, ttl, withStat: false));
    }

    public Transaction Delete(string path, int version = -1)
    {
        ZooKeeperPath.Validate(path);
        return Add(path, new MultiOp(OpCode.Delete, new DeleteRequest(client.ServerPath(path), version)));
    }

    public Transaction SetData(string path, byte[]? data, int version = -1)
    {
        ZooKeeperPath.Validate(path);
        return Add(path, new MultiOp(OpCode.SetData, new SetDataRequest(client.ServerPath(path), data, version)));
    }

    /// <summary>Fails the transaction unless the node exists with this version (-1: exists at any version).</summary>
    public Transaction Check(string path, int version)
    {
        ZooKeeperPath.Validate(path);
        return Add(path, new MultiOp(OpCode.Check, new CheckVersionRequest(client.ServerPath(path), version)));
    }

    /// <summary>
    /// Applies every operation or none. Returns one result per operation, in order
    /// (<see cref="CreateResult"/>/<see cref="Create2Result"/>, <see cref="DeleteResult"/>,
    /// <see cref="SetDataResult"/>, <see cref="CheckResult"/>); when one fails, throws
    /// <see cref="TransactionFailedException"/> carrying them all.
    /// </summary>
    public Task<IReadOnlyList<OpResult>> CommitAsync(CancellationToken cancellationToken = default) =>
        client.CommitAsync([.. ops], [.. paths], cancellationToken);

    private Transaction Add(string path, MultiOp op)
    {
        ops.Add(op);
        paths.Add(path);
        return this;
    }
}

/// <summary>One read of <see cref="ZooKeeperClient.MultiReadAsync"/>.</summary>
public readonly record struct ReadOp(string Path, bool Children)
{
    public static ReadOp GetData(string path) => new(path, false);

    public static ReadOp GetChildren(string path) => new(path, true);
}

/// <summary>
/// A transaction was not applied because operation <see cref="FailedIndex"/> failed with
/// <see cref="ZooKeeperException.Code"/>. <see cref="Results"/> has one entry per operation:
/// <see cref="ErrorResult"/>s, Ok before the failure and RuntimeInconsistency after it.
/// </summary>
public sealed class TransactionFailedException(ErrorCode code, string? path, int failedIndex, IReadOnlyList<OpResult> results)
    : ZooKeeperException(code, path, $"Transaction operation {failedIndex} failed with {code} ({(int)code}){(path is null ? "" : $" for {path}")}; nothing was applied.")
{
    public int FailedIndex { get; } = failedIndex;

    public IReadOnlyList<OpResult> Results { get; } = results;
}
