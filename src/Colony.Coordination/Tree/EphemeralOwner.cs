namespace Colony.Coordination.Tree;

/// <summary>What a node's <see cref="Stat.EphemeralOwner"/> says it is.</summary>
public enum NodeKind
{
    Persistent,
    Ephemeral,
    Container,
    Ttl,
}

/// <summary>
/// ZooKeeper packs a node's kind into <see cref="Stat.EphemeralOwner"/>: 0 is persistent, the minimum
/// long is a container, a value whose top byte is 0xFF is a TTL node (its low 40 bits hold the TTL in
/// ms), and anything else is the id of the session owning an ephemeral. Stat keeps this encoding, as
/// ZooKeeper's persisted stat does; on the wire, as from ZooKeeper, a container's or TTL node's owner
/// reads 0 (<see cref="Protocol.JuteWriter.WriteStat"/>).
/// </summary>
public static class EphemeralOwner
{
    public const long Container = long.MinValue;

    /// <summary>The largest TTL, in ms (2^40 − 1, about 34 years).</summary>
    public const long MaxTtlMs = (1L << 40) - 1;

    private const long ExtendedMask = unchecked((long)0xFF00_0000_0000_0000UL);
    private const long ReservedMask = 0x00FF_FF00_0000_0000L;

    /// <summary>The owner value of a TTL node; <paramref name="ttlMs"/> must be in (0, 2^40).</summary>
    public static long ForTtl(long ttlMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttlMs, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ttlMs, MaxTtlMs);
        return ExtendedMask | ttlMs;
    }

    /// <summary>True if <paramref name="ttlMs"/> is a TTL ZooKeeper accepts.</summary>
    public static bool IsValidTtl(long ttlMs) => ttlMs is > 0 and <= MaxTtlMs;

    public static NodeKind KindOf(long owner)
    {
        if ((owner & ExtendedMask) == ExtendedMask)
        {
            return NodeKind.Ttl;
        }
        return owner switch
        {
            0 => NodeKind.Persistent,
            Container => NodeKind.Container,
            _ => NodeKind.Ephemeral,
        };
    }

    /// <summary>The TTL of a TTL node's owner value, in ms; 0 for any other kind.</summary>
    public static long TtlOf(long owner) => KindOf(owner) == NodeKind.Ttl ? owner & ~(ExtendedMask | ReservedMask) : 0;

    /// <summary>
    /// True if <paramref name="sessionId"/> can own ephemerals: it must not be 0 nor collide with the
    /// container or TTL encodings.
    /// </summary>
    public static bool IsValidSessionId(long sessionId) => KindOf(sessionId) == NodeKind.Ephemeral;
}
