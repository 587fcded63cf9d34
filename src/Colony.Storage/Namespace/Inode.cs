using Colony.Core;

namespace Colony.Storage.Namespace;

public enum BlockState : byte
{
    /// <summary>Allocated and being written; its length and checksum are not final.</summary>
    UnderConstruction = 1,

    /// <summary>Written: length and checksum are final.</summary>
    Committed = 2,
}

public enum FileState : byte
{
    /// <summary>Open for writing by its lease holder.</summary>
    UnderConstruction = 1,
    Complete = 2,
}

/// <summary>One block of a file as the namespace records it. Checksum is the CRC-32C of the block's bytes.</summary>
public readonly record struct FileBlock(BlockVersion Version, long Length, uint Checksum, BlockState State)
{
    public BlockId Id => Version.Id;

    public GenerationStamp Stamp => Version.Stamp;
}

/// <summary>A directory or file. Mutated only by <see cref="NamespaceTree"/> while applying commands.</summary>
public abstract class Inode
{
    private protected Inode(string name, string owner, string group, ushort mode, long time)
    {
        Name = name;
        Owner = owner;
        Group = group;
        Mode = mode;
        ModificationTime = time;
        AccessTime = time;
    }

    public string Name { get; internal set; }

    public DirectoryInode? Parent { get; internal set; }

    public string Owner { get; internal set; }

    public string Group { get; internal set; }

    /// <summary>Unix permission bits, e.g. 0755.</summary>
    public ushort Mode { get; internal set; }

    public long ModificationTime { get; internal set; }

    public long AccessTime { get; internal set; }

    public abstract bool IsDirectory { get; }

    /// <summary>The absolute path, walked up from here.</summary>
    public FsPath Path
    {
        get
        {
            if (Parent is null)
            {
                return FsPath.Root;
            }
            var names = new Stack<string>();
            for (Inode? node = this; node?.Parent is not null; node = node.Parent)
            {
                names.Push(node.Name);
            }
            return FsPath.Parse("/" + string.Join('/', names));
        }
    }
}

public sealed class DirectoryInode : Inode
{
    internal DirectoryInode(string name, string owner, string group, ushort mode, long time)
        : base(name, owner, group, mode, time)
    {
    }

    public override bool IsDirectory => true;

    /// <summary>Children by name, in ordinal order so listings and snapshots are deterministic.</summary>
    internal SortedDictionary<string, Inode> Children { get; } = new(StringComparer.Ordinal);

    public int ChildCount => Children.Count;
}

public sealed class FileInode : Inode
{
    internal FileInode(string name, string owner, string group, ushort mode, long time, short replication, long blockSize)
        : base(name, owner, group, mode, time)
    {
        Replication = replication;
        BlockSize = blockSize;
    }

    public override bool IsDirectory => false;

    public short Replication { get; internal set; }

    public long BlockSize { get; internal set; }

    internal List<FileBlock> BlockList { get; } = [];

    public IReadOnlyList<FileBlock> Blocks => BlockList;

    public FileState State { get; internal set; } = FileState.UnderConstruction;

    /// <summary>The client writing the file while it is under construction.</summary>
    public string? LeaseHolder { get; internal set; }

    /// <summary>When the lease was taken or last renewed (unix ms).</summary>
    public long LeaseTime { get; internal set; }

    /// <summary>
    /// True if lease recovery closed the file, dropping an unfinished last block: the file may be shorter
    /// than its writer meant. Kept so tools can say so.
    /// </summary>
    public bool ClosedByRecovery { get; internal set; }

    /// <summary>The sum of the committed blocks' lengths.</summary>
    public long Length
    {
        get
        {
            long length = 0;
            foreach (var block in BlockList)
            {
                if (block.State == BlockState.Committed)
                {
                    length += block.Length;
                }
            }
            return length;
        }
    }
}
