using Colony.Core;

namespace Colony.Storage.Namespace;

/// <summary>
/// One change to the namespace, as it travels through the log. Paths are carried as text and validated
/// on apply (an invalid one is an <see cref="FsError.InvalidPath"/> result, the same on every node).
/// Times are unix milliseconds stamped by the leader when it proposes.
/// </summary>
public abstract record NamespaceCommand
{
    private protected NamespaceCommand()
    {
    }

    /// <summary><c>mkdir -p</c>: creates missing directories; existing ones are fine, a file on the way is not.</summary>
    public sealed record Mkdirs(string Path, string Owner, string Group, ushort Mode, long Time) : NamespaceCommand;

    /// <summary>Creates a file under construction, leased to <paramref name="Holder"/>.</summary>
    public sealed record Create(
        string Path, string Holder, string Owner, string Group, ushort Mode, short Replication, long BlockSize,
        bool Overwrite, bool CreateParent, long Time) : NamespaceCommand;

    /// <summary>Allocates the next block of a file under construction. Targets are the leader's placement, echoed back.</summary>
    public sealed record AddBlock(string Path, string Holder, IReadOnlyList<NodeId> Targets, long Time) : NamespaceCommand
    {
        public bool Equals(AddBlock? other) =>
            other is not null && Path == other.Path && Holder == other.Holder && Time == other.Time && Targets.SequenceEqual(other.Targets);

        public override int GetHashCode() => HashCode.Combine(Path, Holder, Time, Targets.Count);
    }

    /// <summary>Commits the file's last block at its final length and checksum.</summary>
    public sealed record CommitBlock(string Path, string Holder, BlockVersion Block, long Length, uint Checksum) : NamespaceCommand;

    /// <summary>Gives the last, uncommitted block a new generation stamp, for a rebuilt write pipeline.</summary>
    public sealed record UpdatePipeline(string Path, string Holder, BlockId Block) : NamespaceCommand;

    /// <summary>Drops the file's last, uncommitted block.</summary>
    public sealed record AbandonBlock(string Path, string Holder, BlockId Block) : NamespaceCommand;

    /// <summary>Closes a file whose blocks are all committed.</summary>
    public sealed record Complete(string Path, string Holder, long Time) : NamespaceCommand;

    /// <summary>Renews every lease the holder has.</summary>
    public sealed record RenewLease(string Holder, long Time) : NamespaceCommand;

    /// <summary>Closes a file whose writer has gone, with its committed blocks only.</summary>
    public sealed record RecoverLease(string Path, long Time) : NamespaceCommand;

    /// <summary>Moves a file or directory, atomically.</summary>
    public sealed record Rename(string Source, string Destination, bool Overwrite, long Time) : NamespaceCommand;

    /// <summary>Deletes a file or directory (a non-empty one only when recursive).</summary>
    public sealed record Delete(string Path, bool Recursive, long Time) : NamespaceCommand;

    public sealed record SetReplication(string Path, short Replication) : NamespaceCommand;

    public sealed record SetPermission(string Path, ushort Mode) : NamespaceCommand;

    /// <summary>Sets the owner and group; a null one is left as it is.</summary>
    public sealed record SetOwner(string Path, string? Owner, string? Group) : NamespaceCommand;

    /// <summary>Sets modification and access times; a negative one is left as it is.</summary>
    public sealed record SetTimes(string Path, long ModificationTime, long AccessTime) : NamespaceCommand;

    /// <summary>
    /// Moves a path into <c>/.Trash/&lt;User&gt;/&lt;Time&gt;/&lt;path&gt;</c>, creating the directories, in
    /// one step: a delete that can be undone until the trash is expired.
    /// </summary>
    public sealed record MoveToTrash(string Path, string User, long Time) : NamespaceCommand;

    /// <summary>Deletes every trash checkpoint older than <paramref name="Before"/>.</summary>
    public sealed record ExpireTrash(long Before) : NamespaceCommand;

    /// <summary>
    /// Starts (<paramref name="Decommissioning"/> true) or ends draining data node <paramref name="Node"/>. In the
    /// replicated state, so every leader after the one that took the request carries the drain on.
    /// </summary>
    public sealed record SetDecommissioning(NodeId Node, bool Decommissioning) : NamespaceCommand;
}
