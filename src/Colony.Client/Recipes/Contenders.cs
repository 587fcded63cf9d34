using System.Text;

namespace Colony.Client.Recipes;

/// <summary>Reads the queue of a lock path: its contenders' nodes in order, and the identifiers written in them.</summary>
internal static class Contenders
{
    /// <summary>The contender nodes of the given kinds, in queue order (names, not paths).</summary>
    public static async Task<IReadOnlyList<string>> NodesAsync(ZooKeeperClient client, string path, IReadOnlyCollection<string> kinds, Watcher? watcher, CancellationToken cancellationToken)
    {
        await RecipeOperations.EnsurePathAsync(client, path, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> children = await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(path, watcher, cancellationToken), cancellationToken).ConfigureAwait(false);
        return LockNodes.Ordered(children, kinds);
    }

    /// <summary>The identifiers of the contenders, in queue order; nodes gone meanwhile are skipped.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(ZooKeeperClient client, string path, IReadOnlyCollection<string> kinds, CancellationToken cancellationToken)
    {
        var identifiers = new List<string>();
        foreach (string node in await NodesAsync(client, path, kinds, watcher: null, cancellationToken).ConfigureAwait(false))
        {
            if (await RecipeOperations.TryGetDataAsync(client, $"{path}/{node}", watcher: null, cancellationToken).ConfigureAwait(false) is { } found)
            {
                identifiers.Add(Encoding.UTF8.GetString(found.Data));
            }
        }
        return identifiers;
    }
}
