using Colony.Core;
using Colony.Storage.Namespace;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Namespace;

/// <summary>Seeded random command sequences: determinism, snapshot fidelity and the tree's own invariants.</summary>
public sealed class NamespaceModelTests
{
    private static readonly string[] Names = ["a", "b", "c"];
    private static readonly string[] Holders = ["h1", "h2"];

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void Random_sequences_are_deterministic_and_survive_snapshots(ulong seed)
    {
        var random = new SeededRandom(seed);
        var known = new List<(string Path, string Holder, BlockVersion Version)>();
        var first = new TreeFixture();
        var second = new TreeFixture();
        var results = new List<string>();
        int commits = 0;
        for (int i = 0; i < 600; i++)
        {
            var command = Next(random, known, i * 10);
            var a = first.Run(command);
            var b = second.Run(command);
            // Later commands aim at real files and blocks, so commits, re-stamps and abandons happen.
            switch (command)
            {
                case Create create when a.IsOk:
                    known.Add((create.Path, create.Holder, default));
                    break;
                case AddBlock add when a.Block is { } added:
                    known.Add((add.Path, add.Holder, added.Version));
                    break;
                case UpdatePipeline update when a.Block is { } restamped:
                    known.Add((update.Path, update.Holder, restamped.Version));
                    break;
            }
            commits += command is CommitBlock && a.IsOk ? 1 : 0;
            Assert.Equal(a.ToString(), b.ToString());
            results.Add(a.ToString());
            if (i % 100 == 99)
            {
                // Restoring mid-way must not change what happens next.
                var bytes = second.Snapshot();
                var restored = new TreeFixture();
                restored.Tree.Restore(new MemoryStream(bytes));
                Assert.Equal(bytes, restored.Snapshot());
                Assert.Equal(NamespaceSnapshotTests.Dump(second.Tree), NamespaceSnapshotTests.Dump(restored.Tree));
                second = restored;
            }
            CheckInvariants(first.Tree);
        }
        Assert.Equal(first.Snapshot(), second.Snapshot());
        Assert.Contains(results, r => r == "ok");
        Assert.Contains(results, r => r != "ok");
        Assert.True(commits > 0);
    }

    private static void CheckInvariants(NamespaceTree tree)
    {
        var nodes = NamespaceTree.Walk(tree.Root).Skip(1).ToList();
        Assert.Equal(tree.InodeCount, nodes.Count);
        var files = nodes.OfType<FileInode>().ToList();
        Assert.Equal(tree.FileCount, files.Count);
        var blocks = files.SelectMany(f => f.Blocks).ToList();
        Assert.Equal(tree.BlockCount, blocks.Count);
        Assert.Equal(blocks.Count, blocks.Select(b => b.Id).Distinct().Count());
        Assert.All(blocks, b => Assert.True(b.Id.Value < tree.NextBlockId && b.Stamp.Value < tree.NextGenerationStamp));
        foreach (var file in files)
        {
            Assert.Equal(file.State == FileState.UnderConstruction, file.LeaseHolder is not null);
            Assert.All(file.Blocks.SkipLast(1), b => Assert.Equal(BlockState.Committed, b.State));
            if (file.State == FileState.Complete && file.Blocks.Count > 0)
            {
                Assert.Equal(BlockState.Committed, file.Blocks[^1].State);
            }
        }
    }

    private static NamespaceCommand Next(IRandomSource random, List<(string Path, string Holder, BlockVersion Version)> known, long time)
    {
        string Path()
        {
            int depth = random.Next(1, 4);
            return "/" + string.Join('/', Enumerable.Range(0, depth).Select(_ => Names[random.Next(Names.Length)]));
        }
        string Holder() => Holders[random.Next(Holders.Length)];
        // Mostly aim at a block really handed out, on its own file and writer; sometimes at nothing in particular.
        (string Path, string Holder, BlockVersion Version) Known() =>
            known.Count == 0 || random.Next(4) == 0
                ? (Path(), Holder(), new BlockVersion(new BlockId((ulong)random.Next(1, 50)), new GenerationStamp((ulong)random.Next(1, 50))))
                : known[^(1 + random.Next(Math.Min(3, known.Count)))];
        return random.Next(16) switch
        {
            0 => new Mkdirs(Path(), "u", "g", 0x1ED, time),
            1 or 2 => new Create(Path(), Holder(), "u", "g", 0x1A4, (short)random.Next(1, 4), 100, random.Next(2) == 0, true, time),
            3 or 4 => random.Next(2) == 0 && known.Count > 0 ? new AddBlock(known[^1].Path, known[^1].Holder, [new NodeId(1)], time) : new AddBlock(Path(), Holder(), [new NodeId(1)], time),
            5 or 6 => Known() is var k ? new CommitBlock(k.Path, k.Holder, k.Version, random.Next(0, 101), (uint)random.Next(1000)) : null!,
            7 => Known() is var k ? new UpdatePipeline(k.Path, k.Holder, k.Version.Id) : null!,
            8 => Known() is var k ? new AbandonBlock(k.Path, k.Holder, k.Version.Id) : null!,
            9 => Known() is var k ? new Complete(k.Path, k.Holder, time) : null!,
            10 => new RecoverLease(Path(), time),
            11 => new Rename(Path(), Path(), random.Next(2) == 0, time),
            12 => new Delete(Path(), random.Next(2) == 0, time),
            13 => new MoveToTrash(Path(), "u", time),
            14 => new ExpireTrash(time - 200),
            _ => new RenewLease(Holder(), time),
        };
    }
}
