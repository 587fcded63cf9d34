using Colony.Consensus.StateMachine;

namespace Colony.Compute.Jobs;

/// <summary>
/// The jobs' part of the replicated state machine: decodes each committed <see cref="JobsCommand"/>,
/// applies it to the <see cref="State"/> and raises <see cref="Applied"/>, so the tracker that proposed it
/// learns the outcome (matched by log position).
/// </summary>
public sealed class JobsModule : IStateMachineModule
{
    public ModuleId Id => ModuleId.Jobs;

    /// <summary>The replicated jobs. Read it on the apply loop; change it only through the log.</summary>
    public JobsState State { get; } = new();

    /// <summary>Raised after each command is applied, with where it sat in the log and what it did.</summary>
    public event Action<CommandContext, JobsCommand, JobsResult>? Applied;

    /// <inheritdoc/>
    /// <exception cref="FormatException">The command is malformed: fatal to the replica, as for any module.</exception>
    public void Apply(in CommandContext context, ReadOnlySpan<byte> command)
    {
        var decoded = JobsCommandCodec.Decode(command);
        var result = State.Apply(decoded);
        Applied?.Invoke(context, decoded, result);
    }

    public void WriteSnapshot(Stream destination) => State.WriteSnapshot(destination);

    /// <exception cref="FormatException">The snapshot is malformed; the jobs are left as they were.</exception>
    public void Restore(Stream source) => State.Restore(source);
}
