using System.Globalization;
using System.Text.Json.Nodes;

namespace Colony.Node.ZooKeeper;

/// <summary>
/// ZooKeeper's AdminServer commands over the node's HTTP port (<c>GET /commands/NAME</c>), for the
/// monitoring tools that read JSON rather than four-letter words. Each answer is a JSON object with
/// the command's fields plus <c>command</c> and <c>error</c>, as ZooKeeper's are.
/// </summary>
internal static class AdminCommands
{
    /// <summary>
    /// ZooKeeper 3.8's commands: each primary name (the one its answers carry as <c>command</c>), its aliases,
    /// and the four-letter word (or internal name) that answers it. Its trace-mask, snapshot and restore commands are left out.
    /// </summary>
    private static readonly (string Primary, string[] Aliases, string Word)[] Commands =
    [
        ("configuration", ["conf", "config"], "conf"),
        ("connection_stat_reset", ["crst"], "crst"),
        ("connections", ["cons"], "cons"),
        ("dirs", [], "dirs"),
        ("dump", [], "dump"),
        ("environment", ["env", "envi"], "envi"),
        ("hash", [], "hash"),
        ("initial_configuration", ["icfg"], "icfg"),
        ("is_read_only", ["isro"], "isro"),
        ("last_snapshot", ["lsnp"], "lsnp"),
        ("leader", ["lead"], "lead"),
        ("monitor", ["mntr"], "mntr"),
        ("observer_connection_stat_reset", ["orst"], "orst"),
        ("observers", ["obsr"], "obsr"),
        ("ruok", [], "ruok"),
        ("server_stats", ["srvr"], "srvr"),
        ("stat_reset", ["srst"], "srst"),
        ("stats", ["stat"], "stat"),
        ("system_properties", ["sysp"], "sysp"),
        ("voting_view", [], "voting_view"),
        ("watch_summary", ["wchs"], "wchs"),
        ("watches", ["wchc"], "wchc"),
        ("watches_by_path", ["wchp"], "wchp"),
        ("zabstate", [], "zabstate"),
    ];

    /// <summary>Every name a command answers to, aliases included, with its primary name and word.</summary>
    private static readonly Dictionary<string, (string Primary, string Word)> ByName = Commands
        .SelectMany(c => c.Aliases.Prepend(c.Primary).Select(name => (name, c.Primary, c.Word)))
        .ToDictionary(c => c.name, c => (c.Primary, c.Word), StringComparer.Ordinal);

    /// <summary>The commands' primary names, as ZooKeeper lists them.</summary>
    public static IEnumerable<string> PrimaryNames => Commands.Select(c => c.Primary);

    /// <summary>The answer to <paramref name="name"/>, or null for a command this server does not have.</summary>
    public static JsonObject? Run(string name, CoordinationServer server)
    {
        if (!ByName.TryGetValue(name, out var command))
        {
            return null;
        }
        var answer = server.AdminFields(command.Word) ?? FromText(command.Word, server.RenderFourLetterWord(command.Word));
        answer["command"] = command.Primary;
        if (!answer.ContainsKey("error"))
        {
            answer["error"] = null; // a command that failed has set it
        }
        return answer;
    }

    /// <summary>ZooKeeper's answer to a command it does not have.</summary>
    public static JsonObject Unknown(string name) => new() { ["command"] = name, ["error"] = $"Unknown command: {name}" };

    /// <summary>The fields of a command ZooKeeper answers with its four-letter word's figures, read from that text.</summary>
    private static JsonObject FromText(string word, string text) =>
        word switch
        {
            "ruok" => [],
            "isro" => new JsonObject { ["read_only"] = text == "ro" },
            "mntr" => Fields(text, '\t', trimPrefix: "zk_"),
            "conf" => Configuration(text),
            "envi" => Fields(text, '=', trimPrefix: null),
            "dirs" => Fields(text, ':', trimPrefix: null),
            _ => new JsonObject { ["result"] = text.Trim() },
        };

    /// <summary>
    /// The settings as fields, and the dynamic config that ends the text as <c>membership</c>: an object of
    /// its lines, <c>server.N</c> and <c>version</c> (hex, as in the text), each value a string.
    /// </summary>
    private static JsonObject Configuration(string text)
    {
        int heading = text.IndexOf(CoordinationServer.MembershipHeading + "\n", StringComparison.Ordinal);
        if (heading < 0)
        {
            return Fields(text, '=', trimPrefix: null);
        }
        var fields = Fields(text[..heading], '=', trimPrefix: null);
        var membership = new JsonObject();
        foreach (string line in text[(heading + CoordinationServer.MembershipHeading.Length + 1)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int at = line.IndexOf('=', StringComparison.Ordinal);
            if (at > 0)
            {
                membership[line[..at]] = line[(at + 1)..];
            }
        }
        fields["membership"] = membership;
        return fields;
    }

    /// <summary>"key SEP value" lines as a JSON object; numbers stay numbers.</summary>
    private static JsonObject Fields(string text, char separator, string? trimPrefix)
    {
        var fields = new JsonObject();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int at = line.IndexOf(separator, StringComparison.Ordinal);
            if (at <= 0)
            {
                continue;
            }
            string key = line[..at].Trim();
            if (trimPrefix is not null && key.StartsWith(trimPrefix, StringComparison.Ordinal))
            {
                key = key[trimPrefix.Length..];
            }
            key = key.ToLowerInvariant().Replace(' ', '_').Replace('.', '_');
            string value = line[(at + 1)..].Trim();
            fields[key] = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number) ? number
                : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double real) ? real
                : value;
        }
        return fields;
    }
}
