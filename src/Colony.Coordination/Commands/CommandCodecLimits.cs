namespace Colony.Coordination.Commands;

/// <summary>
/// Hard bounds the codec enforces on every field, so a corrupt or hostile entry can't make the decoder
/// allocate without limit. The tree's configurable limits (<see cref="Tree.TreeLimits"/>) must fit
/// inside them. Raising one is safe; lowering one could make old log entries undecodable.
/// </summary>
public static class CommandCodecLimits
{
    /// <summary>The longest path, in UTF-16 code units.</summary>
    public const int MaxPathChars = 16 * 1024;

    /// <summary>The longest path, in UTF-8 bytes (3 bytes per code unit at worst).</summary>
    public const int MaxPathBytes = 3 * MaxPathChars;

    /// <summary>The longest scheme or identity of an id, in UTF-8 bytes.</summary>
    public const int MaxIdBytes = 16 * 1024;

    /// <summary>The largest znode data.</summary>
    public const int MaxDataBytes = 64 * 1024 * 1024;

    /// <summary>The longest session password.</summary>
    public const int MaxPasswordBytes = 1024;

    /// <summary>The most authenticated ids a command carries.</summary>
    public const int MaxAuthIds = 1024;

    /// <summary>The most entries in one ACL.</summary>
    public const int MaxAclEntries = 64 * 1024;

    /// <summary>The most operations in one multi.</summary>
    public const int MaxMultiOps = 1024 * 1024;

    /// <summary>The most session ids one touch carries.</summary>
    public const int MaxTouchedSessions = 1024 * 1024;
}
