namespace Colony.Storage.Replication;

/// <summary>Caps and timeouts of the repair planner. Leader-side only: nodes may differ without harm.</summary>
public sealed record ReplicationLimits
{
    /// <summary>Copies in flight that one node may take part in, as source or target. 4 by default.</summary>
    public int MaxCopiesPerNode { get; init; } = 4;

    /// <summary>Copies in flight across the cluster. 256 by default.</summary>
    public int MaxCopiesTotal { get; init; } = 256;

    /// <summary>Deletes one plan may send one node. 128 by default.</summary>
    public int MaxDeletesPerNode { get; init; } = 128;

    /// <summary>How long a copy or delete may stay unconfirmed before it is planned again. 60 s by default.</summary>
    public long PendingTimeoutMs { get; init; } = 60_000;

    /// <summary>
    /// How long a replica must have been seen orphaned or stale, over at least two plans, before it is
    /// deleted: longer than an allocation takes to commit through the log. 60 s by default.
    /// </summary>
    public long OrphanGraceMs { get; init; } = 60_000;

    public static ReplicationLimits Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> if a limit is out of range.</summary>
    public ReplicationLimits Validate()
    {
        if (MaxCopiesPerNode < 1 || MaxCopiesTotal < 1 || MaxDeletesPerNode < 1 || PendingTimeoutMs < 1 || OrphanGraceMs < 0)
        {
            throw new ArgumentException($"replication limits out of range: {this}");
        }
        return this;
    }
}
