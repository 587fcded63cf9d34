using System.Buffers;

namespace Colony.Coordination.Commands;

/// <summary>
/// The persisted form of a <see cref="CoordinationCommand"/>. Log entries keep it forever, so the layout
/// only ever gains versions; <see cref="Version"/> 1 is:
/// <code>
/// command  version u8 = 1, origin node varint, session i64 (big-endian), cxid zigzag, time ms zigzag,
///          auth count varint × (scheme str, identity str), op
/// op       kind u8 (<see cref="OperationKind"/>), then by kind:
///   Create            path str, data nbytes, acl, mode zigzag, ttl ms zigzag
///   Delete, Check     path str, version zigzag
///   SetData           path str, data nbytes, version zigzag
///   SetAcl            path str, acl, acl version zigzag
///   Multi             count varint × op (Create, Delete, SetData or Check only)
///   CreateSession     session i64, timeout ms zigzag, password bytes
///   CloseSession      session i64
///   MoveSession       session i64, password bytes
///   TouchSessions     count varint × session i64
///   DeleteContainer, DeleteExpiredTtl, Sync   path str
///   SetConfig         servers bytes
/// acl      count varint × (perms zigzag, scheme str, identity str)
/// str      UTF-8 byte count varint, bytes; bytes: count varint, bytes; nbytes: 0 = null, else count + 1, bytes
/// </code>
/// Varints are unsigned LEB128 and must be minimal; zigzag maps signed values onto them.
/// </summary>
public static class CoordinationCommandCodec
{
    public const byte Version = 1;

