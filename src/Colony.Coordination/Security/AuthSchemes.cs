namespace Colony.Coordination.Security;

/// <summary>The ACL schemes the tree understands, and what each one means for an ACL entry.</summary>
public static class AuthSchemes
{
    /// <summary>Everyone; the only valid id is "anyone".</summary>
    public const string World = "world";

    /// <summary>In an ACL being set: every identity the session has authenticated as. Never stored.</summary>
    public const string Auth = "auth";

    /// <summary>A user and password, stored as <c>user:base64(sha1("user:password"))</c>.</summary>
    public const string Digest = "digest";

    /// <summary>A client address, optionally with a /bits mask; IPv4 or IPv6.</summary>
    public const string Ip = "ip";

    /// <summary>
    /// A TLS client certificate's subject, as ZooKeeper's X509AuthenticationProvider names it
    /// (RFC 2253: <c>CN=alice,O=Example</c>). Only the server adds it, from the handshake.
    /// </summary>
    public const string X509 = "x509";

    /// <summary>A user who signed in with SASL (DIGEST-MD5): the id is the user name.</summary>
    public const string Sasl = "sasl";

    /// <summary>An authenticated id with this scheme passes every ACL check.</summary>
    public const string Super = "super";

    /// <summary>
    /// True if <paramref name="scheme"/> names an identity that proves who the client is, so an
    /// <c>auth</c> ACL may expand to it. An address is not such proof.
    /// </summary>
    internal static bool IsAuthenticated(string scheme) => scheme is Digest or X509 or Sasl;

    /// <summary>True if <paramref name="id"/> is well-formed for a stored ACL entry.</summary>
    internal static bool IsValidAclId(Id id) => id.Scheme switch
    {
        World => id.Identity == "anyone",
        Digest => DigestAuthentication.IsValidId(id.Identity),
        Ip => IpAddressMatcher.IsValid(id.Identity),
        X509 or Sasl => id.Identity.Length > 0,
        _ => false,
    };

    /// <summary>True if the authenticated <paramref name="authId"/> satisfies the ACL subject <paramref name="aclId"/>.</summary>
    internal static bool Matches(Id aclId, Id authId)
    {
        if (aclId.Scheme != authId.Scheme)
        {
            return false;
        }
        return aclId.Scheme switch
        {
            Digest or X509 or Sasl => aclId.Identity == authId.Identity,
            Ip => IpAddressMatcher.Matches(authId.Identity, aclId.Identity),
            _ => false,
        };
    }
}
