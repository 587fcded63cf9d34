using Colony.Consensus.StateMachine;
using Colony.Node.Hosting;
using Colony.Storage.Namespace;

namespace Colony.Node.FileSystem;

/// <summary>The leader could not take the command: another node leads, or none does.</summary>
public sealed class NotLeaderException(string? leaderHttp) : Exception(leaderHttp is null ? "no leader is known" : $"node at {leaderHttp} leads")
{
    public string? LeaderHttp { get; } = leaderHttp;
}

/// <summary>
/// Runs namespace commands through the log and hands back what they did: the leader stamps the time,
/// proposes, and the result comes from the apply, matched by the entry's index and term. Reads run
/// under the namespace's gate, against the state this node has applied.
/// </summary>
public sealed class NamespaceService
{
    private readonly ReplicaLoop _loop;
    private readonly TimeProvider _time;
    private readonly ProposalWaiters<NamespaceResult> _waiters = new();

    public NamespaceService(ReplicaLoop loop, TimeProvider time)
    {
        _loop = loop;
        _time = time;
        // On the loop's thread, under the namespace gate, right after each apply.
        loop.Namespace.Applied += OnApplied;
    }

    /// <summary>Unix milliseconds, as the leader stamps them into commands.</summary>
    public long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public T Read<T>(Func<NamespaceTree, T> read)
    {
        lock (_loop.NamespaceGate)
        {
            return read(_loop.Namespace.Tree);
        }
    }

    /// <exception cref="NotLeaderException">This node does not lead.</exception>
    /// <exception cref="TimeoutException">The command's outcome is unknown (the leader changed, or the log did not answer in time).</exception>
    public Task<NamespaceResult> ExecuteAsync(NamespaceCommand command) =>
        _waiters.ProposeAsync(_loop, ModuleId.Namespace, NamespaceCommandCodec.Encode(command));

    private void OnApplied(CommandContext context, NamespaceCommand command, NamespaceResult result) => _waiters.Applied(context, result);
}
