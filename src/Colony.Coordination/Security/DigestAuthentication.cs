using System.Security.Cryptography;
using System.Text;

namespace Colony.Coordination.Security;

/// <summary>ZooKeeper's digest scheme: a user is known by <c>user:base64(sha1("user:password"))</c>.</summary>
public static class DigestAuthentication
{
    /// <summary>
    /// The digest id for <paramref name="userPassword"/> ("user:password"): the user part (up to the
    /// first ':', or all of it) then ':' and the base64 SHA-1 of the whole UTF-8 string.
    /// </summary>
    public static string Digest(string userPassword)
    {
        ArgumentNullException.ThrowIfNull(userPassword);
        int colon = userPassword.IndexOf(':', StringComparison.Ordinal);
        string user = colon < 0 ? userPassword : userPassword[..colon];
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes(userPassword));
        return user + ":" + Convert.ToBase64String(hash);
    }

    /// <summary>The id a client authenticates as when it sends "user:password" with the digest scheme.</summary>
    public static Id IdFor(string userPassword) => new(AuthSchemes.Digest, Digest(userPassword));

    /// <summary>
    /// True if <paramref name="identity"/> splits on ':' into exactly two parts, counted the way ZooKeeper
    /// counts them: trailing empty parts are dropped, so "user:" is one part (invalid) and "user:hash:" two.
    /// </summary>
    internal static bool IsValidId(string identity)
    {
        var parts = identity.Split(':');
        int count = parts.Length;
        while (count > 0 && parts[count - 1].Length == 0 && parts.Length > 1)
        {
            count--;
        }
        return count == 2;
    }
}
