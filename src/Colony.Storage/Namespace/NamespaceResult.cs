using Colony.Core;

namespace Colony.Storage.Namespace;

/// <summary>
/// What applying one <see cref="NamespaceCommand"/> did, the same on every node: errors are results too,
/// decided from the replicated state alone. Only the fields the command fills are set.
/// </summary>
public sealed record NamespaceResult
{
    private NamespaceResult(FsError error, string? message)
    {
        Error = error;
        Message = message;
    }

    public FsError Error { get; }

    /// <summary>A sentence for the client when the command failed.</summary>
    public string? Message { get; }

    public bool IsOk => Error == FsError.None;

    /// <summary>AddBlock: the new block; UpdatePipeline: the block with its new stamp.</summary>
    public FileBlock? Block { get; init; }

    /// <summary>AddBlock: the targets it was proposed with.</summary>
    public IReadOnlyList<NodeId> Targets { get; init; } = [];

    /// <summary>
    /// Delete, ExpireTrash, Create with overwrite, Rename with overwrite, AbandonBlock, RecoverLease: the
    /// block versions that no longer belong to any file, so their replicas can be deleted at once.
    /// </summary>
    public IReadOnlyList<BlockVersion> FreedBlocks { get; init; } = [];

    /// <summary>Delete, ExpireTrash: how many files went.</summary>
    public long FilesDeleted { get; init; }

    /// <summary>MoveToTrash: where the path went. Rename: the final destination.</summary>
    public string? Path { get; init; }

    /// <summary>RenewLease: how many files' leases were renewed.</summary>
    public int LeasesRenewed { get; init; }

    internal static NamespaceResult Ok() => new(FsError.None, null);

    internal static NamespaceResult Fail(FsError error, string message) => new(error, message);

    public override string ToString() => IsOk ? "ok" : $"{Error}: {Message}";
}
