using Colony.Core;

namespace Colony.Storage.Namespace;

/// <summary>What <c>stat</c> and <c>ls</c> show of one inode.</summary>
public sealed record FileStatus(
    string Path, bool IsDirectory, long Length, short Replication, long BlockSize, string Owner, string Group,
    ushort Mode, long ModificationTime, long AccessTime, FileState State, string? LeaseHolder, bool ClosedByRecovery,
    int ChildCount, int BlockCount);

/// <summary>A committed block of a file and where it starts in the file.</summary>
public readonly record struct LocatedBlock(FileBlock Block, long Offset);

/// <summary>The blocks covering a byte range of a file, plus the block still being written, if any.</summary>
public sealed record BlockRange(long FileLength, IReadOnlyList<LocatedBlock> Blocks, FileBlock? UnderConstruction, bool IsComplete);

/// <summary>What <c>du</c>/<c>count</c> show: totals of a subtree. SpaceConsumed counts every replica.</summary>
public readonly record struct ContentSummary(long Files, long Directories, long Bytes, long SpaceConsumed);

/// <summary>A block the namespace knows, with the replication its file asks for.</summary>
public readonly record struct CatalogBlock(FileBlock Block, short Replication, FileInode? File)
{
    /// <summary>The owning file's path (walked on demand: cheap enough for reports, not for hot loops).</summary>
    public string Path => File?.Path.Value ?? "?";
}

/// <summary>The namespace as the repair planner sees it: which block versions should exist, and how many times.</summary>
public interface IBlockCatalog
{
    bool TryGetBlock(BlockId id, out CatalogBlock block);

    /// <summary>Every block of every file, in increasing id order.</summary>
    IEnumerable<CatalogBlock> AllBlocks();
}