    /// <summary>Encodes <paramref name="command"/>; throws <see cref="ArgumentException"/> if a field breaks a codec limit.</summary>
    public static byte[] Encode(CoordinationCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new BinaryEncodingWriter(buffer);
        writer.Byte(Version);
        writer.Varint(command.OriginNode);
        writer.Fixed64(command.SessionId);
        writer.Signed(command.Cxid);
        writer.Signed(command.TimeMs);
        ArgumentNullException.ThrowIfNull(command.Auth, nameof(command.Auth));
        CheckCount(command.Auth.Count, CommandCodecLimits.MaxAuthIds, "auth ids");
        writer.Varint((ulong)command.Auth.Count);
        foreach (var id in command.Auth)
        {
            WriteId(writer, id);
        }
        WriteOp(writer, command.Operation, inMulti: false);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a command; throws <see cref="FormatException"/> if it is malformed or of an unknown version.</summary>
    public static CoordinationCommand Decode(ReadOnlySpan<byte> data)
    {
        var reader = new BinaryEncodingReader(data);
        byte version = reader.Byte("version");
        if (version != Version)
        {
            throw new FormatException($"coordination command has version {version}; this node reads version {Version}");
        }
        ulong origin = reader.Varint("origin node");
        long session = reader.Fixed64("session id");
        int cxid = reader.SignedInt("cxid");
        long time = reader.Signed("time");
        int authCount = reader.Count(CommandCodecLimits.MaxAuthIds, 2, "auth id count");
        var auth = new Id[authCount];
        for (int i = 0; i < authCount; i++)
        {
            auth[i] = ReadId(ref reader);
        }
        var op = ReadOp(ref reader, inMulti: false);
        if (!reader.IsEmpty)
        {
            throw new FormatException($"coordination command has {reader.Remaining} trailing bytes");
        }
        return new CoordinationCommand(origin, session, cxid, time, auth, op);
    }

    private static void WriteOp(BinaryEncodingWriter writer, Op op, bool inMulti)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (inMulti && !op.IsMultiOp)
        {
            throw new ArgumentException($"a multi cannot hold a {op.Kind} operation");
        }
        writer.Byte((byte)op.Kind);
        switch (op)
        {
            case Op.Create c:
                WritePath(writer, c.Path);
                writer.NullableBytes(c.Data, CommandCodecLimits.MaxDataBytes, "data");
                WriteAcl(writer, c.Acl);
                writer.Signed((int)c.Mode);
                writer.Signed(c.TtlMs);
                break;
            case Op.Delete d:
                WritePath(writer, d.Path);
                writer.Signed(d.Version);
                break;
            case Op.SetData s:
                WritePath(writer, s.Path);
                writer.NullableBytes(s.Data, CommandCodecLimits.MaxDataBytes, "data");
                writer.Signed(s.Version);
                break;
            case Op.SetAcl s:
                WritePath(writer, s.Path);
                WriteAcl(writer, s.Acl);
                writer.Signed(s.AclVersion);
                break;
            case Op.Check c:
                WritePath(writer, c.Path);
                writer.Signed(c.Version);
                break;
            case Op.Multi m:
                ArgumentNullException.ThrowIfNull(m.Ops, nameof(m.Ops));
                CheckCount(m.Ops.Count, CommandCodecLimits.MaxMultiOps, "multi ops");
                writer.Varint((ulong)m.Ops.Count);
                foreach (var inner in m.Ops)
                {
                    WriteOp(writer, inner, inMulti: true);
                }
                break;
            case Op.CreateSession s:
                writer.Fixed64(s.SessionId);
                writer.Signed(s.TimeoutMs);
                ArgumentNullException.ThrowIfNull(s.Password, nameof(s.Password));
                writer.Bytes(s.Password, CommandCodecLimits.MaxPasswordBytes, "password");
                break;
            case Op.CloseSession c:
                writer.Fixed64(c.SessionId);
                break;
            case Op.MoveSession m:
                writer.Fixed64(m.SessionId);
                ArgumentNullException.ThrowIfNull(m.Password, nameof(m.Password));
                writer.Bytes(m.Password, CommandCodecLimits.MaxPasswordBytes, "password");
                break;
            case Op.TouchSessions t:
                ArgumentNullException.ThrowIfNull(t.SessionIds, nameof(t.SessionIds));
                CheckCount(t.SessionIds.Count, CommandCodecLimits.MaxTouchedSessions, "touched sessions");
                writer.Varint((ulong)t.SessionIds.Count);
                foreach (long id in t.SessionIds)
                {
                    writer.Fixed64(id);
                }
                break;
            case Op.DeleteContainer d:
                WritePath(writer, d.Path);
                break;
            case Op.DeleteExpiredTtl d:
                WritePath(writer, d.Path);
                break;
            case Op.Sync s:
                WritePath(writer, s.Path);
                break;
            case Op.SetConfig c:
                ArgumentNullException.ThrowIfNull(c.Servers, nameof(c.Servers));
                writer.Bytes(c.Servers, CommandCodecLimits.MaxDataBytes, "config");
                break;
            default:
                throw new ArgumentException($"unknown operation {op.GetType().Name}");
        }
    }

