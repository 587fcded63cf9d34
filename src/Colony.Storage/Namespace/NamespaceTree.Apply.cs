using System.Globalization;
using Colony.Core;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Namespace;

public sealed partial class NamespaceTree
{
    /// <summary>Directories made on a file's behalf (create-parent, trash) get 0755.</summary>
    private const ushort DefaultDirectoryMode = 0x1ED;

    /// <summary>Trash checkpoints are private to their user: 0700.</summary>
    private const ushort TrashMode = 0x1C0;

    /// <summary>The trash root lets everyone make their own directory: 01777.</summary>
    private const ushort TrashRootMode = 0x3FF;

    private const int MaxTrashAttempts = 1000;

    /// <summary>
    /// Applies one command. Checks everything first and changes nothing on failure, so a failed command
    /// leaves the tree exactly as it was.
    /// </summary>
    public NamespaceResult Apply(NamespaceCommand command) => command switch
    {
        Mkdirs c => DoMkdirs(c),
        Create c => DoCreate(c),
        AddBlock c => DoAddBlock(c),
        CommitBlock c => DoCommitBlock(c),
        UpdatePipeline c => DoUpdatePipeline(c),
        AbandonBlock c => DoAbandonBlock(c),
        Complete c => DoComplete(c),
        RenewLease c => DoRenewLease(c),
        RecoverLease c => DoRecoverLease(c),
        Rename c => DoRename(c),
        Delete c => DoDelete(c),
        SetReplication c => DoSetReplication(c),
        SetPermission c => WithNode(c.Path, node => node.Mode = c.Mode),
        SetOwner c when !TryNames(out var fail, c.Owner, c.Group) => fail,
        SetOwner c => WithNode(c.Path, node =>
        {
            node.Owner = c.Owner ?? node.Owner;
            node.Group = c.Group ?? node.Group;
        }),
        SetTimes c => WithNode(c.Path, node =>
        {
            node.ModificationTime = c.ModificationTime >= 0 ? c.ModificationTime : node.ModificationTime;
            node.AccessTime = c.AccessTime >= 0 ? c.AccessTime : node.AccessTime;
        }),
        MoveToTrash c => DoMoveToTrash(c),
        ExpireTrash c => DoExpireTrash(c),
        SetDecommissioning c => DoSetDecommissioning(c),
        _ => throw new ArgumentException($"unknown namespace command {command.GetType().Name}", nameof(command)),
    };

