namespace Colony.Testing.Linearizability;

/// <summary>
/// How much work a check may do before it gives up with <see cref="LinearizabilityOutcome.Unknown"/>.
/// Checking linearizability is NP-complete, so a pathological history must not hang a test run.
/// Counting steps rather than time keeps the verdict the same on every machine.
/// </summary>
public sealed record CheckBudget
{
    public static readonly CheckBudget Default = new();

    /// <summary>
    /// The most search steps (one look at an event: an attempt to place an operation, or a backtrack)
    /// per partition. Default 1,000,000, which takes some tens of milliseconds. The memo can grow by one
    /// entry a step, each about (operations / 8 + 32) bytes.
    /// </summary>
    public long MaxStepsPerPartition { get; init; } = 1_000_000;

    /// <summary>
    /// The most bytes the memo of one partition may hold before the verdict is unknown. Default 1 GiB.
    /// A long history makes each entry large (a bit per operation), so a step budget alone does not
    /// bound memory: a 30-minute campaign's partitions, at 20 million steps, would need far more than
    /// the machine has. Counted from the entries, so the verdict is still the same on every machine.
    /// </summary>
    public long MaxMemoBytes { get; init; } = 1L << 30;

    /// <summary>Stops the search early, e.g. on a wall-clock deadline chosen by the caller. Polled every few thousand steps.</summary>
    public CancellationToken Cancellation { get; init; }
}
