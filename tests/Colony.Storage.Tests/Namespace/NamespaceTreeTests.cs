using Colony.Core;
using Colony.Storage.Namespace;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Namespace;

public sealed class NamespaceTreeTests
{
    private readonly TreeFixture _fs = new();

    [Fact]
    public void Mkdirs_makes_every_missing_level_and_is_idempotent()
    {
        _fs.Ok(new Mkdirs("/a/b/c", "alice", "staff", 0x1ED, 5));
        _fs.Ok(new Mkdirs("/a/b/c", "bob", "x", 0x1FF, 6));
        var c = _fs.Tree.Stat("/a/b/c")!;
        Assert.True(c.IsDirectory);
        Assert.Equal("alice", c.Owner);
        Assert.Equal(0x1ED, c.Mode);
        Assert.Equal(3, _fs.Tree.InodeCount);
    }

    [Fact]
    public void Mkdirs_through_a_file_is_refused_and_changes_nothing()
    {
        _fs.WriteFile("/f", 0);
        _fs.Fails(FsError.NotADirectory, new Mkdirs("/f/x/y", "a", "g", 0x1ED, 1), "/f");
        _fs.Fails(FsError.InvalidPath, new Mkdirs("relative", "a", "g", 0x1ED, 1));
        Assert.Equal(1, _fs.Tree.InodeCount);
    }

    [Fact]
    public void Create_opens_a_file_under_construction_with_a_lease()
    {
        Assert.True(_fs.Create("/d/f", holder: "writer", time: 42).IsOk);
        var status = _fs.Tree.Stat("/d/f")!;
        Assert.Equal(FileState.UnderConstruction, status.State);
        Assert.Equal("writer", status.LeaseHolder);
        Assert.Equal(3, status.Replication);
        Assert.Equal(42, status.ModificationTime);
        Assert.Equal(["/d/f"], _fs.Tree.LeasesOf("writer").Select(p => p.Value));
    }

    [Fact]
    public void Create_errors()
    {
        Assert.Equal(FsError.NotFound, _fs.Create("/missing/f", createParent: false).Error);
        _fs.Ok(new Mkdirs("/d", "a", "g", 0x1ED, 1));
        Assert.Equal(FsError.IsADirectory, _fs.Create("/d").Error);
        Assert.Equal(FsError.IsADirectory, _fs.Create("/").Error);
        Assert.Equal(FsError.InvalidArgument, _fs.Create("/r0", replication: 0).Error);
        Assert.Equal(FsError.InvalidArgument, _fs.Create("/r99", replication: 99).Error);
        Assert.Equal(FsError.InvalidPath, _fs.Create("/a//b").Error);
        _fs.WriteFile("/done", 1);
        Assert.Equal(FsError.AlreadyExists, _fs.Create("/done").Error);
        Assert.Equal(FsError.NotADirectory, _fs.Create("/done/child").Error);
    }

    [Fact]
    public void A_second_writer_gets_a_lease_conflict_naming_the_holder()
    {
        Assert.True(_fs.Create("/f", holder: "first").IsOk);
        var second = _fs.Create("/f", holder: "second", overwrite: true);
        Assert.Equal(FsError.LeaseConflict, second.Error);
        Assert.Contains("first", second.Message);
    }

    [Fact]
    public void Overwriting_a_complete_file_frees_its_blocks()
    {
        var blocks = _fs.WriteFile("/f", 2);
        var result = _fs.Create("/f", holder: "c2", overwrite: true);
        Assert.True(result.IsOk);
        Assert.Equal(blocks.Select(b => b.Version), result.FreedBlocks);
        Assert.Equal(0, _fs.Tree.BlockCount);
        Assert.Equal(1, _fs.Tree.FileCount);
    }

