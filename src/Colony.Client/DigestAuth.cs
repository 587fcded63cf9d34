using System.Security.Cryptography;
using System.Text;
using Colony.Coordination;

namespace Colony.Client;

/// <summary>ZooKeeper's "digest" scheme: credentials are "user:password", ACLs name "user:base64(sha1(user:password))".</summary>
public static class DigestAuth
{
    public const string Scheme = "digest";

    /// <summary>The bytes <see cref="ZooKeeperClient.AddAuthAsync"/> sends for this user.</summary>
    public static byte[] Credentials(string user, string password) => Encoding.UTF8.GetBytes($"{user}:{password}");

    /// <summary>The ACL id that names this user.</summary>
    public static Id Id(string user, string password)
    {
        byte[] digest = SHA1.HashData(Encoding.UTF8.GetBytes($"{user}:{password}"));
        return new Id(Scheme, $"{user}:{Convert.ToBase64String(digest)}");
    }
}
