namespace Colony.Storage.Access;

/// <summary>Bounds on the token table, checked on apply so every node refuses the same commands.</summary>
public static class AccessLimits
{
    /// <summary>Live tokens at most; creating more is refused until some are revoked.</summary>
    public const int MaxTokens = 10_000;

    /// <summary>Groups per token at most.</summary>
    public const int MaxGroups = 32;

    /// <summary>A token id's length at most.</summary>
    public const int MaxIdLength = 32;

    /// <summary>The length of a SHA-256 hash.</summary>
    public const int HashLength = 32;
}
