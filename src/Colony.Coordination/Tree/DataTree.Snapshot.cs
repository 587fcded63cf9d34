using Colony.Consensus;
using System.Buffers;
using Colony.Coordination.Commands;

namespace Colony.Coordination.Tree;

/// <remarks>
/// Snapshot layout (persisted; a new layout needs a new version), in the primitives of
/// <see cref="CoordinationCommandCodec"/>:
/// <code>
/// version u8 = 2, last zxid zigzag,
/// session count varint × (id i64, timeout ms zigzag, password bytes, owner node varint)
///                                                                          ascending id
/// node count varint × (path str, data nbytes, acl, czxid, mzxid, ctime, mtime zigzag,
///                      version, cversion, aversion zigzag, ephemeral owner i64, pzxid zigzag,
///                      children created zigzag)
///                                                                          ordinal path order
/// </code>
/// Children, data length, the ephemerals index and the container and TTL sets are derived, not
/// stored. Both orders are fixed, so equal states write equal bytes. No checksum: the composite
/// snapshot checksums every section. Version 1, written before sessions had owners, lacks the
/// owner; it still loads, its sessions owned by no node (unfenced until their client next moves).
/// </remarks>
public sealed partial class DataTree
{
    public const byte SnapshotVersion = 2;

    /// <summary>The layout before sessions had owners.</summary>
    private const byte UnownedSessionsVersion = 1;

    private const int FlushBytes = 1 << 20;

    /// <summary>Writes the whole state to <paramref name="destination"/>.</summary>
    public void WriteSnapshot(Stream destination) => CaptureSnapshot().WriteTo(destination);

    /// <summary>
    /// Captures the state for writing later, on another thread, while commands go on being applied:
    /// each node's fields are copied (data and ACL arrays are never changed in place, only
    /// replaced), and sorting and encoding wait for the writer.
    /// </summary>
    public SnapshotWriter CaptureSnapshot()
    {
        long lastZxid = LastZxid;
        var sessions = _sessions.All.Select(s => new CapturedSession(s.Key, s.Value.TimeoutMs, s.Value.Password, s.Value.Owner)).ToArray();
        var nodes = new CapturedNode[_nodes.Count];
        int i = 0;
        foreach (var (path, node) in _nodes)
        {
            nodes[i++] = new CapturedNode(path, node.Data, node.Acl, node.Czxid, node.Mzxid, node.Ctime, node.Mtime,
                node.Version, node.Cversion, node.Aversion, node.EphemeralOwner, node.Pzxid, node.ChildrenCreated);
        }
        return new SnapshotWriter(destination => WriteCaptured(destination, lastZxid, sessions, nodes));
    }

