using System.Buffers;
using Colony.Core;

namespace Colony.Storage.Namespace;

/// <remarks>
/// Snapshot layout (persisted; a new layout needs a new version), in the primitives of
/// <see cref="NamespaceWriter"/>:
/// <code>
/// version u8 = 1, next block id varint, next generation stamp varint,
/// root: owner str, group str, mode varint, mtime zigzag, atime zigzag, then its children
/// children: count varint × (kind u8 (1 dir, 2 file), name str, owner str, group str, mode varint,
///                           mtime zigzag, atime zigzag,
///                           dir:  its children
///                           file: replication zigzag, block size zigzag, state u8,
///                                 [under construction: lease holder str, lease time zigzag],
///                                 closed by recovery u8,
///                                 block count varint × (id varint, stamp varint, length zigzag,
///                                                       checksum u32, state u8))
///           in ordinal name order
/// version 2 only: decommissioning node count varint × node id varint, ascending
/// </code>
/// Version 1 is written while no data node is decommissioning, so a cluster that never drains one writes
/// exactly the bytes it always did (and older nodes can read them). Counts, the block index and the lease
/// table are derived, not stored. The order is fixed, so equal states write equal bytes. No checksum: the composite snapshot checksums every section.
/// </remarks>
public sealed partial class NamespaceTree
{
    /// <summary>The layout without decommissioning nodes.</summary>
    public const byte SnapshotVersion = 1;

    /// <summary>The layout with decommissioning nodes after the tree.</summary>
    public const byte SnapshotVersionWithNodes = 2;

    /// <summary>Most decommissioning nodes a snapshot may list.</summary>
    private const int MaxDecommissioningNodes = 1 << 16;

    /// <summary>The longest owner, group or lease holder name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 1024;

    /// <summary>Writes the whole state to <paramref name="destination"/>.</summary>
    public void WriteSnapshot(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var buffer = new ArrayBufferWriter<byte>(4096);
        var writer = new NamespaceWriter(buffer);
        writer.Byte(_decommissioning.Count == 0 ? SnapshotVersion : SnapshotVersionWithNodes);
        writer.Varint(NextBlockId);
        writer.Varint(NextGenerationStamp);
        WriteCommon(writer, Root, withName: false);
        WriteChildren(writer, Root, buffer, destination);
        if (_decommissioning.Count > 0)
        {
            writer.Varint((ulong)_decommissioning.Count);
            foreach (var node in _decommissioning)
            {
                writer.Varint(node.Value);
            }
        }
        destination.Write(buffer.WrittenSpan);
    }

