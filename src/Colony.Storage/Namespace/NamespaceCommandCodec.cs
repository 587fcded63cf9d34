using System.Buffers;
using Colony.Core;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Namespace;

/// <summary>
/// The log encoding of <see cref="NamespaceCommand"/>: <c>version u8 = 1, tag u8, fields</c>, in the
/// primitives of <see cref="NamespaceWriter"/> (strings UTF-8 with a varint length, times and sizes zigzag,
/// ids and stamps varint, checksums u32 big-endian, flags u8, optional strings as flag + string).
/// Tags are persisted in every log: never renumber one, never reuse a retired one.
/// </summary>
public static class NamespaceCommandCodec
{
    public const byte Version = 1;

    /// <summary>The persisted tag of each command.</summary>
    public enum Tag : byte
    {
        Mkdirs = 1,
        Create = 2,
        AddBlock = 3,
        CommitBlock = 4,
        UpdatePipeline = 5,
        AbandonBlock = 6,
        Complete = 7,
        RenewLease = 8,
        RecoverLease = 9,
        Rename = 10,
        Delete = 11,
        SetReplication = 12,
        SetPermission = 13,
        SetOwner = 14,
        SetTimes = 15,
        MoveToTrash = 16,
        ExpireTrash = 17,
        SetDecommissioning = 18,
    }

    /// <summary>Longest path or name string a command may carry, in UTF-8 bytes.</summary>
    private const int MaxStringBytes = 8192;

    /// <summary>Most targets an AddBlock may carry.</summary>
    private const int MaxTargets = 1024;

    public static Tag TagOf(NamespaceCommand command) => command switch
    {
        Mkdirs => Tag.Mkdirs,
        Create => Tag.Create,
        AddBlock => Tag.AddBlock,
        CommitBlock => Tag.CommitBlock,
        UpdatePipeline => Tag.UpdatePipeline,
        AbandonBlock => Tag.AbandonBlock,
        Complete => Tag.Complete,
        RenewLease => Tag.RenewLease,
        RecoverLease => Tag.RecoverLease,
        Rename => Tag.Rename,
        Delete => Tag.Delete,
        SetReplication => Tag.SetReplication,
        SetPermission => Tag.SetPermission,
        SetOwner => Tag.SetOwner,
        SetTimes => Tag.SetTimes,
        MoveToTrash => Tag.MoveToTrash,
        ExpireTrash => Tag.ExpireTrash,
        SetDecommissioning => Tag.SetDecommissioning,
        _ => throw new ArgumentException($"unknown namespace command {command.GetType().Name}", nameof(command)),
    };

