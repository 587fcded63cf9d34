namespace Colony.Testing.Linearizability;

/// <summary>The verdict of a check, with what a person needs to see why a history is illegal.</summary>
public sealed class LinearizabilityResult<TInput, TOutput>
{
    internal LinearizabilityResult(
        LinearizabilityOutcome outcome, long steps, string? partition, string explanation,
        IReadOnlyList<Operation<TInput, TOutput>>? longestPrefix = null,
        IReadOnlyList<Operation<TInput, TOutput>>? unplaced = null,
        Operation<TInput, TOutput>? deadline = null)
    {
        Outcome = outcome;
        Steps = steps;
        Partition = partition;
        Explanation = explanation;
        LongestPrefix = longestPrefix ?? [];
        Unplaced = unplaced ?? [];
        Deadline = deadline;
    }

    public LinearizabilityOutcome Outcome { get; }

    public bool IsOk => Outcome == LinearizabilityOutcome.Ok;

    /// <summary>Search steps taken, over every partition checked.</summary>
    public long Steps { get; }

    /// <summary>The partition that is illegal, or (if Unknown) the first that ran out of budget; null if Ok.</summary>
    public string? Partition { get; }

    /// <summary>If Illegal: a longest sequence of the partition's operations the search could linearize, in order.</summary>
    public IReadOnlyList<Operation<TInput, TOutput>> LongestPrefix { get; }

    /// <summary>
    /// If Illegal: the operations that could have come next after <see cref="LongestPrefix"/> (called before
    /// the earliest outstanding return); none of them leads to a linearization.
    /// </summary>
    public IReadOnlyList<Operation<TInput, TOutput>> Unplaced { get; }

    /// <summary>If Illegal: the operation whose return bounds the search after the prefix: it had to take effect by then.</summary>
    public Operation<TInput, TOutput>? Deadline { get; }

    /// <summary>A readable report: "linearizable", or the partition, the prefix, its state and the operations that do not fit.</summary>
    public string Explanation { get; }

    public override string ToString() => Explanation;
}
