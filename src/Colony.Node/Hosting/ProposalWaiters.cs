using System.Collections.Concurrent;
using Colony.Consensus.StateMachine;
using Colony.Node.FileSystem;

namespace Colony.Node.Hosting;

/// <summary>
/// Matches a module's applied results to the proposals waiting for them: the proposer learns its entry's
/// index and term when the leader accepts it, and the apply of that entry (same index, same term) answers it.
/// </summary>
internal sealed class ProposalWaiters<TResult>
{
    private readonly ConcurrentDictionary<ulong, (ulong Term, TaskCompletionSource<TResult> Done)> _pending = new();

    /// <exception cref="NotLeaderException">This node does not lead.</exception>
    /// <exception cref="TimeoutException">The outcome is unknown (the leader changed, or the log did not answer in time).</exception>
    /// <exception cref="InvalidOperationException">The leader refused the command.</exception>
    public async Task<TResult> ProposeAsync(ReplicaLoop loop, ModuleId module, byte[] command)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        ulong index = 0;
        var outcome = await loop.ProposeAsync(module, command, (i, term) =>
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
            WriteOutcome.NotLeader => new NotLeaderException(loop.LeaderHttp),
            WriteOutcome.Rejected => new InvalidOperationException("the leader refused the command (it may be stepping down); try again"),
            _ => new TimeoutException("the command's outcome is unknown: the leader changed or the log did not answer in time"),
        };
    }

    /// <summary>Called on the apply thread after each command: answers the proposal that entry came from, if it is ours.</summary>
    public void Applied(in CommandContext context, TResult result)
    {
        // The term tells our entry from another leader's at the same index.
        if (_pending.TryGetValue(context.Index, out var waiting) && waiting.Term == context.Term && _pending.TryRemove(context.Index, out _))
        {
            waiting.Done.TrySetResult(result);
        }
    }
}
