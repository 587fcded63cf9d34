namespace Colony.Node.Compute;

/// <summary>An operating-system account tasks can run as.</summary>
public sealed record TaskAccount(string Name, uint Uid, uint Gid);

/// <summary>
/// Which operating-system user a worker's executors run as, decided once at startup from the node's own
/// privileges and the configuration. Isolated, tasks run as <see cref="Account"/> and cannot read the node's
/// files; otherwise they run as the node's user, and <see cref="Warning"/> says why when the operator asked
/// for a task user that the node could not switch to.
/// </summary>
public sealed record TaskIdentity(TaskAccount? Account, string Description, string? Warning)
{
    public bool Isolated => Account is not null;

    /// <summary>Tasks run as the node's user, by configuration: nothing to warn about.</summary>
    public static TaskIdentity NodeUser(string why) => new(null, why, null);

    /// <param name="nodeIsRoot">Whether the node runs as root (effective uid 0), the only way it can switch users.</param>
    /// <param name="nodeUid">The node's effective uid, for the messages.</param>
    /// <param name="options">Compute:TaskUser and Compute:RequireTaskIsolation.</param>
    /// <param name="lookUp">Finds an account by name; null when there is none.</param>
    /// <param name="executorBlocked">
    /// Why the task user could not start the executor program (a directory on its way that others may not search),
    /// or null when it can.
    /// </param>
    /// <exception cref="InvalidOperationException">The configuration cannot work: the node refuses to start.</exception>
    public static TaskIdentity Decide(bool nodeIsRoot, uint nodeUid, ComputeOptions options, Func<string, TaskAccount?> lookUp, Func<string?> executorBlocked)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lookUp);
        ArgumentNullException.ThrowIfNull(executorBlocked);
        string user = options.TaskUser?.Trim() ?? "";
        if (user.Length == 0)
        {
            if (options.RequireTaskIsolation)
            {
                throw new InvalidOperationException("invalid configuration: Compute:RequireTaskIsolation needs a Compute:TaskUser");
            }
            return NodeUser("tasks run as the node's user (Compute:TaskUser is empty)");
        }
        if (!nodeIsRoot)
        {
            return NotIsolated(options, $"the node runs as uid {nodeUid}, not root, so it cannot start tasks as '{user}'", "Run the node as root");
        }
        var account = lookUp(user) ?? throw new InvalidOperationException(
            $"invalid configuration: Compute:TaskUser '{user}' is not a user on this machine (create it, or set Compute:TaskUser to empty to run tasks as the node's user)");
        if (account.Uid == 0)
        {
            throw new InvalidOperationException($"invalid configuration: Compute:TaskUser '{user}' is root, which isolates nothing (set it to empty to run tasks as the node's user)");
        }
        if (executorBlocked() is { } blocked)
        {
            return NotIsolated(options, $"'{user}' could not start the executor: {blocked}", "Install the program where every user may read it");
        }
        return new TaskIdentity(account, $"tasks run as '{account.Name}' (uid {account.Uid}, gid {account.Gid})", null);
    }

    /// <summary>Tasks run as the node's user although a task user was asked for: a warning, or a refusal when isolation is required.</summary>
    private static TaskIdentity NotIsolated(ComputeOptions options, string why, string remedy)
    {
        if (options.RequireTaskIsolation)
        {
            throw new InvalidOperationException($"cannot isolate tasks: {why} (Compute:RequireTaskIsolation is on)");
        }
        return new TaskIdentity(null, $"tasks run as the node's user: {why}",
            $"{why}: tasks run as the node's user and can read its files (the cluster secret, block files). {remedy}, or set Compute:TaskUser to empty to silence this");
    }
}