    [Fact]
    public void Blocks_are_allocated_from_the_counters_and_committed_in_order()
    {
        _fs.Create("/f");
        var first = _fs.Ok(new AddBlock("/f", "c1", [new NodeId(7), new NodeId(8)], 100));
        Assert.Equal(new BlockId(1), first.Block!.Value.Id);
        Assert.Equal(new GenerationStamp(1), first.Block!.Value.Stamp);
        Assert.Equal([new NodeId(7), new NodeId(8)], first.Targets);
        _fs.Fails(FsError.BlockMismatch, new AddBlock("/f", "c1", [], 100), "not committed");
        _fs.Commit("/f", first.Block.Value, 1000);
        var second = _fs.AddBlock("/f");
        Assert.Equal(new BlockId(2), second.Id);
        Assert.Equal(2UL, second.Stamp.Value);
        Assert.Equal(3UL, _fs.Tree.NextBlockId);
        Assert.Equal(1000, _fs.Tree.Stat("/f")!.Length);
    }

    [Fact]
    public void Writes_need_the_lease()
    {
        _fs.Create("/f", holder: "owner");
        _fs.Fails(FsError.LeaseMismatch, new AddBlock("/f", "intruder", [], 1), "owner");
        _fs.Fails(FsError.NotFound, new AddBlock("/nope", "owner", [], 1));
        _fs.WriteFile("/closed", 0);
        _fs.Fails(FsError.FileNotUnderConstruction, new AddBlock("/closed", "c1", [], 1));
        _fs.Ok(new Mkdirs("/dir", "a", "g", 0x1ED, 1));
        _fs.Fails(FsError.IsADirectory, new AddBlock("/dir", "c1", [], 1));
    }

    [Fact]
    public void CommitBlock_checks_the_block_and_its_stamp()
    {
        _fs.Create("/f");
        var block = _fs.AddBlock("/f");
        _fs.Fails(FsError.BlockMismatch, new CommitBlock("/f", "c1", new BlockVersion(new BlockId(99), block.Stamp), 10, 0));
        _fs.Fails(FsError.BlockMismatch, new CommitBlock("/f", "c1", block.Version with { Stamp = new GenerationStamp(99) }, 10, 0), "stale");
        _fs.Fails(FsError.InvalidArgument, new CommitBlock("/f", "c1", block.Version, 5000, 0));
        var committed = _fs.Commit("/f", block, 10);
        Assert.Equal(BlockState.Committed, committed.State);
        Assert.Equal(70u, committed.Checksum);
        _fs.Ok(new CommitBlock("/f", "c1", block.Version, 10, 70)); // a retry is fine
        _fs.Fails(FsError.BlockMismatch, new CommitBlock("/f", "c1", block.Version, 11, 70), "already committed");
    }

    [Fact]
    public void UpdatePipeline_bumps_the_stamp_and_old_stamp_commits_are_refused()
    {
        _fs.Create("/f");
        var block = _fs.AddBlock("/f");
        var restamped = _fs.Ok(new UpdatePipeline("/f", "c1", block.Id)).Block!.Value;
        Assert.Equal(block.Id, restamped.Id);
        Assert.True(restamped.Stamp > block.Stamp);
        _fs.Fails(FsError.BlockMismatch, new CommitBlock("/f", "c1", block.Version, 10, 0), "stale");
        _fs.Commit("/f", restamped, 10);
        _fs.Fails(FsError.BlockMismatch, new UpdatePipeline("/f", "c1", block.Id));
        Assert.True(_fs.Tree.TryGetBlock(block.Id, out var catalog));
        Assert.Equal(restamped.Stamp, catalog.Block.Stamp);
    }

    [Fact]
    public void AbandonBlock_drops_the_open_last_block()
    {
        _fs.Create("/f");
        var block = _fs.AddBlock("/f");
        _fs.Fails(FsError.BlockMismatch, new AbandonBlock("/f", "c1", new BlockId(77)));
        var result = _fs.Ok(new AbandonBlock("/f", "c1", block.Id));
        Assert.Equal([block.Version], result.FreedBlocks);
        Assert.Equal(0, _fs.Tree.Stat("/f")!.BlockCount);
        Assert.False(_fs.Tree.TryGetBlock(block.Id, out _));
        Assert.NotEqual(block.Id, _fs.AddBlock("/f").Id); // ids are never reused
    }

