using System.Globalization;
using System.Net;

namespace Colony.Coordination.Reconfig;

/// <summary>What a server does in the ensemble: votes (a Raft voter) or only follows (a Raft learner).</summary>
public enum ServerRole
{
    Participant,
    Observer,
}

/// <summary>
/// One <c>server.N=</c> line of ZooKeeper's dynamic configuration:
/// <c>host:peerPort:electionPort[:participant|:observer][;[clientHost:]clientPort]</c>. Colony has
/// no election port: the second port is the node's HTTP port, and the client address is its
/// ZooKeeper address (unknown for a member recorded without one).
/// </summary>
public sealed record ServerSpec(ulong Id, string Host, int PeerPort, int ElectionPort, ServerRole Role, string? ClientHost = null, int ClientPort = 0)
{
    /// <summary>The Raft peer address, host:port (IPv6 hosts in brackets).</summary>
    public string PeerAddress => $"{HostPart(Host)}:{PeerPort}";

    /// <summary>The HTTP base address Colony reads the election port as.</summary>
    public string HttpAddress => HttpAddressWith(Uri.UriSchemeHttp);

    /// <summary>The HTTP base address with <paramref name="scheme"/>: members of an HTTPS cluster serve https.</summary>
    public string HttpAddressWith(string scheme) => $"{scheme}://{HostPart(Host)}:{ElectionPort}";

    /// <summary>The spec's host names (peer host, then client host) that are not IP addresses, so must be looked up.</summary>
    public IEnumerable<string> HostNames()
    {
        if (!IPAddress.TryParse(Host, out _))
        {
            yield return Host;
        }
        if (ClientHost is { } client && !IPAddress.TryParse(client, out _))
        {
            yield return client;
        }
    }

    /// <summary>
    /// The spec with each host name replaced by its address from <paramref name="addresses"/>; false, with the
    /// name, if one is not there (it did not resolve). IP addresses are kept as they are.
    /// </summary>
    public bool TryResolve(IReadOnlyDictionary<string, string> addresses, out ServerSpec resolved, out string unresolved)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        resolved = this;
        unresolved = "";
        foreach (string name in HostNames())
        {
            if (!addresses.ContainsKey(name))
            {
                unresolved = name;
                return false;
            }
        }
        resolved = this with
        {
            Host = addresses.GetValueOrDefault(Host, Host),
            ClientHost = ClientHost is null ? null : addresses.GetValueOrDefault(ClientHost, ClientHost),
        };
        return true;
    }

    /// <summary>The ZooKeeper client address, host:port, if the spec has one.</summary>
    public string? ClientAddress => ClientPort > 0 ? $"{HostPart(ClientHost ?? "0.0.0.0")}:{ClientPort}" : null;

    /// <summary>The value of the line, as ZooKeeper writes it: the role always, the client address when known.</summary>
    public string FormatValue()
    {
        string role = Role == ServerRole.Observer ? "observer" : "participant";
        string value = $"{PeerAddress}:{ElectionPort.ToString(CultureInfo.InvariantCulture)}:{role}";
        return ClientAddress is { } client ? $"{value};{client}" : value;
    }

    /// <summary>The whole line, <c>server.N=value</c>.</summary>
    public string Format() => $"server.{Id.ToString(CultureInfo.InvariantCulture)}={FormatValue()}";

    /// <summary>Parses <c>server.N=value</c> (ZooKeeper takes the id after the last dot of the key).</summary>
    public static bool TryParse(string line, out ServerSpec spec, out string error)
    {
        spec = null!;
        int equals = line.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0 || line.IndexOf('=', equals + 1) >= 0)
        {
            error = $"'{line}' is not server.N=host:port:port";
            return false;
        }
        string key = line[..equals].Trim();
        if (!key.StartsWith("server.", StringComparison.Ordinal)
            || !ulong.TryParse(key.AsSpan(key.LastIndexOf('.') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong id)
            || id == 0)
        {
            error = $"'{key}' is not server.N with N a positive number";
            return false;
        }
        return TryParseValue(id, line[(equals + 1)..].Trim(), out spec, out error);
    }

    /// <summary>Parses the part after <c>server.N=</c>.</summary>
    public static bool TryParseValue(ulong id, string value, out ServerSpec spec, out string error)
    {
        spec = null!;
        string server = value;
        string? client = null;
        int semicolon = value.IndexOf(';', StringComparison.Ordinal);
        if (semicolon >= 0)
        {
            server = value[..semicolon];
            client = value[(semicolon + 1)..];
        }
        var parts = SplitHost(server);
        if (parts is null || parts.Count is < 3 or > 4)
        {
            error = $"'{value}' is not host:port:port[:role][;[host:]port]";
            return false;
        }
        if (!TryPort(parts[1], out int peerPort) || !TryPort(parts[2], out int electionPort))
        {
            error = $"'{value}' has a bad port";
            return false;
        }
        var role = ServerRole.Participant;
        if (parts.Count == 4)
        {
            switch (parts[3].ToLowerInvariant())
            {
                case "participant":
                    break;
                case "observer":
                    role = ServerRole.Observer;
                    break;
                default:
                    error = $"'{parts[3]}' is not participant or observer";
                    return false;
            }
        }
        string? clientHost = null;
        int clientPort = 0;
        if (client is not null)
        {
            var clientParts = SplitHost(client.Trim());
            bool ok = clientParts?.Count switch
            {
                1 => TryPort(clientParts[0], out clientPort),
                2 => TryPort(clientParts[1], out clientPort),
                _ => false,
            };
            if (!ok)
            {
                error = $"'{client}' is not [host:]port";
                return false;
            }
            clientHost = clientParts!.Count == 2 ? clientParts[0] : "0.0.0.0";
        }
        if (parts[0].Length == 0)
        {
            error = $"'{value}' has no host";
            return false;
        }
        spec = new ServerSpec(id, parts[0], peerPort, electionPort, role, clientHost, clientPort);
        error = "";
        return true;
    }

    /// <summary>Colon-separated parts, a bracketed IPv6 host kept whole (without its brackets); null if brackets don't close.</summary>
    private static List<string>? SplitHost(string text)
    {
        var parts = new List<string>();
        string rest = text;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < rest.Length && rest[close + 1] != ':'))
            {
                return null;
            }
            parts.Add(rest[1..close]);
            if (close + 1 >= rest.Length)
            {
                return parts;
            }
            rest = rest[(close + 2)..];
        }
        parts.AddRange(rest.Split(':'));
        return parts;
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;

    private static string HostPart(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
}