    /// <summary>Encodes a command. Throws <see cref="ArgumentException"/> if a field is over a limit.</summary>
    public static byte[] Encode(NamespaceCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var buffer = new ArrayBufferWriter<byte>(64);
        var w = new NamespaceWriter(buffer);
        w.Byte(Version);
        w.Byte((byte)TagOf(command));
        switch (command)
        {
            case Mkdirs c:
                Str(w, c.Path); Str(w, c.Owner); Str(w, c.Group); w.Varint(c.Mode); w.Signed(c.Time);
                break;
            case Create c:
                Str(w, c.Path); Str(w, c.Holder); Str(w, c.Owner); Str(w, c.Group); w.Varint(c.Mode);
                w.Signed(c.Replication); w.Signed(c.BlockSize); w.Bool(c.Overwrite); w.Bool(c.CreateParent); w.Signed(c.Time);
                break;
            case AddBlock c:
                Str(w, c.Path); Str(w, c.Holder);
                if (c.Targets.Count > MaxTargets)
                {
                    throw new ArgumentException($"an AddBlock may carry at most {MaxTargets} targets", nameof(command));
                }
                w.Varint((ulong)c.Targets.Count);
                foreach (var target in c.Targets)
                {
                    w.Varint(target.Value);
                }
                w.Signed(c.Time);
                break;
            case CommitBlock c:
                Str(w, c.Path); Str(w, c.Holder); w.Varint(c.Block.Id.Value); w.Varint(c.Block.Stamp.Value);
                w.Signed(c.Length); w.UInt32(c.Checksum);
                break;
            case UpdatePipeline c:
                Str(w, c.Path); Str(w, c.Holder); w.Varint(c.Block.Value);
                break;
            case AbandonBlock c:
                Str(w, c.Path); Str(w, c.Holder); w.Varint(c.Block.Value);
                break;
            case Complete c:
                Str(w, c.Path); Str(w, c.Holder); w.Signed(c.Time);
                break;
            case RenewLease c:
                Str(w, c.Holder); w.Signed(c.Time);
                break;
            case RecoverLease c:
                Str(w, c.Path); w.Signed(c.Time);
                break;
            case Rename c:
                Str(w, c.Source); Str(w, c.Destination); w.Bool(c.Overwrite); w.Signed(c.Time);
                break;
            case Delete c:
                Str(w, c.Path); w.Bool(c.Recursive); w.Signed(c.Time);
                break;
            case SetReplication c:
                Str(w, c.Path); w.Signed(c.Replication);
                break;
            case SetPermission c:
                Str(w, c.Path); w.Varint(c.Mode);
                break;
            case SetOwner c:
                Str(w, c.Path); OptionalStr(w, c.Owner); OptionalStr(w, c.Group);
                break;
            case SetTimes c:
                Str(w, c.Path); w.Signed(c.ModificationTime); w.Signed(c.AccessTime);
                break;
            case MoveToTrash c:
                Str(w, c.Path); Str(w, c.User); w.Signed(c.Time);
                break;
            case ExpireTrash c:
                w.Signed(c.Before);
                break;
            case SetDecommissioning c:
                w.Varint(c.Node.Value); w.Bool(c.Decommissioning);
                break;
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes one command; throws <see cref="FormatException"/> if it is malformed or has trailing bytes.</summary>
    public static NamespaceCommand Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new NamespaceReader(bytes);
        byte version = r.Byte("namespace command version");
        if (version != Version)
        {
            throw new FormatException($"namespace command has version {version}; this node reads version {Version}");
        }
        byte tag = r.Byte("namespace command tag");
        NamespaceCommand command = (Tag)tag switch
        {
            Tag.Mkdirs => new Mkdirs(Str(ref r, "path"), Str(ref r, "owner"), Str(ref r, "group"), Mode(ref r), r.Signed("time")),
            Tag.Create => new Create(Str(ref r, "path"), Str(ref r, "holder"), Str(ref r, "owner"), Str(ref r, "group"), Mode(ref r),
                (short)r.Int(short.MinValue, short.MaxValue, "replication"), r.Signed("block size"), r.Bool("overwrite"),
                r.Bool("create parent"), r.Signed("time")),
            Tag.AddBlock => new AddBlock(Str(ref r, "path"), Str(ref r, "holder"), Targets(ref r), r.Signed("time")),
            Tag.CommitBlock => new CommitBlock(Str(ref r, "path"), Str(ref r, "holder"),
                new BlockVersion(new BlockId(r.Varint("block id")), new GenerationStamp(r.Varint("stamp"))), r.Signed("length"), r.UInt32("checksum")),
            Tag.UpdatePipeline => new UpdatePipeline(Str(ref r, "path"), Str(ref r, "holder"), new BlockId(r.Varint("block id"))),
            Tag.AbandonBlock => new AbandonBlock(Str(ref r, "path"), Str(ref r, "holder"), new BlockId(r.Varint("block id"))),
            Tag.Complete => new Complete(Str(ref r, "path"), Str(ref r, "holder"), r.Signed("time")),
            Tag.RenewLease => new RenewLease(Str(ref r, "holder"), r.Signed("time")),
            Tag.RecoverLease => new RecoverLease(Str(ref r, "path"), r.Signed("time")),
            Tag.Rename => new Rename(Str(ref r, "source"), Str(ref r, "destination"), r.Bool("overwrite"), r.Signed("time")),
            Tag.Delete => new Delete(Str(ref r, "path"), r.Bool("recursive"), r.Signed("time")),
            Tag.SetReplication => new SetReplication(Str(ref r, "path"), (short)r.Int(short.MinValue, short.MaxValue, "replication")),
            Tag.SetPermission => new SetPermission(Str(ref r, "path"), Mode(ref r)),
            Tag.SetOwner => new SetOwner(Str(ref r, "path"), OptionalStr(ref r, "owner"), OptionalStr(ref r, "group")),
            Tag.SetTimes => new SetTimes(Str(ref r, "path"), r.Signed("mtime"), r.Signed("atime")),
            Tag.MoveToTrash => new MoveToTrash(Str(ref r, "path"), Str(ref r, "user"), r.Signed("time")),
            Tag.ExpireTrash => new ExpireTrash(r.Signed("before")),
            Tag.SetDecommissioning => new SetDecommissioning(new NodeId(r.Varint("node")), r.Bool("decommissioning")),
            _ => throw new FormatException($"namespace command has unknown tag {tag}"),
        };
        r.End("namespace command");
        return command;
    }

    private static void Str(NamespaceWriter w, string value) => w.String(value, MaxStringBytes, "string");

    private static void OptionalStr(NamespaceWriter w, string? value)
    {
        w.Bool(value is not null);
        if (value is not null)
        {
            Str(w, value);
        }
    }

    private static string Str(ref NamespaceReader r, string what) => r.String(MaxStringBytes, what);

    private static string? OptionalStr(ref NamespaceReader r, string what) => r.Bool(what + " present") ? Str(ref r, what) : null;

    private static ushort Mode(ref NamespaceReader r)
    {
        ulong mode = r.Varint("mode");
        return mode <= ushort.MaxValue ? (ushort)mode : throw new FormatException($"mode {mode} is out of range");
    }

    private static NodeId[] Targets(ref NamespaceReader r)
    {
        int count = r.Count(MaxTargets, 1, "target count");
        var targets = new NodeId[count];
        for (int i = 0; i < count; i++)
        {
            targets[i] = new NodeId(r.Varint("target"));
        }
        return targets;
    }
}
