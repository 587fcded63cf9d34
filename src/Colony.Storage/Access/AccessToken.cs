namespace Colony.Storage.Access;

/// <summary>One API token as the replicated state keeps it: never the secret, only its SHA-256 hash.</summary>
public sealed record AccessToken(string Id, byte[] Hash, string User, IReadOnlyList<string> Groups, bool Admin, long Created);
