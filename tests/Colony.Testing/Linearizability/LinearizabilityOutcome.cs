namespace Colony.Testing.Linearizability;

public enum LinearizabilityOutcome
{
    /// <summary>Every partition has a linearization.</summary>
    Ok,

    /// <summary>Some partition has none: the history is not linearizable.</summary>
    Illegal,

    /// <summary>The budget ran out before some partition was decided, and no partition is illegal.</summary>
    Unknown,
}