    private NamespaceResult DoSetDecommissioning(SetDecommissioning c)
    {
        if (c.Node.IsNone)
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, "node 0 is not a data node");
        }
        if (c.Decommissioning)
        {
            _decommissioning.Add(c.Node);
        }
        else
        {
            _decommissioning.Remove(c.Node);
        }
        return NamespaceResult.Ok();
    }

    private NamespaceResult DoMkdirs(Mkdirs c)
    {
        if (!TryPath(c.Path, out var path, out var fail) || !TryNames(out fail, c.Owner, c.Group))
        {
            return fail;
        }
        if (CheckMakeDirectories(path, out int missing) is { } refused)
        {
            return refused;
        }
        if (missing > 0)
        {
            MakeDirectories(path, c.Owner, c.Group, c.Mode, c.Time);
        }
        return NamespaceResult.Ok();
    }

    private NamespaceResult DoCreate(Create c)
    {
        if (!TryPath(c.Path, out var path, out var fail) || !TryNames(out fail, c.Owner, c.Group, c.Holder))
        {
            return fail;
        }
        if (path.IsRoot)
        {
            return NamespaceResult.Fail(FsError.IsADirectory, "/ is a directory");
        }
        if (c.Replication < 1 || c.Replication > Limits.MaxReplication)
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, $"replication {c.Replication} is outside [1, {Limits.MaxReplication}]");
        }
        if (c.BlockSize < 1 || c.BlockSize > Limits.MaxBlockSize)
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, $"block size {c.BlockSize} is outside [1, {Limits.MaxBlockSize}]");
        }
        if (path.Depth > Limits.MaxPathDepth)
        {
            return NamespaceResult.Fail(FsError.LimitExceeded, $"{path} is {path.Depth} levels deep; the limit is {Limits.MaxPathDepth}");
        }
        if (CheckMakeDirectories(path.Parent, out int missing) is { } refused)
        {
            return refused;
        }
        if (missing > 0 && !c.CreateParent)
        {
            return NamespaceResult.Fail(FsError.NotFound, $"parent directory {path.Parent} does not exist");
        }
        var existing = Find(path);
        switch (existing)
        {
            case DirectoryInode:
                return NamespaceResult.Fail(FsError.IsADirectory, $"{path} is a directory");
            case FileInode { State: FileState.UnderConstruction } open:
                return NamespaceResult.Fail(FsError.LeaseConflict, $"{path} is being written by {open.LeaseHolder}");
            case FileInode when !c.Overwrite:
                return NamespaceResult.Fail(FsError.AlreadyExists, $"{path} already exists");
        }
        if (existing is null && InodeCount + missing + 1 > Limits.MaxInodes)
        {
            return LimitFail();
        }
        var parent = missing > 0 ? MakeDirectories(path.Parent, c.Owner, c.Group, DefaultDirectoryMode, c.Time) : (DirectoryInode)Find(path.Parent)!;
        var freed = new List<BlockVersion>();
        if (existing is not null)
        {
            Remove(existing, freed, out _);
        }
        var file = new FileInode(path.Name, c.Owner, c.Group, c.Mode, c.Time, c.Replication, c.BlockSize)
        {
            LeaseHolder = c.Holder,
            LeaseTime = c.Time,
        };
        AddChild(parent, file, c.Time);
        AddLease(file);
        return NamespaceResult.Ok() with { FreedBlocks = freed };
    }

    private NamespaceResult DoAddBlock(AddBlock c)
    {
        if (!TryWritable(c.Path, c.Holder, out var file, out var fail))
        {
            return fail;
        }
        if (file.BlockList.Count > 0 && file.BlockList[^1].State != BlockState.Committed)
        {
            return NamespaceResult.Fail(FsError.BlockMismatch,
                $"{c.Path}: the previous block {file.BlockList[^1].Version} is not committed yet");
        }
        if (file.BlockList.Count >= Limits.MaxBlocksPerFile)
        {
            return NamespaceResult.Fail(FsError.LimitExceeded, $"{c.Path} already has {Limits.MaxBlocksPerFile} blocks, the most a file may have");
        }
        var block = new FileBlock(new BlockVersion(new BlockId(NextBlockId++), new GenerationStamp(NextGenerationStamp++)), 0, 0, BlockState.UnderConstruction);
        file.BlockList.Add(block);
        _blocks.Add(block.Id, file);
        file.ModificationTime = c.Time;
        file.LeaseTime = c.Time; // writing is proof of life
        return NamespaceResult.Ok() with { Block = block, Targets = c.Targets.ToArray() };
    }

    private NamespaceResult DoCommitBlock(CommitBlock c)
    {
        if (!TryWritable(c.Path, c.Holder, out var file, out var fail))
        {
            return fail;
        }
        if (file.BlockList.Count == 0 || file.BlockList[^1].Id != c.Block.Id)
        {
            return NamespaceResult.Fail(FsError.BlockMismatch, $"{c.Block.Id} is not the last block of {c.Path}");
        }
        var last = file.BlockList[^1];
        if (last.State == BlockState.Committed)
        {
            // A retried commit of the same bytes is fine; anything else would rewrite history.
            return last.Stamp == c.Block.Stamp && last.Length == c.Length && last.Checksum == c.Checksum
                ? NamespaceResult.Ok() with { Block = last }
                : NamespaceResult.Fail(FsError.BlockMismatch, $"{last.Version} of {c.Path} is already committed differently");
        }
        if (last.Stamp != c.Block.Stamp)
        {
            return NamespaceResult.Fail(FsError.BlockMismatch, $"{c.Block} is stale: {c.Path} expects {last.Version}");
        }
        if (c.Length < 0 || c.Length > file.BlockSize)
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, $"block length {c.Length} is outside [0, {file.BlockSize}]");
        }
        var committed = last with { Length = c.Length, Checksum = c.Checksum, State = BlockState.Committed };
        file.BlockList[^1] = committed;
        return NamespaceResult.Ok() with { Block = committed };
    }

    private NamespaceResult DoUpdatePipeline(UpdatePipeline c)
    {
        if (!TryLastOpenBlock(c.Path, c.Holder, c.Block, out var file, out var fail))
        {
            return fail;
        }
        var restamped = file.BlockList[^1] with { Version = new BlockVersion(c.Block, new GenerationStamp(NextGenerationStamp++)) };
        file.BlockList[^1] = restamped;
        return NamespaceResult.Ok() with { Block = restamped };
    }

    private NamespaceResult DoAbandonBlock(AbandonBlock c)
    {
        if (!TryLastOpenBlock(c.Path, c.Holder, c.Block, out var file, out var fail))
        {
            return fail;
        }
        var dropped = file.BlockList[^1];
        file.BlockList.RemoveAt(file.BlockList.Count - 1);
        _blocks.Remove(dropped.Id);
        return NamespaceResult.Ok() with { FreedBlocks = [dropped.Version] };
    }

    private NamespaceResult DoComplete(Complete c)
    {
        if (!TryWritable(c.Path, c.Holder, out var file, out var fail))
        {
            return fail;
        }
        if (file.BlockList.Count > 0 && file.BlockList[^1].State != BlockState.Committed)
        {
            return NamespaceResult.Fail(FsError.BlockMismatch, $"{c.Path}: the last block {file.BlockList[^1].Version} is not committed");
        }
        Close(file, c.Time);
        return NamespaceResult.Ok();
    }

    private NamespaceResult DoRenewLease(RenewLease c)
    {
        if (!_leases.TryGetValue(c.Holder, out var files))
        {
            return NamespaceResult.Ok();
        }
        foreach (var file in files)
        {
            file.LeaseTime = Math.Max(file.LeaseTime, c.Time);
        }
        return NamespaceResult.Ok() with { LeasesRenewed = files.Count };
    }

    private NamespaceResult DoRecoverLease(RecoverLease c)
    {
        if (!TryFile(c.Path, out var file, out var fail))
        {
            return fail;
        }
        if (file.State != FileState.UnderConstruction)
        {
            return NamespaceResult.Fail(FsError.FileNotUnderConstruction, $"{c.Path} is not open for writing");
        }
        var freed = new List<BlockVersion>();
        if (file.BlockList.Count > 0 && file.BlockList[^1].State != BlockState.Committed)
        {
            var dropped = file.BlockList[^1];
            file.BlockList.RemoveAt(file.BlockList.Count - 1);
            _blocks.Remove(dropped.Id);
            freed.Add(dropped.Version);
        }
        file.ClosedByRecovery = true;
        Close(file, c.Time);
        return NamespaceResult.Ok() with { FreedBlocks = freed };
    }

    private NamespaceResult DoRename(Rename c)
    {
        if (!TryPath(c.Source, out var source, out var fail) || !TryPath(c.Destination, out var destination, out fail))
        {
            return fail;
        }
        if (source.IsRoot)
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, "/ cannot be renamed");
        }
        if (Find(source) is not { } node)
        {
            return NamespaceResult.Fail(FsError.NotFound, $"{source} does not exist");
        }
        var target = Find(destination) is DirectoryInode ? destination.Combine(source.Name) : destination;
        if (target == source)
        {
            return NamespaceResult.Ok() with { Path = target.Value };
        }
        if (node is DirectoryInode && source.Contains(target))
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, $"cannot move {source} into its own subtree {target}");
        }
        return MoveTo(node, target, c.Overwrite, c.Time);
    }

    private NamespaceResult DoDelete(Delete c)
    {
        if (!TryPath(c.Path, out var path, out var fail))
        {
            return fail;
        }
        if (path.IsRoot)
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, "refusing to delete /");
        }
        if (Find(path) is not { } node)
        {
            return NamespaceResult.Fail(FsError.NotFound, $"{path} does not exist");
        }
        if (node is DirectoryInode { ChildCount: > 0 } && !c.Recursive)
        {
            return NamespaceResult.Fail(FsError.NotEmpty, $"{path} is a non-empty directory");
        }
        node.Parent!.ModificationTime = c.Time;
        var freed = new List<BlockVersion>();
        Remove(node, freed, out long files);
        return NamespaceResult.Ok() with { FreedBlocks = freed, FilesDeleted = files };
    }

    private NamespaceResult DoSetReplication(SetReplication c)
    {
        if (!TryFile(c.Path, out var file, out var fail))
        {
            return fail;
        }
        if (c.Replication < 1 || c.Replication > Limits.MaxReplication)
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, $"replication {c.Replication} is outside [1, {Limits.MaxReplication}]");
        }
        file.Replication = c.Replication;
        return NamespaceResult.Ok();
    }

    private NamespaceResult DoMoveToTrash(MoveToTrash c)
    {
        if (!TryPath(c.Path, out var path, out var fail))
        {
            return fail;
        }
        var trash = FsPath.Parse(TrashRoot);
        if (path.IsRoot || path.Contains(trash) || trash.Contains(path))
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, $"{path} cannot go to the trash; delete it instead");
        }
        if (!FsPath.TryParse("/" + c.User, out var userPath, out _) || userPath.Depth != 1)
        {
            return NamespaceResult.Fail(FsError.InvalidArgument, $"user '{c.User}' cannot name a trash directory");
        }
        if (Find(path) is not { } node)
        {
            return NamespaceResult.Fail(FsError.NotFound, $"{path} does not exist");
        }
        // The checkpoint is the delete's time; a clash (same millisecond, or a file where a directory is
        // needed) moves on to time-1, time-2 ... so the move never fails for a reason the user can't see.
        for (int attempt = 0; attempt < MaxTrashAttempts; attempt++)
        {
            string checkpoint = c.Time.ToString(CultureInfo.InvariantCulture) + (attempt == 0 ? "" : "-" + attempt.ToString(CultureInfo.InvariantCulture));
            if (!FsPath.TryParse($"{TrashRoot}/{c.User}/{checkpoint}{path.Value}", out var target, out var error))
            {
                return NamespaceResult.Fail(FsError.InvalidPath, error!);
            }
            if (Find(target) is not null || CheckMakeDirectories(target.Parent, out int missing) is not null)
            {
                continue;
            }
            if (target.Depth + Height(node) > Limits.MaxPathDepth || InodeCount + missing > Limits.MaxInodes)
            {
                return LimitFail();
            }
            MakeTrashDirectories(target.Parent, c.User, node.Group, c.Time);
            return MoveTo(node, target, overwrite: false, c.Time);
        }
        return NamespaceResult.Fail(FsError.AlreadyExists, $"no free trash checkpoint for {path} at {c.Time}");
    }

    private NamespaceResult DoExpireTrash(ExpireTrash c)
    {
        var freed = new List<BlockVersion>();
        long files = 0;
        if (Find(TrashRoot) is DirectoryInode trash)
        {
            foreach (var user in trash.Children.Values.OfType<DirectoryInode>().ToArray())
            {
                foreach (var checkpoint in user.Children.Values.ToArray())
                {
                    if (CheckpointTime(checkpoint.Name) is { } time && time < c.Before)
                    {
                        Remove(checkpoint, freed, out long removed);
                        files += removed;
                    }
                }
            }
        }
        return NamespaceResult.Ok() with { FreedBlocks = freed, FilesDeleted = files };
    }

    /// <summary>The time a trash checkpoint was named after (<c>T</c> or <c>T-n</c>), or null if it is not one.</summary>
    internal static long? CheckpointTime(string name)
    {
        int dash = name.IndexOf('-', StringComparison.Ordinal);
        string time = dash < 0 ? name : name[..dash];
        return long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
    }

    private NamespaceResult MoveTo(Inode node, FsPath target, bool overwrite, long time)
    {
        if (target.IsRoot)
        {
            return NamespaceResult.Fail(FsError.AlreadyExists, "/ already exists");
        }
        switch (Find(target.Parent))
        {
            case null:
                return NamespaceResult.Fail(FsError.NotFound, $"parent directory {target.Parent} does not exist");
            case FileInode:
                return NamespaceResult.Fail(FsError.NotADirectory, $"{target.Parent} is a file");
        }
        var existing = Find(target);
        if (existing is not null)
        {
            if (!overwrite)
            {
                return NamespaceResult.Fail(FsError.AlreadyExists, $"{target} already exists");
            }
            if (existing.IsDirectory != node.IsDirectory)
            {
                return NamespaceResult.Fail(existing.IsDirectory ? FsError.IsADirectory : FsError.NotADirectory,
                    $"cannot overwrite {target} with a {(node.IsDirectory ? "directory" : "file")}");
            }
            if (existing is DirectoryInode { ChildCount: > 0 })
            {
                return NamespaceResult.Fail(FsError.NotEmpty, $"{target} is a non-empty directory");
            }
            if (existing is FileInode { State: FileState.UnderConstruction } open)
            {
                return NamespaceResult.Fail(FsError.LeaseConflict, $"{target} is being written by {open.LeaseHolder}");
            }
        }
        if (target.Depth + Height(node) > Limits.MaxPathDepth)
        {
            return LimitFail();
        }
        var freed = new List<BlockVersion>();
        if (existing is not null)
        {
            Remove(existing, freed, out _);
        }
        var parent = (DirectoryInode)Find(target.Parent)!;
        var oldParent = node.Parent!;
        oldParent.Children.Remove(node.Name);
        oldParent.ModificationTime = time;
        node.Name = target.Name;
        AddChild(parent, node, time);
        return NamespaceResult.Ok() with { FreedBlocks = freed, Path = target.Value };
    }

    /// <summary>How many levels the subtree at <paramref name="node"/> goes below it (0 for a file or an empty directory).</summary>
    private static int Height(Inode node) =>
        node is DirectoryInode { ChildCount: > 0 } dir ? 1 + dir.Children.Values.Max(Height) : 0;

    /// <summary>Null if <c>mkdir -p</c> of <paramref name="path"/> would succeed, with how many directories it would make.</summary>
    private NamespaceResult? CheckMakeDirectories(FsPath path, out int missing)
    {
        missing = 0;
        if (path.Depth > Limits.MaxPathDepth)
        {
            return NamespaceResult.Fail(FsError.LimitExceeded, $"{path} is {path.Depth} levels deep; the limit is {Limits.MaxPathDepth}");
        }
        Inode node = Root;
        var components = path.Components;
        for (int i = 0; i < components.Length; i++)
        {
            var dir = (DirectoryInode)node;
            if (!dir.Children.TryGetValue(components[i], out var child))
            {
                missing = components.Length - i;
                break;
            }
            if (child is FileInode)
            {
                return NamespaceResult.Fail(FsError.NotADirectory, $"{child.Path} is a file, not a directory");
            }
            node = child;
        }
        return InodeCount + missing > Limits.MaxInodes ? LimitFail() : null;
    }

    private DirectoryInode MakeDirectories(FsPath path, string owner, string group, ushort mode, long time)
    {
        var dir = Root;
        foreach (string name in path.Components)
        {
            if (!dir.Children.TryGetValue(name, out var child))
            {
                child = new DirectoryInode(name, owner, group, mode, time);
                AddChild(dir, child, time);
            }
            dir = (DirectoryInode)child;
        }
        return dir;
    }

    private void MakeTrashDirectories(FsPath path, string user, string group, long time)
    {
        var dir = Root;
        foreach (string name in path.Components)
        {
            if (!dir.Children.TryGetValue(name, out var child))
            {
                bool isTrashRoot = dir == Root;
                child = new DirectoryInode(name, isTrashRoot ? "root" : user, isTrashRoot ? "root" : group, isTrashRoot ? TrashRootMode : TrashMode, time);
                AddChild(dir, child, time);
            }
            dir = (DirectoryInode)child;
        }
    }

    private void AddChild(DirectoryInode parent, Inode child, long time)
    {
        bool isNew = child.Parent is null;
        parent.Children.Add(child.Name, child);
        child.Parent = parent;
        parent.ModificationTime = time;
        if (isNew)
        {
            InodeCount++;
            if (child is FileInode)
            {
                FileCount++;
            }
        }
    }

    /// <summary>Unlinks a subtree, collecting every block version it held and forgetting its leases.</summary>
    private void Remove(Inode top, List<BlockVersion> freed, out long files)
    {
        files = 0;
        foreach (var node in Walk(top))
        {
            InodeCount--;
            if (node is FileInode file)
            {
                files++;
                FileCount--;
                foreach (var block in file.BlockList)
                {
                    freed.Add(block.Version);
                    _blocks.Remove(block.Id);
                }
                RemoveLease(file);
            }
        }
        top.Parent!.Children.Remove(top.Name);
        top.Parent = null;
    }

    private void Close(FileInode file, long time)
    {
        RemoveLease(file);
        file.State = FileState.Complete;
        file.LeaseHolder = null;
        file.LeaseTime = 0;
        file.ModificationTime = time;
    }

    private void AddLease(FileInode file)
    {
        if (!_leases.TryGetValue(file.LeaseHolder!, out var files))
        {
            _leases[file.LeaseHolder!] = files = [];
        }
        files.Add(file);
    }

    private void RemoveLease(FileInode file)
    {
        if (file.LeaseHolder is { } holder && _leases.TryGetValue(holder, out var files))
        {
            files.Remove(file);
            if (files.Count == 0)
            {
                _leases.Remove(holder);
            }
        }
    }

    private NamespaceResult WithNode(string text, Action<Inode> change)
    {
        if (!TryPath(text, out var path, out var fail))
        {
            return fail;
        }
        if (Find(path) is not { } node)
        {
            return NamespaceResult.Fail(FsError.NotFound, $"{path} does not exist");
        }
        change(node);
        return NamespaceResult.Ok();
    }

    /// <summary>
    /// Owners, groups and lease holders must be valid text of at most <see cref="MaxNameBytes"/> UTF-8
    /// bytes, so that every state the log can produce can also be written to a snapshot.
    /// </summary>
    private static bool TryNames(out NamespaceResult fail, params string?[] names)
    {
        fail = null!;
        foreach (string? name in names)
        {
            int bytes;
            try
            {
                bytes = name is null ? 0 : StrictUtf8.GetByteCount(name);
            }
            catch (System.Text.EncoderFallbackException)
            {
                bytes = int.MaxValue;
            }
            if (bytes > MaxNameBytes)
            {
                fail = NamespaceResult.Fail(FsError.InvalidArgument, $"a user, group or client name may have at most {MaxNameBytes} bytes of valid UTF-8");
                return false;
            }
        }
        return true;
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool TryPath(string text, out FsPath path, out NamespaceResult fail)
    {
        fail = null!;
        if (FsPath.TryParse(text, out path, out var error))
        {
            return true;
        }
        fail = NamespaceResult.Fail(FsError.InvalidPath, error!);
        return false;
    }

    private bool TryFile(string text, out FileInode file, out NamespaceResult fail)
    {
        file = null!;
        if (!TryPath(text, out var path, out fail))
        {
            return false;
        }
        switch (Find(path))
        {
            case null:
                fail = NamespaceResult.Fail(FsError.NotFound, $"{path} does not exist");
                return false;
            case DirectoryInode:
                fail = NamespaceResult.Fail(FsError.IsADirectory, $"{path} is a directory");
                return false;
            case FileInode found:
                file = found;
                return true;
            default:
                throw new InvalidOperationException("unknown inode kind");
        }
    }

    /// <summary>The file at <paramref name="text"/>, if it is under construction and leased to <paramref name="holder"/>.</summary>
    private bool TryWritable(string text, string holder, out FileInode file, out NamespaceResult fail)
    {
        if (!TryFile(text, out file, out fail))
        {
            return false;
        }
        if (file.State != FileState.UnderConstruction)
        {
            fail = NamespaceResult.Fail(FsError.FileNotUnderConstruction, $"{text} is not open for writing");
            return false;
        }
        if (!string.Equals(file.LeaseHolder, holder, StringComparison.Ordinal))
        {
            fail = NamespaceResult.Fail(FsError.LeaseMismatch, $"{text} is leased to {file.LeaseHolder}, not {holder}");
            return false;
        }
        return true;
    }

    private bool TryLastOpenBlock(string text, string holder, BlockId id, out FileInode file, out NamespaceResult fail)
    {
        if (!TryWritable(text, holder, out file, out fail))
        {
            return false;
        }
        if (file.BlockList.Count == 0 || file.BlockList[^1].Id != id || file.BlockList[^1].State != BlockState.UnderConstruction)
        {
            fail = NamespaceResult.Fail(FsError.BlockMismatch, $"{id} is not the last, uncommitted block of {text}");
            return false;
        }
        return true;
    }

    private NamespaceResult LimitFail() =>
        NamespaceResult.Fail(FsError.LimitExceeded, $"the namespace holds {InodeCount} files and directories; the limit is {Limits.MaxInodes}");
}
