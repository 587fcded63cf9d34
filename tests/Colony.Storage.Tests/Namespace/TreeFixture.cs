using Colony.Core;
using Colony.Storage.Namespace;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Namespace;

/// <summary>Short ways to drive a tree in tests; every command also goes through the codec.</summary>
internal sealed class TreeFixture(NamespaceLimits? limits = null)
{
    public NamespaceTree Tree { get; } = new(limits);

    public NamespaceResult Run(NamespaceCommand command)
    {
        var decoded = NamespaceCommandCodec.Decode(NamespaceCommandCodec.Encode(command));
        Assert.Equal(command, decoded);
        return Tree.Apply(decoded);
    }

    public NamespaceResult Ok(NamespaceCommand command)
    {
        var result = Run(command);
        Assert.True(result.IsOk, result.ToString());
        return result;
    }

    public void Fails(FsError error, NamespaceCommand command, string? mentions = null)
    {
        var result = Run(command);
        Assert.Equal(error, result.Error);
        if (mentions is not null)
        {
            Assert.Contains(mentions, result.Message);
        }
    }

    public NamespaceResult Create(string path, string holder = "c1", short replication = 3, bool overwrite = false, bool createParent = true, long time = 100) =>
        Run(new Create(path, holder, "alice", "staff", 0x1A4, replication, 1024, overwrite, createParent, time));

    public FileBlock AddBlock(string path, string holder = "c1", long time = 100) =>
        Ok(new AddBlock(path, holder, [new NodeId(1), new NodeId(2)], time)).Block!.Value;

    public FileBlock Commit(string path, FileBlock block, long length, string holder = "c1") =>
        Ok(new CommitBlock(path, holder, block.Version, length, (uint)length * 7)).Block!.Value;

    /// <summary>A complete file of <paramref name="blocks"/> blocks of 1000 bytes each; returns its blocks.</summary>
    public FileBlock[] WriteFile(string path, int blocks, string holder = "c1", short replication = 3)
    {
        Assert.True(Create(path, holder, replication).IsOk);
        var written = new FileBlock[blocks];
        for (int i = 0; i < blocks; i++)
        {
            written[i] = Commit(path, AddBlock(path, holder), 1000, holder);
        }
        Ok(new Complete(path, holder, 200));
        return written;
    }

    public byte[] Snapshot()
    {
        var stream = new MemoryStream();
        Tree.WriteSnapshot(stream);
        return stream.ToArray();
    }
}
