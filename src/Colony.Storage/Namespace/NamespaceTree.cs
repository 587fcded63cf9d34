using Colony.Core;

namespace Colony.Storage.Namespace;

/// <summary>
/// The replicated file-system namespace: directories, files, their blocks and write leases, and the
/// block-id and generation-stamp counters. Changed only by <see cref="Apply"/>, which is deterministic;
/// read by the leader to answer metadata requests and by the repair planner.
/// </summary>
public sealed partial class NamespaceTree : IBlockCatalog
{
    /// <summary>The root of the trash; see <see cref="NamespaceCommand.MoveToTrash"/>.</summary>
    public const string TrashRoot = "/.Trash";

    private readonly Dictionary<BlockId, FileInode> _blocks = [];
    private readonly Dictionary<string, HashSet<FileInode>> _leases = new(StringComparer.Ordinal);
    private readonly SortedSet<NodeId> _decommissioning = [];

    public NamespaceTree(NamespaceLimits? limits = null)
    {
        Limits = (limits ?? NamespaceLimits.Default).Validate();
        Root = NewRoot();
    }

    public NamespaceLimits Limits { get; }

    public DirectoryInode Root { get; private set; }

    /// <summary>The id the next allocated block gets. Ids are never reused.</summary>
    public ulong NextBlockId { get; private set; } = 1;

    /// <summary>The stamp the next allocated or re-stamped block gets.</summary>
    public ulong NextGenerationStamp { get; private set; } = 1;

    /// <summary>Files and directories, the root aside.</summary>
    public long InodeCount { get; private set; }

    public long FileCount { get; private set; }

    public int BlockCount => _blocks.Count;

    /// <summary>
    /// Data nodes an administrator asked to drain (<see cref="NamespaceCommand.SetDecommissioning"/>), in id order.
    /// Whether one is drained yet is not stored: each leader works that out from the block reports.
    /// </summary>
    public IReadOnlyCollection<NodeId> Decommissioning => _decommissioning;

    /// <summary>The inode at <paramref name="path"/>, or null.</summary>
    public Inode? Find(FsPath path)
    {
        Inode node = Root;
        foreach (string name in path.Components)
        {
            if (node is not DirectoryInode dir || !dir.Children.TryGetValue(name, out var child))
            {
                return null;
            }
            node = child;
        }
        return node;
    }

    public Inode? Find(string path) => FsPath.TryParse(path, out var parsed, out _) ? Find(parsed) : null;

    /// <summary>The status of one path, or null if it does not exist.</summary>
    public FileStatus? Stat(string path) => Find(path) is { } node ? StatusOf(node) : null;

    /// <summary>A directory's children in ordinal name order, or a file's own status; null if it does not exist.</summary>
    public IReadOnlyList<FileStatus>? List(string path) => Find(path) switch
    {
        null => null,
        DirectoryInode dir => dir.Children.Values.Select(StatusOf).ToArray(),
        var file => [StatusOf(file)],
    };

    /// <summary>The committed blocks that overlap [offset, offset + length) of a file; null if it is not a file.</summary>
    public BlockRange? GetBlockLocations(string path, long offset, long length)
    {
        if (Find(path) is not FileInode file || offset < 0 || length < 0)
        {
            return null;
        }
        var located = new List<LocatedBlock>();
        long start = 0;
        FileBlock? underConstruction = null;
        foreach (var block in file.BlockList)
        {
            if (block.State != BlockState.Committed)
            {
                underConstruction = block;
                continue;
            }
            long end = start + block.Length;
            if (end > offset && start < offset + length)
            {
                located.Add(new LocatedBlock(block, start));
            }
            start = end;
        }
        return new BlockRange(start, located, underConstruction, file.State == FileState.Complete);
    }

    /// <summary>Totals of the subtree at <paramref name="path"/>, or null if it does not exist.</summary>
    public ContentSummary? Summarize(string path)
    {
        if (Find(path) is not { } node)
        {
            return null;
        }
        long files = 0, dirs = 0, bytes = 0, space = 0;
        foreach (var inode in Walk(node))
        {
            if (inode is FileInode file)
            {
                files++;
                long length = file.Length;
                bytes += length;
                space += length * file.Replication;
            }
            else
            {
                dirs++;
            }
        }
        return new ContentSummary(files, dirs, bytes, space);
    }

    /// <summary>Files under construction whose lease was last renewed before <paramref name="before"/>, by path.</summary>
    public IReadOnlyList<FsPath> ExpiredLeases(long before) =>
        _leases.Values.SelectMany(files => files).Where(f => f.LeaseTime < before).Select(f => f.Path)
            .OrderBy(p => p.Value, StringComparer.Ordinal).ToArray();

    /// <summary>Whether any trash checkpoint is named for a time before <paramref name="before"/>: an ExpireTrash would free something.</summary>
    public bool HasTrashBefore(long before) =>
        Find(TrashRoot) is DirectoryInode trash
        && trash.Children.Values.OfType<DirectoryInode>().Any(user =>
            user.Children.Values.Any(checkpoint => CheckpointTime(checkpoint.Name) is { } time && time < before));

    /// <summary>The files <paramref name="holder"/> holds leases on, by path.</summary>
    public IReadOnlyList<FsPath> LeasesOf(string holder) =>
        _leases.TryGetValue(holder, out var files)
            ? files.Select(f => f.Path).OrderBy(p => p.Value, StringComparer.Ordinal).ToArray()
            : [];

    public bool TryGetBlock(BlockId id, out CatalogBlock block)
    {
        if (_blocks.TryGetValue(id, out var file))
        {
            foreach (var candidate in file.BlockList)
            {
                if (candidate.Id == id)
                {
                    block = new CatalogBlock(candidate, file.Replication, file);
                    return true;
                }
            }
        }
        block = default;
        return false;
    }

    public IEnumerable<CatalogBlock> AllBlocks()
    {
        foreach (var id in _blocks.Keys.Order().ToArray())
        {
            if (TryGetBlock(id, out var block))
            {
                yield return block;
            }
        }
    }

    /// <summary>Every inode of the subtree at <paramref name="top"/>, parents before children, children in name order.</summary>
    public static IEnumerable<Inode> Walk(Inode top)
    {
        var stack = new Stack<Inode>();
        stack.Push(top);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            if (node is DirectoryInode dir)
            {
                foreach (var child in dir.Children.Values.Reverse())
                {
                    stack.Push(child);
                }
            }
        }
    }

    private static FileStatus StatusOf(Inode node) => node switch
    {
        FileInode f => new FileStatus(f.Path.Value, false, f.Length, f.Replication, f.BlockSize, f.Owner, f.Group, f.Mode,
            f.ModificationTime, f.AccessTime, f.State, f.LeaseHolder, f.ClosedByRecovery, 0, f.BlockList.Count),
        DirectoryInode d => new FileStatus(d.Path.Value, true, 0, 0, 0, d.Owner, d.Group, d.Mode,
            d.ModificationTime, d.AccessTime, FileState.Complete, null, false, d.Children.Count, 0),
        _ => throw new InvalidOperationException("unknown inode kind"),
    };

    private static DirectoryInode NewRoot() => new("", "root", "root", 0x1ED /* 0755 */, 0);
}
