using Colony.Consensus.StateMachine;

namespace Colony.Storage.Namespace;

/// <summary>
/// The file-system namespace's part of the replicated state machine: decodes each committed
/// <see cref="NamespaceCommand"/>, applies it to the <see cref="Tree"/> and raises <see cref="Applied"/>,
/// so the node that proposed it can answer its client (matched by log position).
/// </summary>
public sealed class NamespaceModule(NamespaceLimits? limits = null) : IStateMachineModule
{
    public ModuleId Id => ModuleId.Namespace;

    /// <summary>The replicated namespace. Read it on the apply loop; change it only through the log.</summary>
    public NamespaceTree Tree { get; } = new(limits);

    /// <summary>Raised after each command is applied, with where it sat in the log and what it did.</summary>
    public event Action<CommandContext, NamespaceCommand, NamespaceResult>? Applied;

    /// <inheritdoc/>
    /// <exception cref="FormatException">The command is malformed: fatal to the replica, as for any module.</exception>
    public void Apply(in CommandContext context, ReadOnlySpan<byte> command)
    {
        var decoded = NamespaceCommandCodec.Decode(command);
        var result = Tree.Apply(decoded);
        Applied?.Invoke(context, decoded, result);
    }

    public void WriteSnapshot(Stream destination) => Tree.WriteSnapshot(destination);

    /// <exception cref="FormatException">The snapshot is malformed; the namespace is left as it was.</exception>
    public void Restore(Stream source) => Tree.Restore(source);
}