    [Fact]
    public void Complete_needs_a_committed_last_block_and_releases_the_lease()
    {
        _fs.Create("/f");
        var block = _fs.AddBlock("/f");
        _fs.Fails(FsError.BlockMismatch, new Complete("/f", "c1", 300), "not committed");
        _fs.Commit("/f", block, 500);
        _fs.Fails(FsError.LeaseMismatch, new Complete("/f", "other", 300));
        _fs.Ok(new Complete("/f", "c1", 300));
        var status = _fs.Tree.Stat("/f")!;
        Assert.Equal(FileState.Complete, status.State);
        Assert.Null(status.LeaseHolder);
        Assert.Equal(300, status.ModificationTime);
        Assert.Empty(_fs.Tree.LeasesOf("c1"));
        _fs.Fails(FsError.FileNotUnderConstruction, new Complete("/f", "c1", 300));
    }

    [Fact]
    public void RenewLease_touches_every_file_of_the_holder_only()
    {
        _fs.Create("/a", holder: "h", time: 10);
        _fs.Create("/b", holder: "h", time: 10);
        _fs.Create("/c", holder: "other", time: 10);
        Assert.Equal(2, _fs.Ok(new RenewLease("h", 50)).LeasesRenewed);
        Assert.Equal(["/c"], _fs.Tree.ExpiredLeases(before: 20).Select(p => p.Value));
        Assert.Equal(0, _fs.Ok(new RenewLease("nobody", 50)).LeasesRenewed);
    }

    [Fact]
    public void RecoverLease_keeps_committed_blocks_drops_the_open_one_and_leaves_a_trace()
    {
        _fs.Create("/f", holder: "gone");
        var kept = _fs.Commit("/f", _fs.AddBlock("/f", "gone"), 1000, "gone");
        var open = _fs.AddBlock("/f", "gone");
        var result = _fs.Ok(new RecoverLease("/f", 900));
        Assert.Equal([open.Version], result.FreedBlocks);
        var status = _fs.Tree.Stat("/f")!;
        Assert.Equal(FileState.Complete, status.State);
        Assert.True(status.ClosedByRecovery);
        Assert.Equal(1000, status.Length);
        Assert.Equal([kept.Id], _fs.Tree.AllBlocks().Select(b => b.Block.Id));
        Assert.Empty(_fs.Tree.LeasesOf("gone"));
        _fs.Fails(FsError.FileNotUnderConstruction, new RecoverLease("/f", 901));
        Assert.True(_fs.Create("/f", holder: "new", overwrite: true).IsOk); // the file can be written again
    }

    [Fact]
    public void Rename_moves_into_an_existing_directory_like_mv()
    {
        _fs.WriteFile("/src/f", 1);
        _fs.Ok(new Mkdirs("/dst", "a", "g", 0x1ED, 1));
        Assert.Equal("/dst/f", _fs.Ok(new Rename("/src/f", "/dst", false, 5)).Path);
        Assert.Null(_fs.Tree.Stat("/src/f"));
        Assert.Equal(1000, _fs.Tree.Stat("/dst/f")!.Length);
        _fs.Fails(FsError.NotFound, new Rename("/dst/f", "/new/name", false, 6));
        _fs.Ok(new Mkdirs("/new", "a", "g", 0x1ED, 1));
        Assert.Equal("/new/name", _fs.Ok(new Rename("/dst/f", "/new/name", false, 6)).Path);
    }

    [Fact]
    public void Rename_to_a_new_name_and_of_a_whole_directory()
    {
        _fs.WriteFile("/a/b/f", 1);
        _fs.Ok(new Rename("/a", "/z", false, 5));
        Assert.NotNull(_fs.Tree.Stat("/z/b/f"));
        Assert.Null(_fs.Tree.Stat("/a"));
        Assert.True(_fs.Tree.TryGetBlock(new BlockId(1), out var block));
        Assert.Equal("/z/b/f", block.Path);
    }