    private static Op ReadOp(ref BinaryEncodingReader reader, bool inMulti)
    {
        var kind = (OperationKind)reader.Byte("operation kind");
        Op op = kind switch
        {
            OperationKind.Create => new Op.Create(
                ReadPath(ref reader),
                reader.NullableBytes(CommandCodecLimits.MaxDataBytes, "data"),
                ReadAcl(ref reader),
                (CreateMode)reader.SignedInt("create mode"),
                reader.Signed("ttl")),
            OperationKind.Delete => new Op.Delete(ReadPath(ref reader), reader.SignedInt("version")),
            OperationKind.SetData => new Op.SetData(
                ReadPath(ref reader),
                reader.NullableBytes(CommandCodecLimits.MaxDataBytes, "data"),
                reader.SignedInt("version")),
            OperationKind.SetAcl => new Op.SetAcl(ReadPath(ref reader), ReadAcl(ref reader), reader.SignedInt("acl version")),
            OperationKind.Check => new Op.Check(ReadPath(ref reader), reader.SignedInt("version")),
            OperationKind.Multi when !inMulti => ReadMulti(ref reader),
            OperationKind.CreateSession => new Op.CreateSession(
                reader.Fixed64("session id"),
                reader.SignedInt("timeout"),
                reader.Bytes(CommandCodecLimits.MaxPasswordBytes, "password")),
            OperationKind.CloseSession => new Op.CloseSession(reader.Fixed64("session id")),
            OperationKind.MoveSession => new Op.MoveSession(
                reader.Fixed64("session id"),
                reader.Bytes(CommandCodecLimits.MaxPasswordBytes, "password")),
            OperationKind.TouchSessions => ReadTouch(ref reader),
            OperationKind.DeleteContainer => new Op.DeleteContainer(ReadPath(ref reader)),
            OperationKind.DeleteExpiredTtl => new Op.DeleteExpiredTtl(ReadPath(ref reader)),
            OperationKind.Sync => new Op.Sync(ReadPath(ref reader)),
            OperationKind.SetConfig => new Op.SetConfig(reader.Bytes(CommandCodecLimits.MaxDataBytes, "config")),
            _ => throw new FormatException($"unknown operation kind {(byte)kind}"),
        };
        if (inMulti && !op.IsMultiOp)
        {
            throw new FormatException($"a multi holds a {kind} operation");
        }
        return op;
    }

    private static Op.Multi ReadMulti(ref BinaryEncodingReader reader)
    {
        // Each op takes at least a kind byte, a path length and a version.
        int count = reader.Count(CommandCodecLimits.MaxMultiOps, 3, "multi op count");
        var ops = new Op[count];
        for (int i = 0; i < count; i++)
        {
            ops[i] = ReadOp(ref reader, inMulti: true);
        }
        return new Op.Multi(ops);
    }

    private static Op.TouchSessions ReadTouch(ref BinaryEncodingReader reader)
    {
        int count = reader.Count(CommandCodecLimits.MaxTouchedSessions, 8, "touched session count");
        var ids = new long[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = reader.Fixed64("session id");
        }
        return new Op.TouchSessions(ids);
    }

    internal static void WritePath(BinaryEncodingWriter writer, string path) =>
        writer.String(path, CommandCodecLimits.MaxPathBytes, "path");

    internal static string ReadPath(ref BinaryEncodingReader reader) => reader.String(CommandCodecLimits.MaxPathBytes, "path");

    internal static void WriteId(BinaryEncodingWriter writer, Id id)
    {
        writer.String(id.Scheme, CommandCodecLimits.MaxIdBytes, "id scheme");
        writer.String(id.Identity, CommandCodecLimits.MaxIdBytes, "id identity");
    }

    internal static Id ReadId(ref BinaryEncodingReader reader) => new(
        reader.String(CommandCodecLimits.MaxIdBytes, "id scheme"),
        reader.String(CommandCodecLimits.MaxIdBytes, "id identity"));

    internal static void WriteAcl(BinaryEncodingWriter writer, IReadOnlyList<Acl> acl)
    {
        ArgumentNullException.ThrowIfNull(acl);
        CheckCount(acl.Count, CommandCodecLimits.MaxAclEntries, "acl entries");
        writer.Varint((ulong)acl.Count);
        foreach (var entry in acl)
        {
            writer.Signed((int)entry.Perms);
            WriteId(writer, entry.Id);
        }
    }

    internal static Acl[] ReadAcl(ref BinaryEncodingReader reader)
    {
        int count = reader.Count(CommandCodecLimits.MaxAclEntries, 3, "acl entry count");
        var acl = new Acl[count];
        for (int i = 0; i < count; i++)
        {
            var perms = (Perms)reader.SignedInt("perms");
            acl[i] = new Acl(perms, ReadId(ref reader));
        }
        return acl;
    }

    private static void CheckCount(int count, int max, string what)
    {
        if (count > max)
        {
            throw new ArgumentException($"{count} {what}; the limit is {max}");
        }
    }
}
