using System.Globalization;
using Colony.Coordination;

namespace Colony.Client.Recipes;

/// <summary>
/// A FIFO queue with priorities, compatible with kazoo's <c>Queue</c>: each item is a persistent
/// sequential child <c>entry-{priority:000}-{sequence}</c> of <see cref="Path"/>, so sorting the
/// names orders items by priority (lower first), then by arrival. Taking an item deletes it: the one
/// consumer whose delete succeeds gets it, so every item is handed out once. An item taken by a
/// consumer that then fails is lost, as in kazoo; requeue it if that matters.
/// </summary>
public sealed class DistributedQueue
{
    private const string Prefix = "entry-";
    private const int DefaultPriority = 100;

    private readonly ZooKeeperClient client;

    public DistributedQueue(ZooKeeperClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        this.client = client;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Adds an item; <paramref name="priority"/> is 0–999, lower is served first.</summary>
    public async Task PutAsync(byte[] value, int priority = DefaultPriority, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegative(priority);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priority, 999);
        await RecipeOperations.EnsurePathAsync(client, Path, cancellationToken).ConfigureAwait(false);
        // Not retried on connection loss: a second create could enqueue the item twice.
        await client.CreateAsync($"{Path}/{Prefix}{priority.ToString("000", CultureInfo.InvariantCulture)}-", value, Acl.OpenUnsafe, CreateMode.PersistentSequential, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the first item, or returns null when the queue is empty.</summary>
    public async Task<byte[]?> PollAsync(CancellationToken cancellationToken = default) =>
        (await TryTakeAsync(watcher: null, cancellationToken).ConfigureAwait(false)).Item;

    /// <summary>Takes the first item, waiting for one when the queue is empty.</summary>
    public async Task<byte[]> TakeAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            (Watcher watcher, Task woken) = RecipeOperations.WakeOnEvent();
            (byte[]? item, bool watching) = await TryTakeAsync(watcher, cancellationToken).ConfigureAwait(false);
            if (item is not null)
            {
                return item;
            }
            if (watching)
            {
                await woken.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How many items wait in the queue.</summary>
    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        await RecipeOperations.EnsurePathAsync(client, Path, cancellationToken).ConfigureAwait(false);
        (_, Stat stat) = await RecipeOperations.RetryAsync(() => client.GetDataAsync(Path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
        return stat.NumChildren;
    }

    /// <summary>Takes the first item; when there is none, <paramref name="watcher"/> (if any) watches for the next.</summary>
    private async Task<(byte[]? Item, bool Watching)> TryTakeAsync(Watcher? watcher, CancellationToken cancellationToken)
    {
        await RecipeOperations.EnsurePathAsync(client, Path, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            IReadOnlyList<string> children = await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(Path, watcher, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (children.Count == 0)
            {
                return (null, watcher is not null);
            }
            foreach (string name in children.Order(StringComparer.Ordinal))
            {
                string entry = $"{Path}/{name}";
                if (await RecipeOperations.TryGetDataAsync(client, entry, watcher: null, cancellationToken).ConfigureAwait(false) is not { } found)
                {
                    continue;
                }
                try
                {
                    await client.DeleteAsync(entry, found.Stat.Version, cancellationToken).ConfigureAwait(false);
                    return (found.Data, false);
                }
                catch (NoNodeException)
                {
                    // Another consumer took it: try the next.
                }
            }
        }
    }
}
