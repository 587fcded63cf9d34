using Colony.Coordination;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// The order in which ZooKeeper's server lists a connection's identities (whoami): it keeps them in a set backed by
/// Java's ConcurrentHashMap, so they come out by hash bin, and within a bin in the order they were added. Clients
/// print the list as it comes, so the same order makes the same transcript.
/// </summary>
internal static class JavaIdentityOrder
{
    public static IEnumerable<Id> Order(IReadOnlyList<Id> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int bins = TableSize(ids.Count);
        // OrderBy is stable: within a bin, the order they were added.
        return ids.OrderBy(id => Bin(id, bins));
    }

    /// <summary>The map's table size once it holds <paramref name="count"/> entries: 16, doubled whenever it is three quarters full.</summary>
    internal static int TableSize(int count)
    {
        int size = 16;
        while (count >= size - (size >> 2))
        {
            size <<= 1;
        }
        return size;
    }

    /// <summary>The bin of <paramref name="id"/>'s hash (jute's generated hashCode for Id) in a table of <paramref name="bins"/>.</summary>
    internal static int Bin(Id id, int bins)
    {
        int hash = unchecked((37 * ((37 * 17) + JavaHash(id.Scheme))) + JavaHash(id.Identity));
        int spread = (hash ^ (int)((uint)hash >> 16)) & 0x7fffffff;
        return spread & (bins - 1);
    }

    /// <summary>Java's String.hashCode, over the same UTF-16 code units.</summary>
    internal static int JavaHash(string text)
    {
        int hash = 0;
        foreach (char c in text)
        {
            hash = unchecked((31 * hash) + c);
        }
        return hash;
    }
}
