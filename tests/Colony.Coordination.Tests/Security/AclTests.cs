using Colony.Coordination.Security;

namespace Colony.Coordination.Tests.Security;

public sealed class AclTests
{
    private static readonly Id Bob = DigestAuthentication.IdFor("bob:secret");
    private static readonly Id Alice = DigestAuthentication.IdFor("alice:pw");
    private static readonly Id LocalIp = new("ip", "127.0.0.1");

    [Fact]
    public void World_anyone_grants_exactly_its_permissions()
    {
        Acl[] acl = [new Acl(Perms.Read | Perms.Write, Id.Anyone)];
        Assert.True(AclCheck.Allows(acl, Perms.Read, []));
        Assert.True(AclCheck.Allows(acl, Perms.Write, []));
        Assert.False(AclCheck.Allows(acl, Perms.Create, []));
        Assert.False(AclCheck.Allows(acl, Perms.Delete, [Bob]));
        Assert.False(AclCheck.Allows(acl, Perms.Admin, [Bob]));
    }

    [Fact]
    public void Digest_entries_match_equal_ids_only()
    {
        Acl[] acl = [new Acl(Perms.All, Bob)];
        Assert.True(AclCheck.Allows(acl, Perms.Admin, [Bob]));
        Assert.True(AclCheck.Allows(acl, Perms.Read, [LocalIp, Bob]));
        Assert.False(AclCheck.Allows(acl, Perms.Read, [Alice]));
        Assert.False(AclCheck.Allows(acl, Perms.Read, []));
        Assert.False(AclCheck.Allows(acl, Perms.Read, [new Id("ip", Bob.Identity)]));
    }

    [Fact]
    public void Ip_entries_match_addresses_in_range()
    {
        Acl[] acl = [new Acl(Perms.Read, new Id("ip", "127.0.0.0/8"))];
        Assert.True(AclCheck.Allows(acl, Perms.Read, [LocalIp]));
        Assert.False(AclCheck.Allows(acl, Perms.Read, [new Id("ip", "10.0.0.1")]));
        Assert.False(AclCheck.Allows(acl, Perms.Write, [LocalIp]));
    }

    [Fact]
    public void Super_passes_everything_and_an_empty_acl_stops_nobody()
    {
        Acl[] acl = [new Acl(Perms.Read, Bob)];
        Assert.True(AclCheck.Allows(acl, Perms.Admin, [new Id("super", "")]));
        Assert.True(AclCheck.Allows(acl, Perms.Delete, [LocalIp, new Id("super", "anything")]));
        Assert.True(AclCheck.Allows([], Perms.Admin, []));
        Assert.False(AclCheck.Allows(acl, Perms.Admin, [new Id("world", "anyone")]));
    }

    [Fact]
    public void Fixup_drops_repeats_and_keeps_order()
    {
        Acl[] requested = [new Acl(Perms.Read, Id.Anyone), new Acl(Perms.All, Bob), new Acl(Perms.Read, Id.Anyone)];
        Assert.True(AclFixup.TryFixup(requested, [], out var stored));
        Assert.Equal([new Acl(Perms.Read, Id.Anyone), new Acl(Perms.All, Bob)], stored);
    }

    [Fact]
    public void Fixup_expands_auth_to_the_sessions_authenticated_ids()
    {
        Assert.True(AclFixup.TryFixup(Acl.CreatorAll, [LocalIp, Bob, new Id("super", ""), Alice], out var stored));
        Assert.Equal([new Acl(Perms.All, Bob), new Acl(Perms.All, Alice)], stored);
        // The id of an auth entry is ignored.
        Assert.True(AclFixup.TryFixup([new Acl(Perms.Read, new Id("auth", "whatever"))], [Bob], out var named));
        Assert.Equal([new Acl(Perms.Read, Bob)], named);
    }

    [Fact]
    public void Fixup_rejects_auth_without_an_authenticated_id()
    {
        Assert.False(AclFixup.TryFixup(Acl.CreatorAll, [], out _));
        // An address is not an authentication.
        Assert.False(AclFixup.TryFixup(Acl.CreatorAll, [LocalIp], out _));
        Assert.False(AclFixup.TryFixup(Acl.CreatorAll, [new Id("super", "")], out _));
    }

    [Theory]
    [InlineData("world", "somebody")]
    [InlineData("digest", "nocolon")]
    [InlineData("digest", "a:b:c")]
    [InlineData("ip", "300.0.0.1")]
    [InlineData("ip", "10.0.0.0/99")]
    [InlineData("super", "")]
    [InlineData("x509", "")]
    [InlineData("sasl", "")]
    [InlineData("", "")]
    public void Fixup_rejects_malformed_or_unknown_ids(string scheme, string identity) =>
        Assert.False(AclFixup.TryFixup([new Acl(Perms.All, new Id(scheme, identity))], [Bob], out _));

    [Fact]
    public void Fixup_rejects_an_empty_acl() => Assert.False(AclFixup.TryFixup([], [Bob], out _));

    [Fact]
    public void Fixup_accepts_valid_ids_of_every_scheme()
    {
        Acl[] requested = [new Acl(Perms.Read, Id.Anyone), new Acl(Perms.All, Bob), new Acl(Perms.Write, new Id("ip", "fe80::/10"))];
        Assert.True(AclFixup.TryFixup(requested, [], out var stored));
        Assert.Equal(requested, stored);
    }

    [Fact]
    public void X509_entries_match_the_certificate_subject_exactly_and_auth_expands_to_it()
    {
        var alice = new Id("x509", "CN=alice,O=Example");
        Assert.True(AclCheck.Allows([new Acl(Perms.Read, alice)], Perms.Read, [LocalIp, alice]));
        Assert.False(AclCheck.Allows([new Acl(Perms.Read, alice)], Perms.Read, [new Id("x509", "CN=alice,O=Other")]));
        Assert.False(AclCheck.Allows([new Acl(Perms.Read, alice)], Perms.Read, [new Id("digest", "CN=alice,O=Example")]));
        // A certificate proves who the client is, so "auth" may stand for it, as for a digest user.
        Assert.True(AclFixup.TryFixup(Acl.CreatorAll, [LocalIp, alice], out var stored));
        Assert.Equal([new Acl(Perms.All, alice)], stored);
    }
}
