namespace Colony.Storage.Namespace;

/// <summary>
/// The namespace's limits. Apply enforces them, so every node must run with the same values (they are
/// cluster configuration); the leader may check them before proposing to answer sooner.
/// </summary>
public sealed record NamespaceLimits
{
    /// <summary>The most files and directories together, the root aside. 10 million by default.</summary>
    public long MaxInodes { get; init; } = 10_000_000;

    /// <summary>The deepest path, in components. 256 by default.</summary>
    public int MaxPathDepth { get; init; } = 256;

    /// <summary>The most blocks in one file. 1 million by default.</summary>
    public int MaxBlocksPerFile { get; init; } = 1_000_000;

    /// <summary>The highest replication factor a file may ask for. 32 by default.</summary>
    public short MaxReplication { get; init; } = 32;

    /// <summary>The largest block size a file may ask for. 2 GiB by default.</summary>
    public long MaxBlockSize { get; init; } = 2L << 30;

    public static NamespaceLimits Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> if a limit is out of range.</summary>
    public NamespaceLimits Validate()
    {
        Check(MaxInodes, 1, long.MaxValue / 2, nameof(MaxInodes));
        Check(MaxPathDepth, 1, FsPath.MaxBytes / 2, nameof(MaxPathDepth));
        Check(MaxBlocksPerFile, 1, int.MaxValue, nameof(MaxBlocksPerFile));
        Check(MaxReplication, 1, short.MaxValue, nameof(MaxReplication));
        Check(MaxBlockSize, 1, long.MaxValue / 2, nameof(MaxBlockSize));
        return this;
    }

    private static void Check(long value, long min, long max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"{name} is {value}; it must be in [{min}, {max}]", name);
        }
    }
}
