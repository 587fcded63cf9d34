using System.Net;
using System.Net.Sockets;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// Looks up the host names a reconfig names servers by: the node records members by IP address, so a name
/// becomes an address once, here, when the member is added (as ZooKeeper resolves a server's address).
/// </summary>
internal static class HostAddresses
{
    /// <summary>
    /// The address of each name that resolves within <paramref name="timeout"/>; a name that does not is left
    /// out. Names compare without regard to case, as DNS does.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> ResolveAsync(IEnumerable<string> names, TimeSpan timeout)
    {
        var addresses = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in names)
        {
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                if (Pick(await Dns.GetHostAddressesAsync(name, deadline.Token).ConfigureAwait(false)) is { } address)
                {
                    addresses[name] = address.ToString();
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
            {
                // Does not resolve (or not in time): the reconfig is refused with BadArguments.
            }
        }
        return addresses;
    }

    /// <summary>The first IPv4 address, else the first IPv6 one: Java, and so ZooKeeper, prefers IPv4 too.</summary>
    public static IPAddress? Pick(IReadOnlyList<IPAddress> addresses) =>
        addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
        ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6);
}
