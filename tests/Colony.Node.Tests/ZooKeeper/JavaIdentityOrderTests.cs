using Colony.Coordination;
using Colony.Coordination.Security;
using Colony.Node.ZooKeeper;

namespace Colony.Node.Tests.ZooKeeper;

/// <summary>whoami lists identities in ZooKeeper's order; the expected orders were read from ZooKeeper 3.8's zkCli.</summary>
public sealed class JavaIdentityOrderTests
{
    private static readonly Id Ip = new("ip", "127.0.0.1");

    [Fact]
    public void Identities_come_in_the_order_ZooKeeper_lists_them_not_the_order_they_were_added()
    {
        Id[] added = [Ip, .. new[] { "erin", "carol", "frank", "zed" }.Select(user => DigestAuthentication.IdFor($"{user}:x"))];

        var listed = JavaIdentityOrder.Order(added).Select(id => id.Scheme == "ip" ? "ip" : id.Identity[..id.Identity.IndexOf(':', StringComparison.Ordinal)]);

        Assert.Equal(["frank", "zed", "carol", "erin", "ip"], listed);
    }

    [Fact]
    public void One_digest_user_comes_before_the_address()
    {
        var bob = DigestAuthentication.IdFor("bob:pw");

        Assert.Equal([bob, Ip], JavaIdentityOrder.Order([Ip, bob]));
    }

    [Fact]
    public void Hashes_and_table_sizes_are_Javas()
    {
        Assert.Equal(99162322, JavaIdentityOrder.JavaHash("hello"));
        Assert.Equal(0, JavaIdentityOrder.JavaHash(""));
        Assert.Equal(16, JavaIdentityOrder.TableSize(11));
        Assert.Equal(32, JavaIdentityOrder.TableSize(12));
    }
}
