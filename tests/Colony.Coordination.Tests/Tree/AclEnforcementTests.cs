using Colony.Coordination.Commands;
using Colony.Coordination.Security;

namespace Colony.Coordination.Tests.Tree;

public sealed class AclEnforcementTests
{
    private static readonly Id Bob = DigestAuthentication.IdFor("bob:secret");
    private static readonly Id Eve = DigestAuthentication.IdFor("eve:x");

    private static TreeDriver WithNode(string path, Perms anyone)
    {
        var driver = new TreeDriver();
        driver.CreateOk(path, acl: [new Acl(Perms.All, Bob), new Acl(anyone, Id.Anyone)]);
        return driver;
    }

    [Fact]
    public void Create_needs_create_on_the_parent()
    {
        var driver = WithNode("/p", Perms.All & ~Perms.Create);
        TreeDriver.Expect(ErrorCode.NoAuth, driver.Create("/p/c"));
        Assert.Equal(0, driver.StatOf("/p").Cversion);
        driver.Auth = [Bob];
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/p/c"));
    }

    [Fact]
    public void Delete_needs_delete_on_the_parent_not_the_node()
    {
        var driver = WithNode("/p", Perms.All & ~Perms.Delete);
        driver.Auth = [Bob];
        driver.CreateOk("/p/c", acl: [new Acl(Perms.Read, Bob)]);
        driver.Auth = [Eve];
        TreeDriver.Expect(ErrorCode.NoAuth, driver.Delete("/p/c"));
        driver.Auth = [Bob];
        // Bob may delete /p/c although its own ACL grants him no DELETE.
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/p/c"));
    }

    [Fact]
    public void SetData_needs_write_setAcl_admin_and_check_read()
    {
        var driver = WithNode("/n", Perms.None);
        TreeDriver.Expect(ErrorCode.NoAuth, driver.SetData("/n", [1]));
        TreeDriver.Expect(ErrorCode.NoAuth, driver.Run(new Op.SetAcl("/n", Acl.OpenUnsafe)));
        TreeDriver.Expect(ErrorCode.NoAuth, driver.Run(new Op.Check("/n", -1)));
        // Version mismatches are reported only after the ACL passes, as ZooKeeper orders its checks.
        TreeDriver.Expect(ErrorCode.NoAuth, driver.SetData("/n", [1], 99));
        driver.Auth = [Bob];
        TreeDriver.Expect(ErrorCode.BadVersion, driver.SetData("/n", [1], 99));
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/n", [1]));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.Check("/n", 1)));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.SetAcl("/n", Acl.OpenUnsafe)));
        driver.Auth = [];
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/n", [2]));
    }

    [Fact]
    public void Super_bypasses_every_check()
    {
        var driver = WithNode("/n", Perms.None);
        driver.Auth = [new Id("super", "")];
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/n", [1]));
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/n/c"));
        TreeDriver.Expect(ErrorCode.Ok, driver.Delete("/n/c"));
        TreeDriver.Expect(ErrorCode.Ok, driver.Run(new Op.SetAcl("/n", Acl.ReadUnsafe)));
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/zookeeper/config/child"));
    }

    [Fact]
    public void Ip_acls_use_the_stamped_address()
    {
        var driver = new TreeDriver();
        driver.CreateOk("/lan", acl: [new Acl(Perms.All, new Id("ip", "10.0.0.0/8"))]);
        driver.Auth = [new Id("ip", "192.168.0.2")];
        TreeDriver.Expect(ErrorCode.NoAuth, driver.SetData("/lan", [1]));
        driver.Auth = [new Id("ip", "10.9.8.7")];
        TreeDriver.Expect(ErrorCode.Ok, driver.SetData("/lan", [1]));
    }

    [Fact]
    public void Auth_acls_expand_to_the_sessions_identities_when_stored()
    {
        var driver = new TreeDriver();
        driver.Auth = [new Id("ip", "10.0.0.1"), Bob];
        driver.CreateOk("/mine", acl: Acl.CreatorAll);
        Assert.True(driver.Tree.TryGetNode("/mine", out var node));
        Assert.Equal([new Acl(Perms.All, Bob)], node.Acl);
        driver.Auth = [new Id("ip", "10.0.0.1")];
        TreeDriver.Expect(ErrorCode.NoAuth, driver.SetData("/mine", [1]));
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Create("/other", acl: Acl.CreatorAll));
        Assert.False(driver.Tree.Exists("/other"));
    }

    [Fact]
    public void Invalid_acls_fail_create_before_the_parent_is_looked_up()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Create("/a", acl: []));
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Create("/a", acl: [new Acl(Perms.All, new Id("digest", "bad"))]));
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Create("/a", acl: [new Acl(Perms.All, new Id("ip", "999.1.1.1"))]));
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Create("/a", acl: [new Acl(Perms.All, new Id("unknown", "x"))]));
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Create("/missing/a", acl: []));
    }

    [Fact]
    public void Acl_entry_limit_is_invalid_acl()
    {
        var driver = new TreeDriver(new Colony.Coordination.Tree.TreeLimits { MaxAclEntries = 2 });
        Acl[] three = [new Acl(Perms.Read, Id.Anyone), new Acl(Perms.All, Bob), new Acl(Perms.All, Eve)];
        TreeDriver.Expect(ErrorCode.InvalidAcl, driver.Create("/a", acl: three));
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/a", acl: three[..2]));
    }

    [Fact]
    public void The_config_node_is_read_only_for_everyone_but_super()
    {
        var driver = new TreeDriver();
        TreeDriver.Expect(ErrorCode.NoAuth, driver.SetData("/zookeeper/config", [1]));
        TreeDriver.Expect(ErrorCode.NoAuth, driver.Create("/zookeeper/config/x"));
        // The rest of /zookeeper is open, as in ZooKeeper.
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/zookeeper/mine"));
        TreeDriver.Expect(ErrorCode.Ok, driver.Create("/zookeeper/quota/q"));
    }
}
