namespace Colony.Simulation.Cluster;

/// <summary>What became of a write a node accepted.</summary>
internal enum WriteOutcome
{
    /// <summary>The node applied the proposed entry: the write took effect.</summary>
    Committed,

    /// <summary>The node applied a different entry at that index: the write never will take effect.</summary>
    Superseded,

    /// <summary>The node crashed or skipped past the index with a snapshot: nobody can tell.</summary>
    Unknown,
}

/// <summary>What became of a read: a value (null if the key is absent), or no answer.</summary>
internal readonly record struct ReadOutcome(bool Answered, string? Value)
{
    public static readonly ReadOutcome NoAnswer = new(false, null);
}

/// <summary>What became of a forwarded write: applied here at an index, or nobody can tell (the node crashed).</summary>
internal readonly record struct ForwardOutcome(bool Applied, ulong Index, ulong Term)
{
    public static readonly ForwardOutcome Unknown = new(false, 0, 0);
}
