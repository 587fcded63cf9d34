using Colony.Consensus.StateMachine;
using Colony.Core;
using Colony.Storage.Namespace;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Namespace;

public sealed class NamespaceSnapshotTests
{
    [Fact]
    public void Round_trips_every_kind_of_state()
    {
        var fs = new TreeFixture();
        fs.WriteFile("/a/done", 2);
        fs.Create("/a/open", holder: "w", time: 55);
        fs.Commit("/a/open", fs.AddBlock("/a/open", "w"), 10, "w");
        fs.AddBlock("/a/open", "w");
        fs.Create("/b/recovered", holder: "gone");
        fs.AddBlock("/b/recovered", "gone");
        fs.Ok(new RecoverLease("/b/recovered", 60));
        fs.Ok(new SetOwner("/a", "bob", "ops"));
        fs.Ok(new MoveToTrash("/a/done", "bob", 70));
        var bytes = fs.Snapshot();

        var restored = new TreeFixture();
        restored.Tree.Restore(new MemoryStream(bytes));
        Assert.Equal(bytes, restored.Snapshot());
        Assert.Equal(Dump(fs.Tree), Dump(restored.Tree));
        Assert.Equal((fs.Tree.NextBlockId, fs.Tree.NextGenerationStamp, fs.Tree.InodeCount, fs.Tree.FileCount, fs.Tree.BlockCount),
            (restored.Tree.NextBlockId, restored.Tree.NextGenerationStamp, restored.Tree.InodeCount, restored.Tree.FileCount, restored.Tree.BlockCount));
        Assert.Equal(["/a/open"], restored.Tree.LeasesOf("w").Select(p => p.Value));
        Assert.True(restored.Tree.Stat("/b/recovered")!.ClosedByRecovery);
        // The restored tree goes on exactly like the original.
        var open = ((FileInode)fs.Tree.Find("/a/open")!).Blocks[^1];
        foreach (var tree in new[] { fs, restored })
        {
            tree.Commit("/a/open", open, 20, "w"); // id 5 went with the recovered block: ids are never reused
            Assert.Equal(new BlockId(6), tree.AddBlock("/a/open", "w", 80).Id);
        }
        Assert.Equal(fs.Snapshot(), restored.Snapshot());
    }

    [Fact]
    public void Decommissioning_nodes_are_applied_and_kept_in_version_2_snapshots_only_while_there_are_some()
    {
        var fs = new TreeFixture();
        byte[] empty = fs.Snapshot();
        Assert.Equal(NamespaceTree.SnapshotVersion, empty[0]);
        fs.Ok(new SetDecommissioning(new NodeId(7), true));
        fs.Ok(new SetDecommissioning(new NodeId(2), true));
        fs.Ok(new SetDecommissioning(new NodeId(2), true)); // repeating is fine
        Assert.Equal(FsError.InvalidArgument, fs.Tree.Apply(new SetDecommissioning(NodeId.None, true)).Error);
        Assert.Equal([new NodeId(2), new NodeId(7)], fs.Tree.Decommissioning);

        var bytes = fs.Snapshot();
        // Frozen: version 2, the empty tree's bytes, then two nodes ascending.
        Assert.Equal([NamespaceTree.SnapshotVersionWithNodes, .. empty.AsSpan(1), 0x02, 0x02, 0x07], bytes);
        var restored = new TreeFixture();
        restored.Tree.Restore(new MemoryStream(bytes));
        Assert.Equal([new NodeId(2), new NodeId(7)], restored.Tree.Decommissioning);
        Assert.Equal(bytes, restored.Snapshot());

        // Out of order, zero, or an empty list under version 2 are malformed.
        foreach (var bad in new byte[][] { [.. bytes[..^3], 0x02, 0x07, 0x02], [.. bytes[..^3], 0x01, 0x00], [.. bytes[..^3], 0x00] })
        {
            Assert.Throws<FormatException>(() => restored.Tree.Restore(new MemoryStream(bad)));
        }
        Assert.Equal([new NodeId(2), new NodeId(7)], restored.Tree.Decommissioning);

        fs.Ok(new SetDecommissioning(new NodeId(2), false));
        fs.Ok(new SetDecommissioning(new NodeId(7), false));
        Assert.Equal(empty, fs.Snapshot());
        restored.Tree.Restore(new MemoryStream(empty));
        Assert.Empty(restored.Tree.Decommissioning);
    }

    [Fact]
    public void An_empty_tree_round_trips()
    {
        var fs = new TreeFixture();
        var restored = new TreeFixture();
        restored.Tree.Restore(new MemoryStream(fs.Snapshot()));
        Assert.Equal(fs.Snapshot(), restored.Snapshot());
    }

