using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<ulong, (ulong Term, TaskCompletionSource<NamespaceResult> Done)> _pending = new();

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
    public async Task<NamespaceResult> ExecuteAsync(NamespaceCommand command)
    {
        var done = new TaskCompletionSource<NamespaceResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        ulong index = 0;
        var outcome = await _loop.ProposeAsync(ModuleId.Namespace, NamespaceCommandCodec.Encode(command), (i, term) =>
        {
            index = i;
            _pending[i] = (term, done);
        }).ConfigureAwait(false);
        if (outcome == WriteOutcome.Committed && done.Task.IsCompleted)
        {
            return await done.Task.ConfigureAwait(false);
        }
        _pending.TryRemove(index, out _);
        throw outcome switch
        {
            WriteOutcome.NotLeader => new NotLeaderException(_loop.LeaderHttp),
            WriteOutcome.Rejected => new InvalidOperationException("the leader refused the command (it may be stepping down); try again"),
            _ => new TimeoutException("the command's outcome is unknown: the leader changed or the log did not answer in time"),
        };
    }

    private void OnApplied(CommandContext context, NamespaceCommand command, NamespaceResult result)
    {
        // The term tells our entry from another leader's at the same index.
        if (_pending.TryGetValue(context.Index, out var waiting) && waiting.Term == context.Term && _pending.TryRemove(context.Index, out _))
        {
            waiting.Done.TrySetResult(result);
        }
    }
}
