using Colony.Storage.Namespace;

namespace Colony.Node.Security;

/// <summary>How a caller proved who it is.</summary>
public enum CallerKind
{
    /// <summary>No token: the user "anonymous", which only the "other" permission bits let in.</summary>
    Anonymous,

    /// <summary>The cluster token (the secret every node holds): the superuser.</summary>
    Cluster,

    /// <summary>A token from <c>colony token create</c>.</summary>
    User,

    /// <summary>A running job's executors, acting as the job's user.</summary>
    Job,
}

/// <summary>Who made an HTTP request, as its bearer token says.</summary>
public sealed record Caller(string User, IReadOnlyList<string> Groups, bool IsAdmin, CallerKind Kind, string? Job = null)
{
    /// <summary>The name the cluster token acts under; files it creates without naming a user belong to it.</summary>
    public const string ClusterUser = "colony";

    public static Caller Anonymous { get; } = new(FsCaller.Anonymous.User, [], false, CallerKind.Anonymous);

    public static Caller Cluster { get; } = new(ClusterUser, [ClusterUser], true, CallerKind.Cluster);

    public bool IsAuthenticated => Kind != CallerKind.Anonymous;

    /// <summary>The caller as the file system's permission checks see it.</summary>
    public FsCaller Fs => new(User, Groups, IsAdmin);
}
