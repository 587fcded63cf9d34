using Colony.Storage.Namespace;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Namespace;

public sealed class TrashTests
{
    private readonly TreeFixture _fs = new();

    [Fact]
    public void MoveToTrash_keeps_the_original_path_under_a_timestamped_checkpoint()
    {
        var blocks = _fs.WriteFile("/data/logs/a.log", 2);
        var result = _fs.Ok(new MoveToTrash("/data/logs/a.log", "alice", 1_000));
        Assert.Equal("/.Trash/alice/1000/data/logs/a.log", result.Path);
        Assert.Null(_fs.Tree.Stat("/data/logs/a.log"));
        Assert.Equal(2000, _fs.Tree.Stat(result.Path!)!.Length);
        Assert.Empty(result.FreedBlocks);
        Assert.Equal(blocks.Length, _fs.Tree.BlockCount); // nothing is freed until the trash expires
        Assert.Equal(0x1C0, _fs.Tree.Stat("/.Trash/alice")!.Mode);
        Assert.Equal("alice", _fs.Tree.Stat("/.Trash/alice/1000")!.Owner);
    }

    [Fact]
    public void A_clash_in_the_same_millisecond_moves_to_the_next_checkpoint()
    {
        _fs.WriteFile("/f", 1);
        _fs.Ok(new MoveToTrash("/f", "u", 5));
        _fs.WriteFile("/f", 1);
        Assert.Equal("/.Trash/u/5-1/f", _fs.Ok(new MoveToTrash("/f", "u", 5)).Path);
        // A file where the trash needs a directory also moves on.
        _fs.WriteFile("/f/g", 1, holder: "c2"); // "/f" is free again, now a directory
        Assert.Equal("/.Trash/u/5-2/f/g", _fs.Ok(new MoveToTrash("/f/g", "u", 5)).Path);
    }

    [Fact]
    public void Trash_refuses_the_root_the_trash_itself_and_bad_users()
    {
        _fs.WriteFile("/f", 1);
        _fs.Fails(FsError.InvalidArgument, new MoveToTrash("/", "u", 1));
        _fs.Ok(new MoveToTrash("/f", "u", 1));
        _fs.Fails(FsError.InvalidArgument, new MoveToTrash("/.Trash/u/1/f", "u", 2), "delete it instead");
        _fs.Fails(FsError.InvalidArgument, new MoveToTrash("/.Trash", "u", 2));
        _fs.WriteFile("/g", 1);
        _fs.Fails(FsError.InvalidArgument, new MoveToTrash("/g", "a/b", 2));
        _fs.Fails(FsError.NotFound, new MoveToTrash("/missing", "u", 2));
    }

    [Fact]
    public void HasTrashBefore_says_whether_an_expiry_would_free_anything()
    {
        Assert.False(_fs.Tree.HasTrashBefore(long.MaxValue)); // no trash at all
        _fs.WriteFile("/f", 1);
        _fs.Ok(new MoveToTrash("/f", "u", 100));
        _fs.WriteFile("/f", 1);
        _fs.Ok(new MoveToTrash("/f", "u", 100)); // "100-1"
        Assert.False(_fs.Tree.HasTrashBefore(100));
        Assert.True(_fs.Tree.HasTrashBefore(101));
        _fs.Ok(new ExpireTrash(Before: 101));
        Assert.False(_fs.Tree.HasTrashBefore(long.MaxValue)); // the user directory stays, empty
    }

    [Fact]
    public void ExpireTrash_deletes_only_checkpoints_older_than_the_cutoff()
    {
        var old = _fs.WriteFile("/old", 2);
        _fs.Ok(new MoveToTrash("/old", "u", 100));
        _fs.WriteFile("/new", 1);
        _fs.Ok(new MoveToTrash("/new", "v", 500));
        var result = _fs.Ok(new ExpireTrash(Before: 300));
        Assert.Equal(old.Select(b => b.Version), result.FreedBlocks);
        Assert.Equal(1, result.FilesDeleted);
        Assert.Null(_fs.Tree.Stat("/.Trash/u/100"));
        Assert.NotNull(_fs.Tree.Stat("/.Trash/v/500/new"));
        Assert.Equal(0, _fs.Ok(new ExpireTrash(Before: 300)).FilesDeleted);
    }

    [Theory]
    [InlineData("1000", 1000L)]
    [InlineData("1000-3", 1000L)]
    [InlineData("notes", null)]
    [InlineData("-5", null)]
    public void Checkpoint_names_parse(string name, long? expected) => Assert.Equal(expected, NamespaceTree.CheckpointTime(name));
}
