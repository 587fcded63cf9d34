namespace Colony.Storage.Namespace;

/// <summary>The permission bits an operation needs, as in a POSIX mode's rwx triple.</summary>
[Flags]
public enum FsAccess
{
    None = 0,
    Execute = 1,
    Write = 2,
    Read = 4,
    ReadExecute = Read | Execute,
    WriteExecute = Write | Execute,
    All = Read | Write | Execute,
}

/// <summary>
/// Who is asking: a user, the groups it is in, and whether it is the superuser (the cluster token or an
/// admin token), for whom no permission check applies.
/// </summary>
public sealed record FsCaller(string User, IReadOnlyList<string> Groups, bool IsSuperuser)
{
    /// <summary>A caller with no token: only the "other" bits apply to it.</summary>
    public static FsCaller Anonymous { get; } = new("anonymous", [], false);

    public bool InGroup(string group) => Groups.Contains(group, StringComparer.Ordinal);
}

/// <summary>
/// What one call needs, in HDFS's terms: <see cref="Ancestor"/> on the nearest existing ancestor of the path
/// (creating directories), <see cref="Parent"/> on its parent (creating, deleting or renaming an entry),
/// <see cref="Target"/> on the path itself, <see cref="Subtree"/> on every directory below it (recursive
/// deletes, summaries), and <see cref="Owner"/>: the caller must own the path. Every existing directory on
/// the way needs x as well.
/// </summary>
public readonly record struct FsPermissionCheck(
    FsAccess Ancestor = FsAccess.None, FsAccess Parent = FsAccess.None, FsAccess Target = FsAccess.None,
    FsAccess Subtree = FsAccess.None, bool Owner = false, bool StickyParent = false);

/// <summary>
/// POSIX-style permission checks over the namespace, as HDFS makes them: owner bits for the owner, else group
/// bits for a member of the file's group, else the other bits; the superuser passes every check. Pure: the
/// leader calls it before it proposes, against the state it has applied.
/// </summary>
public static class FsPermissions
{
    /// <summary>The sticky bit: in such a directory only an entry's owner, the directory's owner or the superuser may delete or rename the entry.</summary>
    public const ushort Sticky = 0x200; // 01000

    /// <summary>Null when <paramref name="caller"/> may do what <paramref name="check"/> says at <paramref name="path"/>; else why not.</summary>
    public static string? Check(NamespaceTree tree, FsCaller caller, string path, FsPermissionCheck check)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsSuperuser || !FsPath.TryParse(path, out var parsed, out _))
        {
            return null; // an invalid path is the operation's own error
        }
        // The inodes from the root down to the deepest one that exists.
        string[] names = parsed.Components;
        var chain = new List<Inode> { tree.Root };
        foreach (string name in names)
        {
            if (chain[^1] is not DirectoryInode dir || !dir.Children.TryGetValue(name, out var child))
            {
                break;
            }
            chain.Add(child);
        }
        bool exists = chain.Count == names.Length + 1;
        Inode? target = exists ? chain[^1] : null;
        int parentIndex = names.Length - 1;
        Inode? parent = parentIndex >= 0 && parentIndex < chain.Count ? chain[parentIndex] : null;
        // Traversal: x on every existing directory above the target.
        int above = exists ? chain.Count - 1 : chain.Count;
        for (int i = 0; i < above; i++)
        {
            if (chain[i] is DirectoryInode dir && Denied(caller, dir, FsAccess.Execute) is { } why)
            {
                return why;
            }
        }
        if (check.Ancestor != FsAccess.None)
        {
            var ancestor = chain[exists ? Math.Max(0, chain.Count - 2) : chain.Count - 1];
            if (Denied(caller, ancestor, check.Ancestor) is { } why)
            {
                return why;
            }
        }
        if (check.Parent != FsAccess.None && parent is not null && Denied(caller, parent, check.Parent) is { } parentWhy)
        {
            return parentWhy;
        }
        if (target is null)
        {
            return null; // the operation itself reports the missing path
        }
        if (check.StickyParent && parent is not null && (parent.Mode & Sticky) != 0
            && caller.User != target.Owner && caller.User != parent.Owner)
        {
            return $"{parsed.Value}: the sticky bit on {parent.Path.Value} lets only {target.Owner} or {parent.Owner} remove or rename it";
        }
        if (check.Owner && caller.User != target.Owner)
        {
            return $"{parsed.Value}: only its owner ({target.Owner}) or the superuser may change it";
        }
        if (check.Target != FsAccess.None && Denied(caller, target, check.Target) is { } targetWhy)
        {
            return targetWhy;
        }
        if (check.Subtree != FsAccess.None && target is DirectoryInode top)
        {
            foreach (var inode in NamespaceTree.Walk(top))
            {
                if (inode is DirectoryInode dir && Denied(caller, dir, check.Subtree) is { } why)
                {
                    return why;
                }
            }
        }
        return null;
    }

    /// <summary>The rwx bits that apply to <paramref name="caller"/> on <paramref name="inode"/>.</summary>
    public static FsAccess Granted(FsCaller caller, Inode inode)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(inode);
        int shift = caller.User == inode.Owner ? 6 : caller.InGroup(inode.Group) ? 3 : 0;
        return (FsAccess)((inode.Mode >> shift) & 7);
    }

    private static string? Denied(FsCaller caller, Inode inode, FsAccess wanted) =>
        (Granted(caller, inode) & wanted) == wanted
            ? null
            : $"{caller.User} may not {Describe(wanted)} {inode.Path.Value} ({inode.Owner}:{inode.Group} {ModeText(inode.Mode)})";

    private static string Describe(FsAccess access) => access switch
    {
        FsAccess.Execute => "traverse",
        FsAccess.Read => "read",
        FsAccess.Write => "write",
        FsAccess.ReadExecute => "list",
        FsAccess.WriteExecute => "change entries of",
        _ => "use",
    };

    /// <summary>A mode as <c>ls -l</c> shows it, with the sticky bit as t or T.</summary>
    public static string ModeText(ushort mode)
    {
        Span<char> text = stackalloc char[10];
        text[0] = '-';
        const string Letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
        {
            text[i + 1] = (mode & (1 << (8 - i))) != 0 ? Letters[i] : '-';
        }
        if ((mode & Sticky) != 0)
        {
            text[9] = text[9] == 'x' ? 't' : 'T';
        }
        return new string(text[1..]);
    }
}
