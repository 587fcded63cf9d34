using Colony.Storage.Namespace;
using static Colony.Storage.Namespace.NamespaceCommand;

namespace Colony.Storage.Tests.Namespace;

public sealed class FsPermissionsTests
{
    private static readonly FsCaller Alice = new("alice", ["staff"], false);
    private static readonly FsCaller Bob = new("bob", ["staff"], false);
    private static readonly FsCaller Carol = new("carol", [], false);
    private static readonly FsCaller Admin = new("colony", [], true);

    private static readonly FsPermissionCheck Read = new(Target: FsAccess.Read);
    private static readonly FsPermissionCheck List = new(Target: FsAccess.ReadExecute);
    private static readonly FsPermissionCheck Create = new(Ancestor: FsAccess.WriteExecute);
    private static readonly FsPermissionCheck Delete = new(Parent: FsAccess.WriteExecute, StickyParent: true);

    /// <summary>/home (root 0755), /home/alice (alice:staff 0750) with notes (0640) and secret (0600), /tmp (1777).</summary>
    private static NamespaceTree Tree()
    {
        var f = new TreeFixture();
        f.Ok(new Mkdirs("/home", "root", "root", 0x1ED, 1));
        f.Ok(new Mkdirs("/home/alice", "alice", "staff", 0x1E8, 1)); // 0750
        f.Ok(new NamespaceCommand.Create("/home/alice/notes", "c", "alice", "staff", 0x1A0, 1, 1024, false, false, 1)); // 0640
        f.Ok(new NamespaceCommand.Create("/home/alice/secret", "c", "alice", "staff", 0x180, 1, 1024, false, false, 1)); // 0600
        f.Ok(new Mkdirs("/tmp", "root", "root", 0x3FF, 1)); // 1777
        f.Ok(new NamespaceCommand.Create("/tmp/bobs", "c", "bob", "staff", 0x1A4, 1, 1024, false, false, 1));
        return f.Tree;
    }

    [Fact]
    public void Owner_group_and_other_bits_decide_reads()
    {
        var tree = Tree();
        Assert.Null(FsPermissions.Check(tree, Alice, "/home/alice/secret", Read));
        Assert.Null(FsPermissions.Check(tree, Bob, "/home/alice/notes", Read)); // group r
        Assert.Contains("may not read", FsPermissions.Check(tree, Bob, "/home/alice/secret", Read));
        // Carol is not in staff: /home/alice's other bits (---) stop her on the way.
        Assert.Contains("may not traverse /home/alice", FsPermissions.Check(tree, Carol, "/home/alice/notes", Read));
        Assert.Null(FsPermissions.Check(tree, Admin, "/home/alice/secret", Read));
    }

    [Fact]
    public void Listing_needs_read_and_execute_on_the_directory()
    {
        var tree = Tree();
        Assert.Null(FsPermissions.Check(tree, Bob, "/home/alice", List));
        Assert.Contains("may not list /home/alice", FsPermissions.Check(tree, Carol, "/home/alice", List));
        Assert.Contains("may not list", FsPermissions.Check(tree, FsCaller.Anonymous, "/home/alice", List));
        Assert.Null(FsPermissions.Check(tree, FsCaller.Anonymous, "/home", List));
    }

    [Fact]
    public void Creating_needs_write_and_execute_on_the_nearest_existing_ancestor()
    {
        var tree = Tree();
        Assert.Null(FsPermissions.Check(tree, Alice, "/home/alice/new/deeper/file", Create));
        Assert.Contains("may not change entries of /home/alice", FsPermissions.Check(tree, Bob, "/home/alice/x", Create));
        Assert.Contains("may not change entries of /home", FsPermissions.Check(tree, Alice, "/home/other", Create));
        Assert.Contains("may not change entries of /", FsPermissions.Check(tree, Alice, "/top", Create));
        Assert.Null(FsPermissions.Check(tree, Carol, "/tmp/carols", Create));
    }

    [Fact]
    public void The_sticky_bit_keeps_others_from_removing_entries()
    {
        var tree = Tree();
        Assert.Null(FsPermissions.Check(tree, Bob, "/tmp/bobs", Delete));
        Assert.Contains("sticky bit", FsPermissions.Check(tree, Carol, "/tmp/bobs", Delete));
        Assert.Contains("may not change entries of /home/alice", FsPermissions.Check(tree, Bob, "/home/alice/notes", Delete));
        Assert.Null(FsPermissions.Check(tree, Alice, "/home/alice/notes", Delete));
    }

    [Fact]
    public void Owner_checks_and_subtree_checks()
    {
        var tree = Tree();
        var chmod = new FsPermissionCheck(Owner: true);
        Assert.Null(FsPermissions.Check(tree, Alice, "/home/alice/notes", chmod));
        Assert.Contains("only its owner (alice)", FsPermissions.Check(tree, Bob, "/home/alice/notes", chmod));
        // Bob may write /home/alice's entries only with group w, which 0750 does not give.
        var recursiveDelete = new FsPermissionCheck(Parent: FsAccess.WriteExecute, Subtree: FsAccess.All);
        Assert.Contains("may not use /home/alice", FsPermissions.Check(tree, Bob, "/home/alice", new FsPermissionCheck(Subtree: FsAccess.All)));
        Assert.Contains("may not change entries of /home", FsPermissions.Check(tree, Alice, "/home/alice", recursiveDelete));
    }

    [Fact]
    public void Missing_paths_and_invalid_paths_are_left_to_the_operation()
    {
        var tree = Tree();
        Assert.Null(FsPermissions.Check(tree, Bob, "/nowhere/at/all", Read));
        Assert.Null(FsPermissions.Check(tree, Bob, "no-slash", Read));
    }

    [Theory]
    [InlineData(0x1ED, "rwxr-xr-x")]
    [InlineData(0x3FF, "rwxrwxrwt")]
    [InlineData(0x3FE, "rwxrwxrwT")]
    [InlineData(0x180, "rw-------")]
    public void Modes_print_as_ls_does(int mode, string text) => Assert.Equal(text, FsPermissions.ModeText((ushort)mode));
}
