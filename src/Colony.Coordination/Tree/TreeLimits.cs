namespace Colony.Coordination.Tree;

/// <summary>
/// The tree's limits. Apply enforces them, so every node of a cluster must run with the same values
/// (they are cluster configuration, like the modules themselves); the server checks the same limits
/// before it proposes, so a client sees the error without a round through the log.
/// </summary>
public sealed record TreeLimits
{
    /// <summary>The largest znode data, in bytes; larger is BadArguments. 1 MiB by default.</summary>
    public int MaxDataBytes { get; init; } = 1024 * 1024;

    /// <summary>The longest path, in UTF-16 code units (sequential suffix included); longer is BadArguments. 4096 by default.</summary>
    public int MaxPathLength { get; init; } = 4096;

    /// <summary>The most entries in one ACL, after <c>auth</c> expansion; more is InvalidAcl. 1024 by default.</summary>
    public int MaxAclEntries { get; init; } = 1024;

    /// <summary>The most operations in one multi; more is BadArguments for the whole multi. 10,000 by default.</summary>
    public int MaxMultiOps { get; init; } = 10_000;

    /// <summary>
    /// The most children one listing returns; the server answers a larger listing with an error instead of
    /// building an unbounded reply. The tree itself does not cut listings. 1,000,000 by default.
    /// </summary>
    public int MaxChildrenListed { get; init; } = 1_000_000;

    public static TreeLimits Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> if a limit is out of range.</summary>
    public TreeLimits Validate()
    {
        Check(MaxDataBytes, 0, Commands.CommandCodecLimits.MaxDataBytes, nameof(MaxDataBytes));
        Check(MaxPathLength, 1, Commands.CommandCodecLimits.MaxPathChars, nameof(MaxPathLength));
        Check(MaxAclEntries, 1, Commands.CommandCodecLimits.MaxAclEntries, nameof(MaxAclEntries));
        Check(MaxMultiOps, 1, Commands.CommandCodecLimits.MaxMultiOps, nameof(MaxMultiOps));
        Check(MaxChildrenListed, 1, int.MaxValue, nameof(MaxChildrenListed));
        return this;
    }

    private static void Check(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"{name} is {value}; it must be in [{min}, {max}]", name);
        }
    }
}
