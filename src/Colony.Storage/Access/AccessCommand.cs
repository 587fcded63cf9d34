namespace Colony.Storage.Access;

/// <summary>
/// One change to the cluster's API tokens, as it travels through the log. A token's secret never enters the
/// log: only its SHA-256 hash does, so any node can check a presented token and none can reproduce it.
/// </summary>
public abstract record AccessCommand
{
    private protected AccessCommand()
    {
    }

    /// <summary>Records a new token: its public id, the hash of the whole token, and who it speaks for.</summary>
    public sealed record AddToken(string Id, byte[] Hash, string User, IReadOnlyList<string> Groups, bool Admin, long Time) : AccessCommand
    {
        public bool Equals(AddToken? other) =>
            other is not null && Id == other.Id && Hash.AsSpan().SequenceEqual(other.Hash) && User == other.User
            && Groups.SequenceEqual(other.Groups) && Admin == other.Admin && Time == other.Time;

        public override int GetHashCode() => HashCode.Combine(Id, User, Groups.Count, Admin, Time);
    }

    /// <summary>Forgets a token: from the apply on, no node accepts it.</summary>
    public sealed record RevokeToken(string Id) : AccessCommand;
}

/// <summary>What applying one <see cref="AccessCommand"/> did, the same on every node.</summary>
public sealed record AccessResult(string? Error)
{
    public bool IsOk => Error is null;

    internal static AccessResult Ok { get; } = new((string?)null);
}
