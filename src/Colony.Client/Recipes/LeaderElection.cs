using System.Runtime.CompilerServices;
using System.Text;

namespace Colony.Client.Recipes;

/// <summary>
/// Leader election, compatible with kazoo's <c>Election</c>: contenders queue as
/// <see cref="DistributedLock"/> contenders on the election path, and the lock's holder leads. So
/// a kazoo contender and a Colony contender on one path take turns, in the order they joined.
/// </summary>
public sealed class LeaderElection
{
    private static readonly string[] Kinds = [LockNodes.Exclusive];

    private readonly ZooKeeperClient client;

    /// <param name="identifier">How this contender appears to observers (kazoo's identifier); empty when null.</param>
    public LeaderElection(ZooKeeperClient client, string path, string? identifier = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZooKeeperPath.Validate(path);
        this.client = client;
        Path = path;
        Identifier = identifier;
    }

    public string Path { get; }

    public string? Identifier { get; }

    /// <summary>
    /// Joins the election and waits until elected. Cancelling leaves the election. Each call is a
    /// new contender, so a leader that campaigns again queues behind itself.
    /// </summary>
    public async Task<Leadership> CampaignAsync(CancellationToken cancellationToken = default) =>
        new(await new DistributedLock(client, Path, Identifier).AcquireAsync(null, cancellationToken).ConfigureAwait(false));

    /// <summary>The current leader, or null when nobody campaigns.</summary>
    public async Task<Leader?> GetLeaderAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            (Leader? leader, bool stable) = await ReadLeaderAsync(watcher: null, cancellationToken).ConfigureAwait(false);
            if (stable)
            {
                return leader;
            }
        }
    }

    /// <summary>Every contender's identifier, the leader first (kazoo's <c>contenders()</c>).</summary>
    public Task<IReadOnlyList<string>> GetContendersAsync(CancellationToken cancellationToken = default) =>
        Contenders.ListAsync(client, Path, Kinds, cancellationToken);

    /// <summary>
    /// The current leader (null when there is none), then each change of leader, until cancelled.
    /// A leader replaced by a new node, even with the same identifier, is a change. The stream
    /// throws <see cref="SessionExpiredException"/> if this client's session ends.
    /// </summary>
    public async IAsyncEnumerable<Leader?> ObserveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? last = null;
        bool first = true;
        while (true)
        {
            (Watcher watcher, Task woken) = RecipeOperations.WakeOnEvent();
            (Leader? leader, bool stable) = await ReadLeaderAsync(watcher, cancellationToken).ConfigureAwait(false);
            if (stable && (first || leader?.NodePath != last))
            {
                first = false;
                last = leader?.NodePath;
                yield return leader;
            }
            if (stable)
            {
                await woken.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads the first contender; not stable when it vanished between the listing and the read (then look again).</summary>
    private async Task<(Leader? Leader, bool Stable)> ReadLeaderAsync(Watcher? watcher, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> nodes = await Contenders.NodesAsync(client, Path, Kinds, watcher, cancellationToken).ConfigureAwait(false);
        if (nodes.Count == 0)
        {
            return (null, true);
        }
        string nodePath = $"{Path}/{nodes[0]}";
        if (await RecipeOperations.TryGetDataAsync(client, nodePath, watcher: null, cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return (null, false);
        }
        return (new Leader(Encoding.UTF8.GetString(found.Data), nodePath), true);
    }
}
