using System.Buffers;
using Colony.Storage.Namespace;
using static Colony.Storage.Access.AccessCommand;

namespace Colony.Storage.Access;

/// <summary>
/// The log encoding of <see cref="AccessCommand"/>: <c>version u8 = 1, tag u8, fields</c>, in the namespace's
/// primitives (strings UTF-8 with a varint length, times zigzag, flags u8). AddToken: id str, hash 32 bytes,
/// user str, group count varint × str, admin u8, time zigzag. RevokeToken: id str.
/// Tags are persisted in every log: never renumber one, never reuse a retired one.
/// </summary>
public static class AccessCommandCodec
{
    public const byte Version = 1;

    /// <summary>The persisted tag of each command.</summary>
    public enum Tag : byte
    {
        AddToken = 1,
        RevokeToken = 2,
    }

    public static Tag TagOf(AccessCommand command) => command switch
    {
        AddToken => Tag.AddToken,
        RevokeToken => Tag.RevokeToken,
        _ => throw new ArgumentException($"unknown access command {command.GetType().Name}", nameof(command)),
    };

    /// <summary>Encodes a command. Throws <see cref="ArgumentException"/> if a field is over an <see cref="AccessLimits"/> bound.</summary>
    public static byte[] Encode(AccessCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var buffer = new ArrayBufferWriter<byte>(96);
        var w = new NamespaceWriter(buffer);
        w.Byte(Version);
        w.Byte((byte)TagOf(command));
        switch (command)
        {
            case AddToken c:
                WriteToken(w, new AccessToken(c.Id, c.Hash, c.User, c.Groups, c.Admin, c.Time));
                break;
            case RevokeToken c:
                w.String(c.Id, AccessLimits.MaxIdLength, "token id");
                break;
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="FormatException">The bytes are not one well-formed command.</exception>
    public static AccessCommand Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new NamespaceReader(bytes);
        byte version = r.Byte("version");
        if (version != Version)
        {
            throw new FormatException($"access command version {version}; this node reads {Version}");
        }
        byte tag = r.Byte("tag");
        AccessCommand command = (Tag)tag switch
        {
            Tag.AddToken => AddOf(ReadToken(ref r)),
            Tag.RevokeToken => new RevokeToken(r.String(AccessLimits.MaxIdLength, "token id")),
            _ => throw new FormatException($"unknown access command tag {tag}"),
        };
        r.End("access command");
        return command;
    }

    private static AddToken AddOf(AccessToken t) => new(t.Id, t.Hash, t.User, t.Groups, t.Admin, t.Created);

    /// <summary>One token's fields, shared by the AddToken command and the snapshot.</summary>
    internal static void WriteToken(NamespaceWriter w, AccessToken token)
    {
        w.String(token.Id, AccessLimits.MaxIdLength, "token id");
        if (token.Hash.Length != AccessLimits.HashLength)
        {
            throw new ArgumentException($"a token hash is {AccessLimits.HashLength} bytes, not {token.Hash.Length}", nameof(token));
        }
        w.Raw(token.Hash);
        w.String(token.User, UserNames.MaxLength, "user");
        if (token.Groups.Count > AccessLimits.MaxGroups)
        {
            throw new ArgumentException($"a token has at most {AccessLimits.MaxGroups} groups", nameof(token));
        }
        w.Varint((ulong)token.Groups.Count);
        foreach (string group in token.Groups)
        {
            w.String(group, UserNames.MaxLength, "group");
        }
        w.Bool(token.Admin);
        w.Signed(token.Created);
    }

    internal static AccessToken ReadToken(ref NamespaceReader r)
    {
        string id = r.String(AccessLimits.MaxIdLength, "token id");
        byte[] hash = r.Raw(AccessLimits.HashLength, "token hash");
        string user = r.String(UserNames.MaxLength, "user");
        int count = r.Count(AccessLimits.MaxGroups, 1, "group count");
        var groups = new string[count];
        for (int i = 0; i < count; i++)
        {
            groups[i] = r.String(UserNames.MaxLength, "group");
        }
        bool admin = r.Bool("admin");
        long created = r.Signed("created");
        return new AccessToken(id, hash, user, groups, admin, created);
    }
}
