using Colony.Compute.Jobs;

namespace Colony.Node.Hosting;

/// <summary>The replica loop as the compute service's host.</summary>
public sealed partial class ReplicaLoop
{
    /// <summary>The Jobs module of the replicated state machine: jobs, tasks and attempts.</summary>
    public JobsModule Jobs { get; } = new();

    /// <summary>Guards <see cref="Jobs"/>: held while commands are applied to it, so other threads can read it.</summary>
    internal object JobsGate { get; } = new();
}
