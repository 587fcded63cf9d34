namespace Colony.Consensus.StateMachine;

/// <summary>
/// Where a command sits in the log: the entry that carried it and its position in that entry's batch.
/// A proposer remembers (index, position) of what it proposed, so the result can be tied back to it.
/// </summary>
public readonly record struct CommandContext(ulong Index, ulong Term, int Position)
{
    public override string ToString() => $"{Term}/{Index}#{Position}";
}
