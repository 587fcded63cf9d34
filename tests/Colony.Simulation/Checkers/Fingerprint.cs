using Colony.Consensus;

namespace Colony.Simulation.Checkers;

/// <summary>64-bit FNV-1a: a stable content hash (unlike HashCode, the same in every process, so traces replay).</summary>
internal static class Fingerprint
{
    public const ulong Seed = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Add(ulong hash, ulong value)
    {
        for (int i = 0; i < 8; i++)
        {
            hash = (hash ^ (byte)(value >> (8 * i))) * Prime;
        }
        return hash;
    }

    public static ulong Add(ulong hash, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }
        return hash;
    }

    public static ulong Add(ulong hash, string text)
    {
        foreach (char c in text)
        {
            hash = (hash ^ (byte)c) * Prime;
            hash = (hash ^ (byte)(c >> 8)) * Prime;
        }
        return Add(hash, (ulong)text.Length);
    }

    /// <summary>What an entry carries (type and payload), without its position.</summary>
    public static ulong OfContent(in Entry entry) => Add(Add(Seed, (ulong)entry.Type), entry.Data.Span);
}
