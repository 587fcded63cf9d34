using System.Globalization;
using System.Net;

namespace Colony.Client;

/// <summary>
/// A parsed ZooKeeper connect string: "host1:port1,host2:port2/chroot". IPv6 hosts are written
/// in brackets ("[::1]:2181"); a missing port means 2181.
/// </summary>
public sealed record ConnectString
{
    public const int DefaultPort = 2181;

    private ConnectString(IReadOnlyList<DnsEndPoint> servers, string? chroot)
    {
        Servers = servers;
        Chroot = chroot;
    }

    public IReadOnlyList<DnsEndPoint> Servers { get; }

    /// <summary>The subtree every path is relative to, or null for the whole tree.</summary>
    public string? Chroot { get; }

    public static ConnectString Parse(string connectString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectString);
        string hosts = connectString.Trim();
        string? chroot = null;
        int slash = hosts.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            chroot = hosts[slash..];
            hosts = hosts[..slash];
            if (chroot == ZooKeeperPath.Root)
            {
                chroot = null;
            }
            else
            {
                ZooKeeperPath.Validate(chroot, parameterName: nameof(connectString));
            }
        }

        var servers = new List<DnsEndPoint>();
        foreach (string entry in hosts.Split(',', StringSplitOptions.TrimEntries))
        {
            if (entry.Length == 0)
            {
                throw new ArgumentException($"Connect string '{connectString}' has an empty server entry.", nameof(connectString));
            }
            servers.Add(ParseServer(entry, connectString));
        }
        return new ConnectString(servers, chroot);
    }

    /// <summary>The path the server sees for a client path.</summary>
    public string ToServerPath(string clientPath) =>
        Chroot is null ? clientPath : clientPath == ZooKeeperPath.Root ? Chroot : Chroot + clientPath;

    /// <summary>The client's view of a server path (chroot removed); paths outside the chroot are returned unchanged.</summary>
    public string ToClientPath(string serverPath)
    {
        if (Chroot is null)
        {
            return serverPath;
        }
        if (serverPath == Chroot)
        {
            return ZooKeeperPath.Root;
        }
        return serverPath.Length > Chroot.Length && serverPath.StartsWith(Chroot, StringComparison.Ordinal) && serverPath[Chroot.Length] == '/'
            ? serverPath[Chroot.Length..]
            : serverPath;
    }

    public override string ToString() =>
        string.Join(',', Servers.Select(s => s.Host.Contains(':', StringComparison.Ordinal) ? $"[{s.Host}]:{s.Port}" : $"{s.Host}:{s.Port}")) + Chroot;

    private static DnsEndPoint ParseServer(string entry, string whole)
    {
        string host;
        string? port = null;
        if (entry.StartsWith('['))
        {
            int close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException($"Server '{entry}' in '{whole}' has an unclosed '['.", nameof(whole));
            }
            host = entry[1..close];
            string rest = entry[(close + 1)..];
            if (rest.Length > 0)
            {
                port = rest[0] == ':' ? rest[1..] : throw new ArgumentException($"Server '{entry}' in '{whole}' is not [host]:port.", nameof(whole));
            }
        }
        else
        {
            int colon = entry.LastIndexOf(':');
            host = colon < 0 ? entry : entry[..colon];
            port = colon < 0 ? null : entry[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Server '{entry}' in '{whole}': write IPv6 addresses in brackets, [addr]:port.", nameof(whole));
            }
        }

        if (host.Length == 0)
        {
            throw new ArgumentException($"Server '{entry}' in '{whole}' has no host.", nameof(whole));
        }
        int number = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            throw new ArgumentException($"Server '{entry}' in '{whole}' has an invalid port.", nameof(whole));
        }
        return new DnsEndPoint(host, number);
    }
}