    [Fact]
    public void Truncated_or_garbled_snapshots_throw_and_change_nothing()
    {
        var fs = new TreeFixture();
        fs.WriteFile("/a/f", 2);
        fs.Create("/a/open", holder: "w");
        fs.AddBlock("/a/open", "w");
        var bytes = fs.Snapshot();

        var target = new TreeFixture();
        target.WriteFile("/mine", 1);
        var before = target.Snapshot();
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.Throws<FormatException>(() => target.Tree.Restore(new MemoryStream(bytes[..i])));
        }
        Assert.Throws<FormatException>(() => target.Tree.Restore(new MemoryStream([.. bytes, 0])));
        var wrongVersion = (byte[])bytes.Clone();
        wrongVersion[0] = 9;
        Assert.Throws<FormatException>(() => target.Tree.Restore(new MemoryStream(wrongVersion)));
        int garbled = 0;
        for (int i = 1; i < bytes.Length; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[i] ^= 0xFF;
            try
            {
                target.Tree.Restore(new MemoryStream(copy));
                target.Tree.Restore(new MemoryStream(before)); // some flips are still valid states; put ours back
            }
            catch (FormatException)
            {
                garbled++;
            }
        }
        Assert.True(garbled > bytes.Length / 2, $"only {garbled} of {bytes.Length} flips were caught");
        Assert.Equal(before, target.Snapshot());
    }

    [Fact]
    public void Module_applies_raises_applied_and_snapshots()
    {
        var module = new NamespaceModule();
        var seen = new List<(CommandContext, NamespaceCommand, NamespaceResult)>();
        module.Applied += (context, command, result) => seen.Add((context, command, result));
        var mkdir = new Mkdirs("/x", "a", "g", 0x1ED, 1);
        module.Apply(new CommandContext(5, 2, 0), NamespaceCommandCodec.Encode(mkdir));
        module.Apply(new CommandContext(5, 2, 1), NamespaceCommandCodec.Encode(new Delete("/", true, 1)));
        Assert.Equal(ModuleId.Namespace, module.Id);
        Assert.Equal(2, seen.Count);
        Assert.Equal((new CommandContext(5, 2, 0), (NamespaceCommand)mkdir, true), (seen[0].Item1, seen[0].Item2, seen[0].Item3.IsOk));
        Assert.Equal(FsError.InvalidArgument, seen[1].Item3.Error);
        Assert.Throws<FormatException>(() => module.Apply(new CommandContext(6, 2, 0), [1, 99]));

        var stream = new MemoryStream();
        module.WriteSnapshot(stream);
        var other = new NamespaceModule();
        other.Restore(new MemoryStream(stream.ToArray()));
        Assert.NotNull(other.Tree.Stat("/x"));
        var captured = new MemoryStream();
        ((IStateMachineModule)module).CaptureSnapshot().WriteTo(captured);
        Assert.Equal(stream.ToArray(), captured.ToArray());
    }

    [Fact]
    public void Works_inside_the_composite_state_machine()
    {
        var module = new NamespaceModule();
        var machine = new CompositeStateMachine([module]);
        CommandContext? context = null;
        module.Applied += (c, _, _) => context = c;
        var payload = CommandBatch.Encode(ModuleId.Namespace, NamespaceCommandCodec.Encode(new Mkdirs("/in", "a", "g", 0x1ED, 1)));
        machine.Apply(new Colony.Consensus.Entry(3, 1, Colony.Consensus.EntryType.Normal, payload));
        Assert.Equal(new CommandContext(1, 3, 0), context);
        var snapshot = new MemoryStream();
        machine.WriteSnapshot(snapshot);
        var other = new NamespaceModule();
        new CompositeStateMachine([other]).Restore(new MemoryStream(snapshot.ToArray()));
        Assert.NotNull(other.Tree.Stat("/in"));
    }

    /// <summary>A readable canonical dump: one line per inode in walk order.</summary>
    internal static string Dump(NamespaceTree tree) => string.Join('\n', NamespaceTree.Walk(tree.Root).Select(node => node switch
    {
        FileInode f => $"F {f.Path} {f.Owner}:{f.Group} {f.Mode} {f.ModificationTime}/{f.AccessTime} r{f.Replication} bs{f.BlockSize} {f.State} {f.LeaseHolder}@{f.LeaseTime} rec={f.ClosedByRecovery} [{string.Join(',', f.Blocks.Select(b => $"{b.Version}:{b.Length}:{b.Checksum}:{b.State}"))}]",
        _ => $"D {node.Path} {node.Owner}:{node.Group} {node.Mode} {node.ModificationTime}/{node.AccessTime}",
    }));
}