    private static void WriteChildren(NamespaceWriter writer, DirectoryInode dir, ArrayBufferWriter<byte> buffer, Stream destination)
    {
        writer.Varint((ulong)dir.Children.Count);
        foreach (var child in dir.Children.Values)
        {
            writer.Byte(child.IsDirectory ? (byte)1 : (byte)2);
            WriteCommon(writer, child, withName: true);
            if (child is DirectoryInode subdirectory)
            {
                WriteChildren(writer, subdirectory, buffer, destination);
                continue;
            }
            var file = (FileInode)child;
            writer.Signed(file.Replication);
            writer.Signed(file.BlockSize);
            writer.Byte((byte)file.State);
            if (file.State == FileState.UnderConstruction)
            {
                writer.String(file.LeaseHolder!, MaxNameBytes, "lease holder");
                writer.Signed(file.LeaseTime);
            }
            writer.Bool(file.ClosedByRecovery);
            writer.Varint((ulong)file.BlockList.Count);
            foreach (var block in file.BlockList)
            {
                writer.Varint(block.Id.Value);
                writer.Varint(block.Stamp.Value);
                writer.Signed(block.Length);
                writer.UInt32(block.Checksum);
                writer.Byte((byte)block.State);
            }
            if (buffer.WrittenCount >= 1 << 20)
            {
                destination.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }
    }

    private static void WriteCommon(NamespaceWriter writer, Inode node, bool withName)
    {
        if (withName)
        {
            writer.String(node.Name, FsPath.MaxComponentBytes, "name");
        }
        writer.String(node.Owner, MaxNameBytes, "owner");
        writer.String(node.Group, MaxNameBytes, "group");
        writer.Varint(node.Mode);
        writer.Signed(node.ModificationTime);
        writer.Signed(node.AccessTime);
    }

    /// <summary>
    /// Replaces the whole state with the one in <paramref name="source"/>, read to its end. Everything is
    /// checked before anything changes; throws <see cref="FormatException"/> on a malformed or
    /// inconsistent snapshot and leaves the current state as it was.
    /// </summary>
    public void Restore(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        var restored = new NamespaceTree(Limits);
        restored.Load(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        Root = restored.Root;
        NextBlockId = restored.NextBlockId;
        NextGenerationStamp = restored.NextGenerationStamp;
        InodeCount = restored.InodeCount;
        FileCount = restored.FileCount;
        _blocks.Clear();
        foreach (var (id, file) in restored._blocks)
        {
            _blocks.Add(id, file);
        }
        _leases.Clear();
        foreach (var (holder, files) in restored._leases)
        {
            _leases.Add(holder, files);
        }
        _decommissioning.Clear();
        _decommissioning.UnionWith(restored._decommissioning);
    }

    private void Load(ReadOnlySpan<byte> data)
    {
        var reader = new NamespaceReader(data);
        byte version = reader.Byte("snapshot version");
        if (version is not (SnapshotVersion or SnapshotVersionWithNodes))
        {
            throw new FormatException($"namespace snapshot has version {version}; this node reads versions {SnapshotVersion} and {SnapshotVersionWithNodes}");
        }
        NextBlockId = reader.Varint("next block id");
        NextGenerationStamp = reader.Varint("next generation stamp");
        if (NextBlockId == 0 || NextGenerationStamp == 0)
        {
            throw new FormatException("namespace snapshot counters must start at 1");
        }
        ReadCommon(ref reader, Root);
        ReadChildren(ref reader, Root, 1);
        if (version == SnapshotVersionWithNodes)
        {
            ReadDecommissioning(ref reader);
        }
        reader.End("namespace snapshot");
    }

    private void ReadDecommissioning(ref NamespaceReader reader)
    {
        int count = reader.Count(MaxDecommissioningNodes, 1, "decommissioning node count");
        if (count == 0)
        {
            throw new FormatException("namespace snapshot version 2 lists no decommissioning node");
        }
        ulong previous = 0;
        for (int i = 0; i < count; i++)
        {
            ulong node = reader.Varint("decommissioning node");
            if (node <= previous)
            {
                throw new FormatException($"namespace snapshot decommissioning node {node} is zero or out of order");
            }
            previous = node;
            _decommissioning.Add(new NodeId(node));
        }
    }

    private void ReadChildren(ref NamespaceReader reader, DirectoryInode dir, int depth)
    {
        int count = reader.Count(int.MaxValue, 8, "child count");
        if (count > 0 && depth > Limits.MaxPathDepth)
        {
            throw new FormatException($"namespace snapshot goes deeper than {Limits.MaxPathDepth} levels");
        }
        string? previous = null;
        for (int i = 0; i < count; i++)
        {
            byte kind = reader.Byte("inode kind");
            string name = reader.String(FsPath.MaxComponentBytes, "name");
            if (!FsPath.TryParse("/" + name, out var asPath, out _) || asPath.Depth != 1)
            {
                throw new FormatException($"namespace snapshot has an invalid name '{name}'");
            }
            if (previous is not null && string.CompareOrdinal(previous, name) >= 0)
            {
                throw new FormatException($"namespace snapshot child '{name}' is out of order after '{previous}'");
            }
            previous = name;
            Inode child = kind switch
            {
                1 => new DirectoryInode(name, "", "", 0, 0),
                2 => new FileInode(name, "", "", 0, 0, 1, 1),
                _ => throw new FormatException($"namespace snapshot has inode kind {kind}"),
            };
            ReadCommon(ref reader, child);
            if (++InodeCount > Limits.MaxInodes)
            {
                throw new FormatException($"namespace snapshot has more than {Limits.MaxInodes} inodes");
            }
            dir.Children.Add(name, child);
            child.Parent = dir;
            if (child is DirectoryInode subdirectory)
            {
                ReadChildren(ref reader, subdirectory, depth + 1);
            }
            else
            {
                ReadFile(ref reader, (FileInode)child);
            }
        }
    }

    private void ReadFile(ref NamespaceReader reader, FileInode file)
    {
        FileCount++;
        file.Replication = (short)reader.Int(1, short.MaxValue, "replication");
        file.BlockSize = reader.Signed("block size");
        if (file.BlockSize < 1)
        {
            throw new FormatException($"namespace snapshot has block size {file.BlockSize}");
        }
        file.State = reader.Byte("file state") switch
        {
            1 => FileState.UnderConstruction,
            2 => FileState.Complete,
            var s => throw new FormatException($"namespace snapshot has file state {s}"),
        };
        if (file.State == FileState.UnderConstruction)
        {
            file.LeaseHolder = reader.String(MaxNameBytes, "lease holder");
            file.LeaseTime = reader.Signed("lease time");
            AddLease(file);
        }
        file.ClosedByRecovery = reader.Bool("closed by recovery");
        int blocks = reader.Count(Limits.MaxBlocksPerFile, 8, "block count");
        for (int i = 0; i < blocks; i++)
        {
            var id = new BlockId(reader.Varint("block id"));
            var stamp = new GenerationStamp(reader.Varint("generation stamp"));
            long length = reader.Signed("block length");
            uint checksum = reader.UInt32("block checksum");
            var state = reader.Byte("block state") switch
            {
                1 => BlockState.UnderConstruction,
                2 => BlockState.Committed,
                var s => throw new FormatException($"namespace snapshot has block state {s}"),
            };
            if (id.IsNone || id.Value >= NextBlockId || stamp.Value == 0 || stamp.Value >= NextGenerationStamp)
            {
                throw new FormatException($"namespace snapshot block {id}_{stamp} is beyond the counters");
            }
            if (length < 0 || length > file.BlockSize)
            {
                throw new FormatException($"namespace snapshot block {id} has length {length}");
            }
            if (state == BlockState.UnderConstruction && (i != blocks - 1 || file.State != FileState.UnderConstruction))
            {
                throw new FormatException($"namespace snapshot block {id} is under construction but not the last of an open file");
            }
            if (!_blocks.TryAdd(id, file))
            {
                throw new FormatException($"namespace snapshot has block {id} twice");
            }
            file.BlockList.Add(new FileBlock(new BlockVersion(id, stamp), length, checksum, state));
        }
    }

    private static void ReadCommon(ref NamespaceReader reader, Inode node)
    {
        node.Owner = reader.String(MaxNameBytes, "owner");
        node.Group = reader.String(MaxNameBytes, "group");
        ulong mode = reader.Varint("mode");
        if (mode > ushort.MaxValue)
        {
            throw new FormatException($"namespace snapshot has mode {mode}");
        }
        node.Mode = (ushort)mode;
        node.ModificationTime = reader.Signed("mtime");
        node.AccessTime = reader.Signed("atime");
    }
}