    [Fact]
    public void Rename_edge_cases()
    {
        _fs.WriteFile("/a/b/f", 1);
        _fs.WriteFile("/g", 1);
        _fs.Fails(FsError.InvalidArgument, new Rename("/a", "/a/b/c", false, 1), "own subtree");
        _fs.Fails(FsError.InvalidArgument, new Rename("/a", "/a/b", false, 1), "own subtree");
        _fs.Fails(FsError.AlreadyExists, new Rename("/g", "/a/b/f", false, 1));
        _fs.Fails(FsError.NotFound, new Rename("/missing", "/x", false, 1));
        _fs.Fails(FsError.NotFound, new Rename("/g", "/no/such/dir", false, 1));
        _fs.Fails(FsError.NotADirectory, new Rename("/g", "/a/b/f/x", false, 1));
        _fs.Fails(FsError.InvalidArgument, new Rename("/", "/x", false, 1));
        _fs.WriteFile("/x/b", 1);
        _fs.Fails(FsError.IsADirectory, new Rename("/x/b", "/a", true, 1)); // /a/b is a directory
        _fs.Fails(FsError.NotADirectory, new Rename("/a/b", "/x", true, 1)); // /x/b is a file
        _fs.WriteFile("/p/a/k", 1);
        _fs.Fails(FsError.NotEmpty, new Rename("/a", "/p", true, 1)); // /p/a is a non-empty directory
        Assert.Equal("/g", _fs.Ok(new Rename("/g", "/g", false, 1)).Path); // onto itself: nothing to do
    }

    [Fact]
    public void Rename_with_overwrite_replaces_a_file_and_frees_its_blocks()
    {
        var victim = _fs.WriteFile("/victim", 2);
        _fs.WriteFile("/g", 1);
        var result = _fs.Ok(new Rename("/g", "/victim", true, 9));
        Assert.Equal(victim.Select(b => b.Version), result.FreedBlocks);
        Assert.Null(_fs.Tree.Stat("/g"));
        Assert.Equal(1, _fs.Tree.FileCount);
        Assert.Equal(1, _fs.Tree.BlockCount);
    }

    [Fact]
    public void Recursive_delete_returns_every_block_and_counts_files()
    {
        var all = _fs.WriteFile("/d/x", 2).Concat(_fs.WriteFile("/d/e/y", 3)).ToList();
        _fs.Create("/d/e/open", holder: "w");
        all.Add(_fs.AddBlock("/d/e/open", "w"));
        _fs.WriteFile("/keep", 1);
        _fs.Fails(FsError.NotEmpty, new Delete("/d", false, 1));
        var result = _fs.Ok(new Delete("/d", true, 1));
        Assert.Equal(all.Select(b => b.Version).OrderBy(v => v.Id), result.FreedBlocks.OrderBy(v => v.Id));
        Assert.Equal(3, result.FilesDeleted);
        Assert.Equal(1, _fs.Tree.FileCount);
        Assert.Equal(1, _fs.Tree.InodeCount);
        Assert.Equal(1, _fs.Tree.BlockCount);
        Assert.Empty(_fs.Tree.LeasesOf("w"));
    }

    [Fact]
    public void Delete_errors()
    {
        _fs.Fails(FsError.InvalidArgument, new Delete("/", true, 1), "/");
        _fs.Fails(FsError.NotFound, new Delete("/nope", true, 1));
        _fs.Ok(new Mkdirs("/empty", "a", "g", 0x1ED, 1));
        Assert.Equal(0, _fs.Ok(new Delete("/empty", false, 1)).FilesDeleted);
    }