    private static void WriteCaptured(Stream destination, long lastZxid, CapturedSession[] sessions, CapturedNode[] nodes)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var buffer = new ArrayBufferWriter<byte>(4096); // grows as needed; flushed at FlushBytes
        var writer = new BinaryEncodingWriter(buffer);
        writer.Byte(SnapshotVersion);
        writer.Signed(lastZxid);
        writer.Varint((ulong)sessions.Length);
        foreach (var session in sessions)
        {
            writer.Fixed64(session.Id);
            writer.Signed(session.TimeoutMs);
            writer.Bytes(session.Password, CommandCodecLimits.MaxPasswordBytes, "password");
            writer.Varint(session.Owner);
        }
        Array.Sort(nodes, static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        writer.Varint((ulong)nodes.Length);
        foreach (var node in nodes)
        {
            CoordinationCommandCodec.WritePath(writer, node.Path);
            writer.NullableBytes(node.Data, CommandCodecLimits.MaxDataBytes, "data");
            CoordinationCommandCodec.WriteAcl(writer, node.Acl);
            writer.Signed(node.Czxid);
            writer.Signed(node.Mzxid);
            writer.Signed(node.Ctime);
            writer.Signed(node.Mtime);
            writer.Signed(node.Version);
            writer.Signed(node.Cversion);
            writer.Signed(node.Aversion);
            writer.Fixed64(node.EphemeralOwner);
            writer.Signed(node.Pzxid);
            writer.Signed(node.ChildrenCreated);
            if (buffer.WrittenCount >= FlushBytes)
            {
                destination.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }
        destination.Write(buffer.WrittenSpan);
    }

    /// <summary>A session's persisted fields at the moment of a capture (the password array is never changed).</summary>
    private readonly record struct CapturedSession(long Id, int TimeoutMs, byte[] Password, ulong Owner);

    /// <summary>A node's persisted fields at the moment of a capture.</summary>
    private readonly record struct CapturedNode(
        string Path, byte[]? Data, Acl[] Acl, long Czxid, long Mzxid, long Ctime, long Mtime,
        int Version, int Cversion, int Aversion, long EphemeralOwner, long Pzxid, int ChildrenCreated);

    /// <summary>
    /// Replaces the whole state with the one in <paramref name="source"/>, read to its end. Everything
    /// is checked before anything changes; throws <see cref="InvalidDataException"/> on a malformed or
    /// inconsistent snapshot and leaves the current state as it was.
    /// </summary>
    public void Restore(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        var restored = new DataTree(Limits);
        try
        {
            restored.Load(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"coordination snapshot is malformed: {e.Message}", e);
        }
        TakeStateOf(restored);
    }

    private void Load(ReadOnlySpan<byte> data)
    {
        var reader = new BinaryEncodingReader(data);
        byte version = reader.Byte("snapshot version");
        if (version is not (SnapshotVersion or UnownedSessionsVersion))
        {
            throw new InvalidDataException(
                $"coordination snapshot has version {version}; this node reads versions {UnownedSessionsVersion} and {SnapshotVersion}");
        }
        _nodes.Clear();
        ApproximateDataSize = 0;
        LastZxid = reader.Signed("last zxid");
        if (LastZxid < 0)
        {
            throw new InvalidDataException($"coordination snapshot has last zxid {LastZxid}");
        }
        int sessionCount = reader.Count(int.MaxValue, 10, "session count");
        long previousId = 0;
        for (int i = 0; i < sessionCount; i++)
        {
            long id = reader.Fixed64("session id");
            int timeout = reader.SignedInt("session timeout");
            var password = reader.Bytes(CommandCodecLimits.MaxPasswordBytes, "password");
            ulong owner = version == UnownedSessionsVersion ? SessionInfo.NoOwner : reader.Varint("session owner");
            if ((i > 0 && id <= previousId) || !EphemeralOwner.IsValidSessionId(id) || timeout <= 0)
            {
                throw new InvalidDataException($"coordination snapshot session {i} ({id:x}) is out of order or invalid");
            }
            _sessions.TryAdd(id, timeout, password, owner);
            previousId = id;
        }
        int nodeCount = reader.Count(int.MaxValue, 20, "node count");
        string? previousPath = null;
        for (int i = 0; i < nodeCount; i++)
        {
            string path = CoordinationCommandCodec.ReadPath(ref reader);
            var node = new ZNode
            {
                Data = reader.NullableBytes(CommandCodecLimits.MaxDataBytes, "data"),
                Acl = CoordinationCommandCodec.ReadAcl(ref reader),
                Czxid = reader.Signed("czxid"),
                Mzxid = reader.Signed("mzxid"),
                Ctime = reader.Signed("ctime"),
                Mtime = reader.Signed("mtime"),
                Version = reader.SignedInt("version"),
                Cversion = reader.SignedInt("cversion"),
                Aversion = reader.SignedInt("aversion"),
                EphemeralOwner = reader.Fixed64("ephemeral owner"),
                Pzxid = reader.Signed("pzxid"),
                ChildrenCreated = reader.SignedInt("children created"),
            };
            if (previousPath is not null && string.CompareOrdinal(previousPath, path) >= 0)
            {
                throw new InvalidDataException($"coordination snapshot node {path} is out of order after {previousPath}");
            }
            previousPath = path;
            AddRestored(path, node);
        }
        if (!reader.IsEmpty)
        {
            throw new InvalidDataException($"coordination snapshot has {reader.Remaining} trailing bytes");
        }
        foreach (var special in new[] { RootPath, ZooKeeperPath, QuotaPath, ConfigPath })
        {
            if (!_nodes.ContainsKey(special))
            {
                throw new InvalidDataException($"coordination snapshot lacks {special}");
            }
        }
    }

    private void AddRestored(string path, ZNode node)
    {
        if (PathValidator.Validate(path) is { } reason)
        {
            throw new InvalidDataException($"coordination snapshot has an invalid path: {reason}");
        }
        if (path != RootPath)
        {
            // Ordinal order puts every parent before its children, so the parent is already here.
            if (!_nodes.TryGetValue(PathValidator.ParentOf(path), out var parent))
            {
                throw new InvalidDataException($"coordination snapshot node {path} has no parent");
            }
            if (parent.Kind == NodeKind.Ephemeral)
            {
                throw new InvalidDataException($"coordination snapshot node {path} is the child of an ephemeral");
            }
            parent.AddChild(PathValidator.NameOf(path));
        }
        switch (node.Kind)
        {
            case NodeKind.Container:
                _containers.Add(path);
                break;
            case NodeKind.Ttl:
                _ttlNodes.Add(path);
                break;
            case NodeKind.Ephemeral:
                if (!_sessions.TryGet(node.EphemeralOwner, out var session))
                {
                    throw new InvalidDataException($"coordination snapshot ephemeral {path} belongs to no session");
                }
                session.Ephemerals.Add(path);
                break;
        }
        _nodes.Add(path, node);
        ApproximateDataSize += NodeSize(path, node.Data);
    }

    private void TakeStateOf(DataTree other)
    {
        _nodes.Clear();
        foreach (var (path, node) in other._nodes)
        {
            _nodes.Add(path, node);
        }
        _sessions.Clear();
        foreach (var (id, session) in other._sessions.All)
        {
            _sessions.Adopt(id, session);
        }
        _containers.Clear();
        _containers.UnionWith(other._containers);
        _ttlNodes.Clear();
        _ttlNodes.UnionWith(other._ttlNodes);
        LastZxid = other.LastZxid;
        ApproximateDataSize = other.ApproximateDataSize;
        RebuildQuotas();
    }
}
