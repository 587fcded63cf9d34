using Colony.Consensus.StateMachine;

namespace Colony.Storage.Access;

/// <summary>
/// The API tokens' part of the replicated state machine. It lives with the file system because file
/// permissions are what tokens mostly decide, as the HDFS namenode keeps its delegation tokens; jobs and
/// the cluster's admin calls check the same tokens.
/// </summary>
public sealed class AccessModule : IStateMachineModule
{
    public ModuleId Id => ModuleId.Access;

    /// <summary>The replicated tokens. Read it under the module's gate; change it only through the log.</summary>
    public AccessState State { get; } = new();

    /// <summary>Raised after each command is applied, with where it sat in the log and what it did.</summary>
    public event Action<CommandContext, AccessCommand, AccessResult>? Applied;

    /// <inheritdoc/>
    /// <exception cref="FormatException">The command is malformed: fatal to the replica, as for any module.</exception>
    public void Apply(in CommandContext context, ReadOnlySpan<byte> command)
    {
        var decoded = AccessCommandCodec.Decode(command);
        var result = State.Apply(decoded);
        Applied?.Invoke(context, decoded, result);
    }

    public void WriteSnapshot(Stream destination) => State.WriteSnapshot(destination);

    /// <exception cref="FormatException">The snapshot is malformed; the tokens are left as they were.</exception>
    public void Restore(Stream source) => State.Restore(source);
}
