using System.Buffers;
using Colony.Storage.Namespace;

namespace Colony.Storage.Access;

/// <summary>
/// The cluster's API tokens by id. Changed only by <see cref="Apply"/>, which is deterministic; read by every
/// node to check the tokens HTTP callers present.
/// </summary>
/// <remarks>
/// Snapshot layout (persisted; a new layout needs a new version): <c>version u8 = 1, count varint × token</c>,
/// each token as the AddToken command writes it, in ordinal id order so equal states write equal bytes.
/// </remarks>
public sealed class AccessState
{
    public const byte SnapshotVersion = 1;

    private readonly SortedDictionary<string, AccessToken> _tokens = new(StringComparer.Ordinal);

    public int Count => _tokens.Count;

    /// <summary>Every live token, in id order.</summary>
    public IReadOnlyList<AccessToken> Tokens => [.. _tokens.Values];

    public AccessToken? Find(string id) => _tokens.GetValueOrDefault(id);

    /// <summary>The groups a user's live tokens name, in ordinal order: what a job of that user runs with.</summary>
    public IReadOnlyList<string> GroupsOf(string user) =>
        [.. _tokens.Values.Where(t => t.User == user).SelectMany(t => t.Groups).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public AccessResult Apply(AccessCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        switch (command)
        {
            case AccessCommand.AddToken add:
                if (!UserNames.IsValid(add.User) || add.Groups.Any(g => !UserNames.IsValid(g)))
                {
                    return new AccessResult($"'{add.User}' or one of its groups is not a valid name");
                }
                if (_tokens.ContainsKey(add.Id))
                {
                    return new AccessResult($"a token with id {add.Id} exists");
                }
                if (_tokens.Count >= AccessLimits.MaxTokens)
                {
                    return new AccessResult($"the cluster holds {AccessLimits.MaxTokens} tokens, its limit; revoke some first");
                }
                _tokens[add.Id] = new AccessToken(add.Id, add.Hash, add.User, add.Groups, add.Admin, add.Time);
                return AccessResult.Ok;
            case AccessCommand.RevokeToken revoke:
                return _tokens.Remove(revoke.Id) ? AccessResult.Ok : new AccessResult($"no token {revoke.Id}");
            default:
                throw new ArgumentException($"unknown access command {command.GetType().Name}", nameof(command));
        }
    }

    public void WriteSnapshot(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var buffer = new ArrayBufferWriter<byte>(256);
        var w = new NamespaceWriter(buffer);
        w.Byte(SnapshotVersion);
        w.Varint((ulong)_tokens.Count);
        foreach (var token in _tokens.Values)
        {
            AccessCommandCodec.WriteToken(w, token);
        }
        destination.Write(buffer.WrittenSpan);
    }

    /// <exception cref="FormatException">The snapshot is malformed; the state is left as it was.</exception>
    public void Restore(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        var r = new NamespaceReader(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        byte version = r.Byte("snapshot version");
        if (version != SnapshotVersion)
        {
            throw new FormatException($"access snapshot version {version}; this node reads {SnapshotVersion}");
        }
        int count = r.Count(AccessLimits.MaxTokens, AccessLimits.HashLength, "token count");
        var tokens = new List<AccessToken>(count);
        for (int i = 0; i < count; i++)
        {
            tokens.Add(AccessCommandCodec.ReadToken(ref r));
        }
        r.End("access snapshot");
        _tokens.Clear();
        foreach (var token in tokens)
        {
            _tokens[token.Id] = token;
        }
    }
}
