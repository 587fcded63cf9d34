namespace Colony.Coordination.Tree;

/// <summary>Something a command changed that watches may care about.</summary>
public readonly record struct WatchTrigger(string Path, EventType Type)
{
    public override string ToString() => $"{Type} {Path}";
}

/// <summary>
/// The outcome of one operation: its code and, on success, what ZooKeeper replies with — the created
/// path (create), the node's new Stat (create, setData, setACL).
/// </summary>
public readonly record struct OpResult(ErrorCode Error, string? Path = null, Stat? Stat = null)
{
    public static readonly OpResult Ok = new(ErrorCode.Ok);
}

/// <summary>
/// What applying one <see cref="Commands.CoordinationCommand"/> did. The same on every node: errors are
/// results too, decided from the replicated state alone.
/// </summary>
public sealed class CoordinationResult
{
    private static readonly WatchTrigger[] NoTriggers = [];

    internal CoordinationResult(
        ErrorCode error,
        long zxid,
        OpResult op,
        IReadOnlyList<OpResult>? multi = null,
        IReadOnlyList<string>? deletedPaths = null,
        IReadOnlyList<WatchTrigger>? triggers = null,
        IReadOnlyList<string>? softQuotaExceeded = null)
    {
        SoftQuotaExceeded = softQuotaExceeded ?? [];
        Error = error;
        Zxid = zxid;
        Op = op;
        Multi = multi ?? [];
        DeletedPaths = deletedPaths ?? [];
        Triggers = triggers ?? NoTriggers;
    }

    /// <summary>The command's code; for a failed multi, the failing operation's code.</summary>
    public ErrorCode Error { get; }

    public bool IsOk => Error == ErrorCode.Ok;

    /// <summary>
    /// The zxid the command was applied at (every command takes the next one, failed ones too), or for
    /// <see cref="Commands.Op.TouchSessions"/>, <see cref="Commands.Op.Sync"/> and
    /// <see cref="Commands.Op.MoveSession"/>, which take none, the last zxid before them.
    /// </summary>
    public long Zxid { get; }

    /// <summary>The single operation's result (for a multi, just its overall code).</summary>
    public OpResult Op { get; }

    /// <summary>
    /// A multi's per-operation results. On failure every operation has an error: those before the
    /// failing one Ok, the failing one its code, later ones RuntimeInconsistency. Empty if the multi was
    /// rejected as a whole (too many ops) and for every other operation.
    /// </summary>
    public IReadOnlyList<OpResult> Multi { get; }

    /// <summary>The ephemerals a session close deleted, in the order deleted (ordinal path order).</summary>
    public IReadOnlyList<string> DeletedPaths { get; }

    /// <summary>Quota'd paths whose soft limit this command went over (it was applied all the same).</summary>
    public IReadOnlyList<string> SoftQuotaExceeded { get; }

    /// <summary>What changed, in order: the watch manager turns these into notifications.</summary>
    public IReadOnlyList<WatchTrigger> Triggers { get; }

    public override string ToString() => $"{Error} @{Zxid:x}";
}
