namespace Colony.Consensus.StateMachine;

/// <summary>One command of a batch and the module it is for. The bytes are the module's own encoding.</summary>
/// <remarks>Equality compares the memory reference, not the bytes (as for any <see cref="ReadOnlyMemory{T}"/>).</remarks>
public readonly record struct ModuleCommand(ModuleId Module, ReadOnlyMemory<byte> Command)
{
    public override string ToString() => $"{Module} ({Command.Length} B)";
}
