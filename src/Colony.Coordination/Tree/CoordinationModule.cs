using Colony.Consensus;
using Colony.Consensus.StateMachine;
using Colony.Coordination.Commands;

namespace Colony.Coordination.Tree;

/// <summary>
/// The coordination service's part of the replicated state machine: decodes each committed
/// <see cref="CoordinationCommand"/>, applies it to the <see cref="Tree"/> and raises
/// <see cref="Applied"/>, so the node that proposed it can answer its client (matched by log
/// position) and every node can fire its watches.
/// </summary>
public sealed class CoordinationModule(TreeLimits? limits = null) : IStateMachineModule
{
    public ModuleId Id => ModuleId.Coordination;

    /// <summary>The replicated tree. Read it on the apply loop; change it only through the log.</summary>
    public DataTree Tree { get; } = new(limits);

    /// <summary>Raised after each command is applied, with where it sat in the log and what it did.</summary>
    public event Action<CommandContext, CoordinationCommand, CoordinationResult>? Applied;

    /// <inheritdoc/>
    /// <exception cref="FormatException">The command is malformed: fatal to the replica, as for any module.</exception>
    public void Apply(in CommandContext context, ReadOnlySpan<byte> command)
    {
        var decoded = CoordinationCommandCodec.Decode(command);
        var result = Tree.Apply(decoded);
        Applied?.Invoke(context, decoded, result);
    }

    public void WriteSnapshot(Stream destination) => Tree.WriteSnapshot(destination);

    /// <summary>A cheap point-in-time copy; encoding happens later, off the replica's thread.</summary>
    public SnapshotWriter CaptureSnapshot()
    {
        var writer = Tree.CaptureSnapshot();
        SnapshotCaptured?.Invoke(Tree.LastZxid);
        return writer;
    }

    /// <summary>A snapshot of the tree was captured, with the last zxid it holds (on the thread that captured it).</summary>
    public event Action<long>? SnapshotCaptured;

    public void Restore(Stream source) => Tree.Restore(source);
}
