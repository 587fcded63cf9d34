using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

/// <summary>
/// Reads and writes the tree's snapshot layout independently of the tree, so tests can reach states
/// that would take billions of operations (wrapped counters) and build corrupt snapshots.
/// </summary>
internal static class SnapshotEdit
{
    internal sealed record SessionRecord(long Id, int TimeoutMs, byte[] Password, ulong Owner);

    internal sealed record NodeRecord(
        string Path, byte[]? Data, Acl[] Acl, long Czxid, long Mzxid, long Ctime, long Mtime,
        int Version, int Cversion, int Aversion, long EphemeralOwner, long Pzxid, int ChildrenCreated);

    internal sealed record Model(long LastZxid, List<SessionRecord> Sessions, List<NodeRecord> Nodes);

    public static Model Read(DataTree tree)
    {
        var stream = new MemoryStream();
        tree.WriteSnapshot(stream);
        return Read(stream.ToArray());
    }

    public static Model Read(byte[] bytes)
    {
        var reader = new BinaryEncodingReader(bytes);
        Assert.Equal(DataTree.SnapshotVersion, reader.Byte("version"));
        long zxid = reader.Signed("zxid");
        var sessions = new List<SessionRecord>();
        for (int i = (int)reader.Varint("sessions"); i > 0; i--)
        {
            sessions.Add(new SessionRecord(reader.Fixed64("id"), reader.SignedInt("timeout"), reader.Bytes(1024, "password"), reader.Varint("owner")));
        }
        var nodes = new List<NodeRecord>();
        for (int i = (int)reader.Varint("nodes"); i > 0; i--)
        {
            nodes.Add(new NodeRecord(
                CoordinationCommandCodec.ReadPath(ref reader),
                reader.NullableBytes(CommandCodecLimits.MaxDataBytes, "data"),
                CoordinationCommandCodec.ReadAcl(ref reader),
                reader.Signed("czxid"), reader.Signed("mzxid"), reader.Signed("ctime"), reader.Signed("mtime"),
                reader.SignedInt("version"), reader.SignedInt("cversion"), reader.SignedInt("aversion"),
                reader.Fixed64("owner"), reader.Signed("pzxid"), reader.SignedInt("children created")));
        }
        Assert.True(reader.IsEmpty);
        return new Model(zxid, sessions, nodes);
    }

    /// <summary>The model in the current layout, or with <paramref name="version"/> 1 in the layout before owners (which it drops).</summary>
    public static byte[] Write(Model model, byte version = DataTree.SnapshotVersion)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new BinaryEncodingWriter(buffer);
        writer.Byte(version);
        writer.Signed(model.LastZxid);
        writer.Varint((ulong)model.Sessions.Count);
        foreach (var s in model.Sessions)
        {
            writer.Fixed64(s.Id);
            writer.Signed(s.TimeoutMs);
            writer.Bytes(s.Password, 1024, "password");
            if (version >= 2)
            {
                writer.Varint(s.Owner);
            }
        }
        writer.Varint((ulong)model.Nodes.Count);
        foreach (var n in model.Nodes)
        {
            CoordinationCommandCodec.WritePath(writer, n.Path);
            writer.NullableBytes(n.Data, CommandCodecLimits.MaxDataBytes, "data");
            CoordinationCommandCodec.WriteAcl(writer, n.Acl);
            writer.Signed(n.Czxid);
            writer.Signed(n.Mzxid);
            writer.Signed(n.Ctime);
            writer.Signed(n.Mtime);
            writer.Signed(n.Version);
            writer.Signed(n.Cversion);
            writer.Signed(n.Aversion);
            writer.Fixed64(n.EphemeralOwner);
            writer.Signed(n.Pzxid);
            writer.Signed(n.ChildrenCreated);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The tree's snapshot with one node's record changed.</summary>
    public static byte[] WithNode(DataTree tree, string path, Func<NodeRecord, NodeRecord> edit)
    {
        var model = Read(tree);
        int index = model.Nodes.FindIndex(n => n.Path == path);
        Assert.True(index >= 0, $"{path} is in the snapshot");
        model.Nodes[index] = edit(model.Nodes[index]);
        return Write(model);
    }

    /// <summary>A driver whose tree holds the given snapshot (and no default session unless the snapshot has it).</summary>
    public static TreeDriver Load(byte[] snapshot)
    {
        var driver = new TreeDriver(openDefaultSession: false);
        driver.Tree.Restore(new MemoryStream(snapshot));
        return driver;
    }
}
