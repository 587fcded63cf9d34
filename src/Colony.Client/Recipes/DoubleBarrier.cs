using System.Text;
using Colony.Coordination;

namespace Colony.Client.Recipes;

/// <summary>
/// A double barrier, compatible with kazoo's <c>DoubleBarrier</c>: <see cref="EnterAsync"/> waits
/// until <see cref="Members"/> participants have entered, and <see cref="LeaveAsync"/> waits until
/// all of them have left. Each participant is an ephemeral child <c>{path}/{uuid hex}</c> holding
/// its identifier; the one whose entry completes the count creates <c>{path}/ready</c>, which lets
/// everyone in. Leaving, the lowest-named participant waits for the highest to go, and every other
/// one removes itself and waits for the lowest, so each waits on one node, not on all.
/// </summary>
public sealed class DoubleBarrier
{
    private const string Ready = "ready";

    private readonly ZooKeeperClient client;
    private readonly string name = Guid.NewGuid().ToString("N");
    private readonly byte[] data;

    public DoubleBarrier(ZooKeeperClient client, string path, int members, string? identifier = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        this.client = client;
        Path = path;
        Members = members;
        data = Encoding.UTF8.GetBytes(identifier ?? "");
    }

    public string Path { get; }

    public int Members { get; }

    private string ReadyPath => $"{Path}/{Ready}";

    private string OwnPath => $"{Path}/{name}";

    /// <summary>Joins and waits until every member has joined. A failed or cancelled entry removes this member.</summary>
    public async Task EnterAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await RecipeOperations.EnsurePathAsync(client, Path, cancellationToken).ConfigureAwait(false);
            try
            {
                await client.CreateAsync(OwnPath, data, Acl.OpenUnsafe, CreateMode.Ephemeral, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NodeExistsException or ConnectionLossException)
            {
                // Ours already, or perhaps: make sure before going on.
                if (await RecipeOperations.RetryAsync(() => client.ExistsAsync(OwnPath, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false) is null)
                {
                    await client.CreateAsync(OwnPath, data, Acl.OpenUnsafe, CreateMode.Ephemeral, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }
            while (true)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Watcher watcher = e =>
                {
                    if (e.Type is EventType.NodeCreated or EventType.None)
                    {
                        created.TrySetResult();
                    }
                };
                if (await RecipeOperations.RetryAsync(() => client.ExistsAsync(ReadyPath, watcher, cancellationToken), cancellationToken).ConfigureAwait(false) is not null)
                {
                    return;
                }
                IReadOnlyList<string> children = await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(Path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false);
                if (children.Count >= Members)
                {
                    await RecipeOperations.CreateIfMissingAsync(client, ReadyPath, data: null, cancellationToken).ConfigureAwait(false);
                    return;
                }
                await created.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await LeaveQuietlyAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Leaves and waits until every member has left.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        await RecipeOperations.DeleteQuietlyAsync(client, ReadyPath, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            List<string> members = [.. (await RecipeOperations.RetryAsync(() => client.GetChildrenAsync(Path, watcher: null, cancellationToken), cancellationToken).ConfigureAwait(false))
                .Where(child => child != Ready)
                .Order(StringComparer.Ordinal)];
            if (members.Count == 0)
            {
                return;
            }
            if (members is [var only] && only == name)
            {
                await RecipeOperations.DeleteQuietlyAsync(client, OwnPath, cancellationToken).ConfigureAwait(false);
                return;
            }
            string awaited;
            if (members[0] == name)
            {
                // The lowest stays until the highest has gone, so the others know when to stop waiting.
                awaited = members[^1];
            }
            else
            {
                await RecipeOperations.DeleteQuietlyAsync(client, OwnPath, cancellationToken).ConfigureAwait(false);
                awaited = members[0];
            }
            var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Watcher watcher = e =>
            {
                if (e.Type is EventType.NodeDeleted or EventType.None)
                {
                    deleted.TrySetResult();
                }
            };
            if (await RecipeOperations.RetryAsync(() => client.ExistsAsync($"{Path}/{awaited}", watcher, cancellationToken), cancellationToken).ConfigureAwait(false) is null)
            {
                continue;
            }
            await deleted.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LeaveQuietlyAsync()
    {
        using var bounded = new CancellationTokenSource(client.SessionTimeout);
        try
        {
            await RecipeOperations.DeleteQuietlyAsync(client, OwnPath, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
