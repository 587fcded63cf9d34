using Colony.Consensus.StateMachine;
using Colony.Node.Hosting;
using Colony.Storage.Access;

namespace Colony.Node.Security;

/// <summary>
/// Runs token commands through the log and hands back what they did; reads run under the module's gate,
/// against the tokens this node has applied, so every node checks tokens locally.
/// </summary>
public sealed class AccessService
{
    private readonly ReplicaLoop _loop;
    private readonly TimeProvider _time;
    private readonly ProposalWaiters<AccessResult> _waiters = new();

    public AccessService(ReplicaLoop loop, TimeProvider time)
    {
        _loop = loop;
        _time = time;
        loop.Access.Applied += (context, _, result) => _waiters.Applied(context, result);
    }

    /// <summary>Unix milliseconds, as the leader stamps them into commands.</summary>
    public long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public T Read<T>(Func<AccessState, T> read)
    {
        lock (_loop.AccessGate)
        {
            return read(_loop.Access.State);
        }
    }

    /// <exception cref="FileSystem.NotLeaderException">This node does not lead.</exception>
    /// <exception cref="TimeoutException">The command's outcome is unknown.</exception>
    public Task<AccessResult> ExecuteAsync(AccessCommand command) =>
        _waiters.ProposeAsync(_loop, ModuleId.Access, AccessCommandCodec.Encode(command));
}
