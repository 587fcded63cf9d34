namespace Colony.Core;

/// <summary>
/// The only source of randomness a deterministic component may use. The simulator passes a seeded
/// one, so a run replays exactly from its seed.
/// </summary>
public interface IRandomSource
{
    /// <summary>A uniformly distributed value in [0, <paramref name="maxExclusive"/>).</summary>
    int Next(int maxExclusive);

    /// <summary>A uniformly distributed value in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    int Next(int minInclusive, int maxExclusive);

    /// <summary>A uniformly distributed value in [0, 1).</summary>
    double NextDouble();

    /// <summary>64 uniformly distributed bits.</summary>
    ulong NextUInt64();
}
