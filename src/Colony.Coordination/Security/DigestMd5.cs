using System.Security.Cryptography;
using System.Text;

namespace Colony.Coordination.Security;

/// <summary>The outcome of checking a client's DIGEST-MD5 response.</summary>
public readonly record struct DigestMd5Outcome(string? User, byte[]? ServerProof, string? Error)
{
    public bool Succeeded => User is not null;
}

/// <summary>
/// The server side of SASL DIGEST-MD5 (RFC 2831) as ZooKeeper speaks it: realm and server name
/// "zk-sasl-md5", service "zookeeper", quality of protection "auth" (authentication only). Two steps:
/// the server sends <see cref="Challenge"/> with a fresh nonce; the client answers with a proof that it
/// knows the password; <see cref="Verify"/> checks it and gives the server's own proof ("rspauth").
/// Pure: the nonce comes from the caller.
/// </summary>
public static class DigestMd5
{
    public const string Realm = "zk-sasl-md5";

    public const string DigestUri = "zookeeper/" + Realm;

    public static byte[] Challenge(string nonce) =>
        Encoding.UTF8.GetBytes($"realm=\"{Realm}\",nonce=\"{nonce}\",qop=\"auth\",charset=utf-8,algorithm=md5-sess");

    public static DigestMd5Outcome Verify(ReadOnlySpan<byte> response, string nonce, Func<string, string?> passwordOf)
    {
        ArgumentNullException.ThrowIfNull(passwordOf);
        Dictionary<string, string> fields;
        try
        {
            fields = Parse(response);
        }
        catch (FormatException e)
        {
            return Fail(e.Message);
        }
        string? Field(string name) => fields.GetValueOrDefault(name);
        if (Field("username") is not { Length: > 0 } user)
        {
            return Fail("no username");
        }
        if (Field("nonce") != nonce)
        {
            return Fail("the nonce is not the one this server sent");
        }
        string realm = Field("realm") ?? Realm;
        if (realm != Realm)
        {
            return Fail($"unknown realm '{realm}'");
        }
        string qop = Field("qop") ?? "auth";
        if (qop != "auth")
        {
            return Fail($"quality of protection '{qop}' is not offered");
        }
        if (Field("digest-uri") != DigestUri)
        {
            return Fail($"digest-uri must be '{DigestUri}'");
        }
        if (Field("authzid") is { } authzid && authzid != user)
        {
            return Fail("authorizing as another user is not allowed");
        }
        if (Field("cnonce") is not { Length: > 0 } cnonce || Field("nc") is not { Length: 8 } nc || Field("response") is not { Length: 32 } proof)
        {
            return Fail("cnonce, nc or response missing or malformed");
        }
        if (passwordOf(user) is not { } password)
        {
            return Fail($"unknown user '{user}'");
        }
        byte[] a1 = A1(user, realm, password, nonce, cnonce, Field("authzid"));
        string expected = Digest(a1, nonce, nc, cnonce, qop, "AUTHENTICATE:" + DigestUri);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(proof.ToLowerInvariant())))
        {
            return Fail($"wrong password for '{user}'");
        }
        string serverProof = Digest(a1, nonce, nc, cnonce, qop, ":" + DigestUri);
        return new DigestMd5Outcome(user, Encoding.ASCII.GetBytes("rspauth=" + serverProof), null);
    }

    private static DigestMd5Outcome Fail(string error) => new(null, null, error);

    private static byte[] A1(string user, string realm, string password, string nonce, string cnonce, string? authzid)
    {
        byte[] secret = MD5.HashData(Encoding.UTF8.GetBytes($"{user}:{realm}:{password}"));
        byte[] rest = Encoding.UTF8.GetBytes($":{nonce}:{cnonce}" + (authzid is null ? "" : ":" + authzid));
        return [.. secret, .. rest];
    }

    private static string Digest(byte[] a1, string nonce, string nc, string cnonce, string qop, string a2) =>
        Hex(Encoding.ASCII.GetBytes($"{Hex(a1)}:{nonce}:{nc}:{cnonce}:{qop}:{Hex(Encoding.ASCII.GetBytes(a2))}"));

    private static string Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    /// <summary>Reads <c>name=value</c> or <c>name="quoted value"</c> directives separated by commas.</summary>
    internal static Dictionary<string, string> Parse(ReadOnlySpan<byte> text)
    {
        const int MaxBytes = 4096;
        if (text.Length > MaxBytes)
        {
            throw new FormatException("the DIGEST-MD5 response is too long");
        }
        string s = Encoding.UTF8.GetString(text);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && (s[i] == ',' || char.IsWhiteSpace(s[i])))
            {
                i++;
            }
            if (i == s.Length)
            {
                break;
            }
            int equals = s.IndexOf('=', i);
            if (equals < 0)
            {
                throw new FormatException("a directive without '='");
            }
            string name = s[i..equals].Trim();
            i = equals + 1;
            var value = new StringBuilder();
            if (i < s.Length && s[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= s.Length)
                    {
                        throw new FormatException("an unterminated quoted value");
                    }
                    char c = s[i++];
                    if (c == '"')
                    {
                        break;
                    }
                    if (c == '\\' && i < s.Length)
                    {
                        c = s[i++];
                    }
                    value.Append(c);
                }
            }
            else
            {
                while (i < s.Length && s[i] != ',')
                {
                    value.Append(s[i++]);
                }
            }
            if (!fields.TryAdd(name, value.ToString().Trim()))
            {
                throw new FormatException($"directive '{name}' appears twice");
            }
        }
        return fields;
    }
}
