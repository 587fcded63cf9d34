using Colony.Compute.Jobs;
using Colony.Consensus.StateMachine;
using Colony.Node.FileSystem;
using Colony.Node.Hosting;
using Colony.Node.Threading;

namespace Colony.Node.Compute;

/// <summary>
/// Runs Jobs commands through the log and hands back what they did; reads run under the module's gate
/// against the state this node has applied.
/// </summary>
public sealed class JobsService
{
    private readonly ReplicaLoop _loop;
    private readonly TimeProvider _time;
    private readonly ProposalWaiters<JobsResult> _waiters = new();
    private readonly AsyncPulse _changed = new();

    public JobsService(ReplicaLoop loop, TimeProvider time)
    {
        _loop = loop;
        _time = time;
        loop.Jobs.Applied += (context, _, result) =>
        {
            _waiters.Applied(context, result);
            _changed.Pulse();
        };
    }

    /// <summary>Completes when the next Jobs command applies here: take it before looking at the state, then await it.</summary>
    internal Task NextChange => _changed.Next;

    /// <summary>Unix milliseconds, as the leader stamps them into commands.</summary>
    public long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The block manager's clock, for asking it where blocks live (<see cref="FileSystem.ManagerClock"/>).</summary>
    internal long BlockManagerNow => _time.MonotonicMs();

    public T Read<T>(Func<JobsState, T> read)
    {
        lock (_loop.JobsGate)
        {
            return read(_loop.Jobs.State);
        }
    }

    /// <inheritdoc cref="ProposalWaiters{TResult}.ProposeAsync"/>
    public Task<JobsResult> ExecuteAsync(JobsCommand command) =>
        _waiters.ProposeAsync(_loop, ModuleId.Jobs, JobsCommandCodec.Encode(command));
}