    [Fact]
    public void Attribute_commands()
    {
        _fs.WriteFile("/f", 1);
        _fs.Ok(new SetReplication("/f", 5));
        _fs.Fails(FsError.InvalidArgument, new SetReplication("/f", 0));
        _fs.Ok(new SetPermission("/f", 0x180));
        _fs.Ok(new SetOwner("/f", "bob", null));
        _fs.Ok(new SetTimes("/f", 777, -1));
        var status = _fs.Tree.Stat("/f")!;
        Assert.Equal((5, (ushort)0x180, "bob", "staff", 777L, 100L), (status.Replication, status.Mode, status.Owner, status.Group, status.ModificationTime, status.AccessTime));
        _fs.Fails(FsError.NotFound, new SetPermission("/nope", 1));
        _fs.Ok(new Mkdirs("/d", "a", "g", 0x1ED, 1));
        _fs.Fails(FsError.IsADirectory, new SetReplication("/d", 2));
    }

    [Fact]
    public void Reads_list_locate_and_summarize()
    {
        _fs.WriteFile("/d/b", 3, replication: 2);
        _fs.WriteFile("/d/a", 1);
        _fs.Ok(new Mkdirs("/d/c", "a", "g", 0x1ED, 1));
        Assert.Equal(["/d/a", "/d/b", "/d/c"], _fs.Tree.List("/d")!.Select(s => s.Path));
        Assert.Equal(["/d/a"], _fs.Tree.List("/d/a")!.Select(s => s.Path));
        Assert.Null(_fs.Tree.List("/nope"));

        var range = _fs.Tree.GetBlockLocations("/d/b", 1500, 600)!;
        Assert.Equal(3000, range.FileLength);
        Assert.Equal([1000L, 2000L], range.Blocks.Select(b => b.Offset));
        Assert.True(range.IsComplete);
        Assert.Empty(_fs.Tree.GetBlockLocations("/d/b", 3000, 10)!.Blocks);
        Assert.Null(_fs.Tree.GetBlockLocations("/d", 0, 1));

        Assert.Equal(new ContentSummary(2, 2, 4000, 9000), _fs.Tree.Summarize("/d"));
    }

    [Fact]
    public void Limits_are_enforced()
    {
        var fs = new TreeFixture(new NamespaceLimits { MaxInodes = 3, MaxPathDepth = 2, MaxBlocksPerFile = 1 });
        fs.Fails(FsError.LimitExceeded, new Mkdirs("/a/b/c", "a", "g", 0x1ED, 1), "deep");
        fs.Ok(new Mkdirs("/a/b", "a", "g", 0x1ED, 1));
        Assert.Equal(FsError.LimitExceeded, fs.Create("/a/b/f").Error);
        Assert.True(fs.Create("/a/f").IsOk);
        fs.Fails(FsError.LimitExceeded, new Mkdirs("/x", "a", "g", 0x1ED, 1));
        fs.Commit("/a/f", fs.AddBlock("/a/f"), 1);
        fs.Fails(FsError.LimitExceeded, new AddBlock("/a/f", "c1", [], 1), "blocks");
        Assert.Throws<ArgumentException>(() => new NamespaceLimits { MaxPathDepth = 0 }.Validate());
    }

    [Fact]
    public void Names_too_long_for_a_snapshot_are_refused()
    {
        string huge = new('x', NamespaceTree.MaxNameBytes + 1);
        _fs.Fails(FsError.InvalidArgument, new Mkdirs("/d", huge, "g", 0x1ED, 1));
        _fs.Fails(FsError.InvalidArgument, new Create("/f", huge, "a", "g", 0x1A4, 1, 10, false, true, 1));
        _fs.Ok(new Mkdirs("/d", "a", "g", 0x1ED, 1));
        _fs.Fails(FsError.InvalidArgument, new SetOwner("/d", null, huge));
        Assert.Equal(FsError.InvalidArgument, _fs.Tree.Apply(new SetOwner("/d", "\ud800", null)).Error); // a lone surrogate
        Assert.NotEmpty(_fs.Snapshot());
    }
}
