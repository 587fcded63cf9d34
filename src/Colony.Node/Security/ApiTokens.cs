using System.Security.Cryptography;
using System.Text;

namespace Colony.Node.Security;

/// <summary>
/// The text forms of the bearer tokens the HTTP API takes, besides the cluster token (the cluster secret,
/// base64). A user token is <c>colony.ID.SECRET</c>: a public id that names it in lists and revocations, and
/// 32 random bytes (base64url). The cluster keeps only the SHA-256 of the whole text. A job token is
/// <c>job.JOB.MAC</c>, an HMAC-SHA256 under the cluster secret of the job and its user: each node derives it
/// for the executors of a running job, and it dies with the job.
/// </summary>
public static class ApiTokens
{
    public const string UserPrefix = "colony.";
    public const string JobPrefix = "job.";

    /// <summary>A new user token and its id, from the cryptographic random source.</summary>
    public static (string Id, string Token) NewUserToken()
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        string secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, $"{UserPrefix}{id}.{secret}");
    }

    /// <summary>The id of a user token, or null when the text is not one.</summary>
    public static string? IdOf(string token)
    {
        if (!token.StartsWith(UserPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        int dot = token.IndexOf('.', UserPrefix.Length);
        return dot > UserPrefix.Length ? token[UserPrefix.Length..dot] : null;
    }

    /// <summary>What the cluster stores for a token: the SHA-256 of its UTF-8 text.</summary>
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The token the executors of <paramref name="job"/> present: it speaks for the job's user while the job runs.</summary>
    public static string JobToken(byte[] clusterSecret, string job, string user) => $"{JobPrefix}{job}.{JobMac(clusterSecret, job, user)}";

    /// <summary>The job a job token names, or null when the text is not one.</summary>
    public static string? JobOf(string token)
    {
        if (!token.StartsWith(JobPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        int dot = token.IndexOf('.', JobPrefix.Length);
        return dot > JobPrefix.Length ? token[JobPrefix.Length..dot] : null;
    }

    public static bool IsJobToken(byte[] clusterSecret, string token, string job, string user) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(JobToken(clusterSecret, job, user)));

    private static string JobMac(byte[] secret, string job, string user) =>
        Base64Url(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"colony job token\n{job}\n{user}")));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
