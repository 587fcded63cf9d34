using System.Text.RegularExpressions;

namespace Colony.Coordination.Security;

/// <summary>
/// The users SASL DIGEST-MD5 admits, from the JAAS-style file ZooKeeper users already have:
/// <c>Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_bob="secret"; };</c>.
/// Every <c>user_NAME="password"</c> entry counts; the rest of the file is ignored.
/// </summary>
public sealed partial class SaslCredentials
{
    private readonly Dictionary<string, string> _passwords;

    private SaslCredentials(Dictionary<string, string> passwords) => _passwords = passwords;

    public static SaslCredentials Empty { get; } = new([]);

    public int Count => _passwords.Count;

    public string? PasswordOf(string user) => _passwords.GetValueOrDefault(user);

    /// <exception cref="FormatException">The text names no user, or one user twice.</exception>
    public static SaslCredentials Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var passwords = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in UserEntry().Matches(text))
        {
            string user = match.Groups["user"].Value;
            if (!passwords.TryAdd(user, match.Groups["password"].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal)))
            {
                throw new FormatException($"SASL credentials name user '{user}' twice");
            }
        }
        return passwords.Count == 0
            ? throw new FormatException("SASL credentials hold no user_NAME=\"password\" entry")
            : new SaslCredentials(passwords);
    }

    [GeneratedRegex("""\buser_(?<user>[^\s="]+)\s*=\s*"(?<password>(?:[^"\\]|\\.)*)"\s*""")]
    private static partial Regex UserEntry();
}
