using Colony.Coordination.Security;

namespace Colony.Coordination.Tests.Security;

public sealed class DigestAndIpTests
{
    [Theory]
    // The first is the vector ZooKeeper's administrator guide gives for its super digest.
    [InlineData("super:test", "super:D/InIHSb7yEEbrWz8b9l71RjZJU=")]
    [InlineData("bob:secret", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=")]
    // Only the first ':' separates the user; the hash covers the whole string.
    [InlineData("user:pass:word", "user:yNMcEO4y6Bgll487yEAxpvnMYoo=")]
    public void Digest_matches_known_vectors(string userPassword, string expected)
    {
        Assert.Equal(expected, DigestAuthentication.Digest(userPassword));
        Assert.Equal(new Id("digest", expected), DigestAuthentication.IdFor(userPassword));
    }

    [Fact]
    public void Digest_is_sha1_of_the_whole_string_in_base64()
    {
        string independent = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData("al:x"u8));
        Assert.Equal("al:" + independent, DigestAuthentication.Digest("al:x"));
    }

    [Theory]
    [InlineData("user:hash", true)]
    [InlineData(":hash", true)]
    [InlineData("user:hash:", true)]
    [InlineData("user:hash::", true)]
    [InlineData("user", false)]
    [InlineData("user:", false)]
    [InlineData(":", false)]
    [InlineData("", false)]
    [InlineData("a:b:c", false)]
    [InlineData("::b", false)]
    public void Digest_ids_split_into_two_parts_as_zookeeper_splits(string identity, bool valid) =>
        Assert.Equal(valid, DigestAuthentication.IsValidId(identity));

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("10.0.0.0/0", true)]
    [InlineData("10.0.0.0/32", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0.0.0/-1", false)]
    [InlineData("10.0.0.0/", false)]
    [InlineData("10.0.0.0/x", false)]
    [InlineData("10.0.0", false)]
    [InlineData("10.0.0.256", false)]
    [InlineData("10.0.0.1.2", false)]
    [InlineData("10..0.1", false)]
    [InlineData("localhost", false)]
    [InlineData("", false)]
    [InlineData("::1", true)]
    [InlineData("fe80::/10", true)]
    [InlineData("2001:db8:0:0:0:0:0:1", true)]
    [InlineData("2001:db8::1/128", true)]
    [InlineData("2001:db8::1/129", false)]
    [InlineData("1:2:3:4:5:6:7", false)]
    [InlineData("1:2:3:4:5:6:7:8:9", false)]
    [InlineData("1::2::3", false)]
    [InlineData("1:2:3:4::5:6:7:8", false)]
    [InlineData("12345::1", false)]
    [InlineData("g::1", false)]
    [InlineData("::ffff:1.2.3.4", false)]
    [InlineData(":::", false)]
    public void Ip_acl_ids_are_validated_as_zookeeper_does(string expression, bool valid) =>
        Assert.Equal(valid, IpAddressMatcher.IsValid(expression));

    [Theory]
    [InlineData("10.1.2.3", "10.1.2.3", true)]
    [InlineData("10.1.2.4", "10.1.2.3", false)]
    [InlineData("10.1.2.3", "10.0.0.0/8", true)]
    [InlineData("11.1.2.3", "10.0.0.0/8", false)]
    [InlineData("192.168.1.130", "192.168.1.128/25", true)]
    [InlineData("192.168.1.127", "192.168.1.128/25", false)]
    [InlineData("192.168.1.127", "192.168.1.128/24", true)]
    [InlineData("1.2.3.4", "0.0.0.0/0", true)]
    [InlineData("10.1.2.3", "10.1.2.3/32", true)]
    [InlineData("::1", "::1", true)]
    [InlineData("0:0:0:0:0:0:0:1", "::1", true)]
    [InlineData("::2", "::1", false)]
    [InlineData("2001:db8::abcd", "2001:db8::/32", true)]
    [InlineData("2001:db9::abcd", "2001:db8::/32", false)]
    [InlineData("fe80::1", "fe80::/10", true)]
    [InlineData("febf::1", "fe80::/10", true)]
    [InlineData("fec0::1", "fe80::/10", false)]
    // IPv4 and IPv6 never match each other, and garbage matches nothing.
    [InlineData("10.0.0.1", "::/0", false)]
    [InlineData("::1", "0.0.0.0/0", false)]
    [InlineData("bogus", "0.0.0.0/0", false)]
    [InlineData("10.0.0.1", "10.0.0.1/40", false)]
    public void Ip_matching_masks_both_sides(string client, string acl, bool matches) =>
        Assert.Equal(matches, IpAddressMatcher.Matches(client, acl));

    [Fact]
    public void Ip_parsing_is_byte_exact()
    {
        Assert.Equal(new byte[] { 192, 168, 0, 1 }, IpAddressMatcher.ParseAddress("192.168.0.1"));
        Assert.Equal(
            new byte[] { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd },
            IpAddressMatcher.ParseAddress("2001:DB8::abcd"));
        Assert.Equal(new byte[16], IpAddressMatcher.ParseAddress("::"));
    }
}
