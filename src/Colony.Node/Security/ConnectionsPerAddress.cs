using System.Net;

namespace Colony.Node.Security;

/// <summary>
/// Counts the open connections from each remote IP address on one port, so that one address cannot
/// take every slot (ZooKeeper's maxClientCnxns). A limit of 0 counts nothing and admits everyone.
/// </summary>
public sealed class ConnectionsPerAddress
{
    private readonly Dictionary<IPAddress, int> _open = [];
    private readonly Lock _lock = new();

    public ConnectionsPerAddress(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        Limit = limit;
    }

    public int Limit { get; }

    /// <summary>Admits one more connection from <paramref name="address"/>, or returns false if it already has <see cref="Limit"/>.</summary>
    public bool TryAcquire(IPAddress? address)
    {
        if (Limit == 0 || address is null)
        {
            return true;
        }
        address = Normalize(address);
        lock (_lock)
        {
            int open = _open.GetValueOrDefault(address);
            if (open >= Limit)
            {
                return false;
            }
            _open[address] = open + 1;
            return true;
        }
    }

    /// <summary>A connection admitted by <see cref="TryAcquire"/> closed.</summary>
    public void Release(IPAddress? address)
    {
        if (Limit == 0 || address is null)
        {
            return;
        }
        address = Normalize(address);
        lock (_lock)
        {
            if (_open.TryGetValue(address, out int open))
            {
                if (open <= 1)
                {
                    _open.Remove(address); // the table holds only addresses with connections open
                }
                else
                {
                    _open[address] = open - 1;
                }
            }
        }
    }

    /// <summary>Connections open from <paramref name="address"/> now.</summary>
    public int OpenFrom(IPAddress address)
    {
        lock (_lock)
        {
            return _open.GetValueOrDefault(Normalize(address));
        }
    }

    // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; they are the same client as a.b.c.d.
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
