using System.Globalization;
using System.Text;

namespace Colony.Coordination.Reconfig;

/// <summary>
/// The ensemble as <c>/zookeeper/config</c> holds it: one <c>server.N=</c> line per member, by id,
/// then <c>version=</c> and the zxid that wrote it in hex. The version is added by the tree when
/// it applies the change, so <see cref="FormatServers"/> leaves it out.
/// </summary>
public sealed record DynamicConfig(IReadOnlyList<ServerSpec> Servers, long Version)
{
    /// <summary>The server lines, by id, each ending in a newline.</summary>
    public static string FormatServers(IEnumerable<ServerSpec> servers)
    {
        var text = new StringBuilder();
        foreach (var server in servers.OrderBy(s => s.Id))
        {
            text.Append(server.Format()).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The version line as ZooKeeper writes it, lower-case hex without a prefix.</summary>
    public static string FormatVersion(long version) => "version=" + version.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The whole text: the server lines, then the version line (no newline after it, as ZooKeeper).</summary>
    public string Format() => FormatServers(Servers) + FormatVersion(Version);

    /// <summary>Parses the text of <c>/zookeeper/config</c>; blank lines are skipped, a missing version reads as 0.</summary>
    public static bool TryParse(string text, out DynamicConfig config, out string error)
    {
        config = null!;
        var servers = new List<ServerSpec>();
        long version = 0;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith("version=", StringComparison.Ordinal))
            {
                if (!long.TryParse(line.AsSpan("version=".Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out version))
                {
                    error = $"'{line}' is not version=<hex>";
                    return false;
                }
                continue;
            }
            if (!ServerSpec.TryParse(line, out var server, out error))
            {
                return false;
            }
            if (servers.Any(s => s.Id == server.Id))
            {
                error = $"server.{server.Id} appears twice";
                return false;
            }
            servers.Add(server);
        }
        config = new DynamicConfig([.. servers.OrderBy(s => s.Id)], version);
        error = "";
        return true;
    }
}
