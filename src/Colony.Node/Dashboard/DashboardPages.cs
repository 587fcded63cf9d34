using System.Globalization;
using System.Text;
using static Colony.Node.Dashboard.Html;

namespace Colony.Node.Dashboard;

/// <summary>Renders each page's main section from its JSON twin's data, so the two never disagree.</summary>
internal static class DashboardPages
{
    public static string Overview(ClusterView view)
    {
        var html = new StringBuilder();
        int alive = view.Nodes.Count(n => n.Health is NodeHealth.Healthy or NodeHealth.Unhealthy);
        html.Append("<h1>Cluster overview</h1><div class=\"cards\">")
            .Append(Card("Status", view.Healthy ? Badge("healthy", "healthy") : Badge("attention", "critical")))
            .Append(Card("Leader", view.Leader == 0 ? "none" : "node " + view.Leader.ToString(CultureInfo.InvariantCulture)))
            .Append(Card("Term", N(view.Term)))
            .Append(Card("Commit index", N(view.Commit)))
            .Append(Card("Nodes up", $"{alive} / {view.Nodes.Count}"))
            .Append("</div><h2>Alerts</h2>");
        if (view.Alerts.Count == 0)
        {
            html.Append("<p class=\"none\" id=\"alerts\">No alerts.</p>");
        }
        else
        {
            html.Append("<ul class=\"alerts\" id=\"alerts\">");
            foreach (var alert in view.Alerts)
            {
                html.Append("<li class=\"").Append(E(alert.Severity)).Append("\">").Append(Badge(alert.Severity, alert.Severity)).Append(' ').Append(E(alert.Message)).Append("</li>");
            }
            html.Append("</ul>");
        }
        html.Append("<h2>Nodes</h2>").Append(Table(
            ["Node", "Health", "Roles", "Raft", "Applied", "Last heartbeat", "Disk used", "Free", "Blocks", "Tasks", "ZooKeeper", "Version"],
            view.Nodes.Select(n => NodeRow(n, view.GeneratedAt)),
            "nodes"));
        return html.ToString();
    }

    private static IEnumerable<string> NodeRow(ClusterNodeView node, DateTimeOffset now)
    {
        var s = node.Summary;
        string link = node.Http.Length > 0 ? $"<a href=\"{E(node.Http)}/node\">node {node.Id}</a>" : $"node {node.Id}";
        string raft = s is null ? "-" : s.RaftRole == "leader" ? Badge("leader", "leader") : E(s.RaftRole);
        string used = "-";
        string free = "-";
        if (s is { Disk.TotalBytes: > 0 } summary)
        {
            double fraction = 1 - summary.Disk.FreeFraction;
            used = $"<div class=\"bar\" title=\"{N(fraction * 100, "0")}% used\"><span style=\"width:{N(fraction * 100, "0")}%\"></span></div>";
            free = E(AlertRules.Bytes(summary.Disk.FreeBytes));
        }
        return
        [
            link,
            $"<span data-node=\"{node.Id}\" data-health=\"{E(node.Health)}\">{Badge(node.Health, node.Health)}</span>",
            E(string.Join(", ", s?.Roles ?? (node.Voter ? ["voter"] : ["learner"]))),
            raft,
            s is null ? "-" : N(s.Applied),
            E(Ago(node.LastSeen, now)),
            used,
            free,
            node.Blocks is { } blocks ? N(blocks) : "-",
            N(node.RunningTasks),
            s?.ZooKeeper is { } zk ? $"<code>{E(zk)}</code> · {N(s.Connections)} conn" : "-",
            E(s?.Version ?? "-"),
        ];
    }

    public static string Coordination(CoordinationView view)
    {
        var local = view.Local;
        var html = new StringBuilder();
        html.Append("<h1>Coordination</h1><div class=\"cards\">")
            .Append(Card("Znodes", N(local.Znodes)))
            .Append(Card("Sessions", N(local.Sessions)))
            .Append(Card("Watches here", N(local.Watches)))
            .Append(Card("Ephemerals", N(local.Ephemerals)))
            .Append(Card("Data", E(AlertRules.Bytes(local.ApproximateDataBytes))))
            .Append(Card("Last zxid", "0x" + local.LastZxid.ToString("x", CultureInfo.InvariantCulture)))
            .Append("</div><p><a href=\"/coordination/tree?path=%2F\">Browse the znode tree →</a></p>")
            .Append("<h2>Load per node</h2>")
            .Append(Table(["Node", "Health", "Connections", "Requests/s", "Znodes", "Watches"], view.Nodes.Select(n => (IEnumerable<string>)
            [
                $"node {n.Id}", Badge(n.Health, n.Health), n.Connections is { } c ? N(c) : "-", N(n.RequestsPerSecond), n.Znodes is { } z ? N(z) : "-", n.Watches is { } w ? N(w) : "-",
            ]), "coordination-nodes"))
            .Append("<h2>Requests on node ").Append(view.ServedBy.ToString(CultureInfo.InvariantCulture)).Append("</h2><div class=\"cards\">")
            .Append(Card("Received", N(local.Received)))
            .Append(Card("Outstanding", N(local.Outstanding)))
            .Append(Card("Average latency", N(local.AverageLatencyMs, "0.###") + " ms"))
            .Append(Card("Max latency", N(local.MaxLatencyMs) + " ms"))
            .Append("</div>");
        if (local.ByOpcode.Count > 0)
        {
            html.Append("<h2>By opcode</h2>").Append(Table(["Opcode", "Answered"], local.ByOpcode.Select(o => (IEnumerable<string>)[E(o.Opcode), N(o.Count)])));
        }
        return html.ToString();
    }

    public static string Tree(string path, ZNodeBrowse? node)
    {
        var html = new StringBuilder("<h1>Znode browser</h1><p class=\"crumbs\">");
        string prefix = "";
        html.Append("<a href=\"/coordination/tree?path=%2F\">/</a>");
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            prefix += "/" + part;
            html.Append("<a href=\"/coordination/tree?path=").Append(Uri.EscapeDataString(prefix)).Append("\">").Append(E(part)).Append("</a>/");
        }
        html.Append("</p>");
        if (node is null)
        {
            return html.Append("<p class=\"none\">No znode at <code>").Append(E(path)).Append("</code>.</p>").ToString();
        }
        var st = node.Stat;
        html.Append("<h2>Data</h2>");
        if (node.Data is { } data)
        {
            html.Append("<pre id=\"data\">").Append(E(data.Text)).Append("</pre><p class=\"mute\">")
                .Append(E(data.Encoding)).Append(", ").Append(N(st.DataLength)).Append(" bytes").Append(data.Truncated ? ", preview truncated" : "").Append("</p>");
        }
        else
        {
            html.Append("<p class=\"none\">").Append(node.WorldReadable ? "No data." : "Hidden: the ACL does not let anyone read this znode.").Append("</p>");
        }
        html.Append("<h2>Children (").Append(N(node.ChildCount)).Append(")</h2>");
        if (node.Children.Count == 0)
        {
            html.Append("<p class=\"none\">None.</p>");
        }
        else
        {
            html.Append("<ul id=\"children\">");
            foreach (string child in node.Children)
            {
                string childPath = path == "/" ? "/" + child : path + "/" + child;
                html.Append("<li><a href=\"/coordination/tree?path=").Append(Uri.EscapeDataString(childPath)).Append("\">").Append(E(child)).Append("</a></li>");
            }
            html.Append("</ul>");
            if (node.ChildCount > node.Children.Count)
            {
                html.Append("<p class=\"mute\">Showing the first ").Append(N(node.Children.Count)).Append(".</p>");
            }
        }
        html.Append("<h2>Stat</h2>").Append(Table(["Field", "Value"],
        [
            ["czxid", Hex(st.Czxid)], ["mzxid", Hex(st.Mzxid)], ["pzxid", Hex(st.Pzxid)],
            ["ctime", Time(st.Ctime)], ["mtime", Time(st.Mtime)],
            ["version", N(st.Version)], ["cversion", N(st.Cversion)], ["aversion", N(st.Aversion)],
            ["ephemeralOwner", Hex(st.EphemeralOwner)], ["dataLength", N(st.DataLength)], ["numChildren", N(st.NumChildren)],
        ], "stat"));
        html.Append("<h2>ACL</h2>").Append(Table(["Scheme", "Id", "Perms"], node.Acl.Select(a => (IEnumerable<string>)[E(a.Scheme), E(a.Id), $"<code>{E(a.Perms)}</code>"])));
        return html.ToString();
    }

    public static string Node(NodeDetails details)
    {
        var s = details.Summary;
        var html = new StringBuilder();
        html.Append("<h1>Node ").Append(s.Id.ToString(CultureInfo.InvariantCulture)).Append("</h1><div class=\"cards\">")
            .Append(Card("Raft role", s.RaftRole == "leader" ? Badge("leader", "leader") : E(s.RaftRole)))
            .Append(Card("Term", N(s.Term)))
            .Append(Card("Leader", s.Leader == 0 ? "none" : "node " + s.Leader.ToString(CultureInfo.InvariantCulture)))
            .Append(Card("Commit", N(s.Commit)))
            .Append(Card("Applied", N(s.Applied)))
            .Append(Card("Health", s.Healthy ? Badge("healthy", "healthy") : Badge("unhealthy", "unhealthy")))
            .Append(Card("Disk free", E(AlertRules.Bytes(s.Disk.FreeBytes))))
            .Append(Card("Version", E(s.Version)))
            .Append("</div><h2>Peers</h2>");
        if (details.Peers is { } peers)
        {
            html.Append(Table(["Peer", "Voter", "Match", "Next", "Behind commit", "State"], peers.Select(p => (IEnumerable<string>)
            [
                $"node {p.Id}", p.Voter ? "yes" : "learner", N(p.Match), N(p.Next), N(p.Lag), E(p.State),
            ]), "peers"));
        }
        else if (details.LeaderHttp is { } leader)
        {
            html.Append("<p>Only the leader tracks its peers' progress: see <a href=\"").Append(E(leader)).Append("/node\">the leader's page</a>.</p>");
        }
        else
        {
            html.Append("<p class=\"none\">No leader is known: replication progress is unavailable.</p>");
        }
        html.Append("<h2>Recent log</h2><pre id=\"log\">");
        foreach (var line in details.RecentLogs.Reverse())
        {
            html.Append(E(line.Time.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture))).Append(' ').Append(E(line.Level[..Math.Min(4, line.Level.Length)]).ToUpperInvariant())
                .Append(' ').Append(E(line.Category)).Append(": ").Append(E(line.Message)).Append('\n');
        }
        html.Append("</pre><h2>Configuration</h2>")
            .Append(Table(["Setting", "Value"], details.Configuration.Select(c => (IEnumerable<string>)[$"<code>{E(c.Name)}</code>", E(c.Value)]), "configuration"));
        return html.ToString();
    }

    public static string Storage(string path, StorageView? view)
    {
        var html = new StringBuilder("<h1>Storage</h1><p class=\"crumbs\">");
        string prefix = "";
        html.Append("<a href=\"/storage?path=%2F\">/</a>");
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            prefix += "/" + part;
            html.Append("<a href=\"/storage?path=").Append(Uri.EscapeDataString(prefix)).Append("\">").Append(E(part)).Append("</a>/");
        }
        html.Append("</p>");
        if (view is null)
        {
            return html.Append("<p class=\"none\">No file or directory at <code>").Append(E(path)).Append("</code>.</p>").ToString();
        }
        html.Append("<div class=\"cards\">")
            .Append(Card("Files here", N(view.Files)))
            .Append(Card("Directories here", N(view.Directories)))
            .Append(Card("Bytes here", E(AlertRules.Bytes(view.Bytes))))
            .Append(Card("Files in cluster", N(view.TotalFiles)))
            .Append(Card("Blocks in cluster", N(view.TotalBlocks)))
            .Append("</div>");
        BlockHealth(html, view.Health);
        var entry = view.Entry;
        if (entry.Type == "file")
        {
            html.Append("<h2>File</h2>").Append(Table(["Field", "Value"],
            [
                ["length", N(entry.Length)], ["replication", N(entry.Replication)], ["block size", E(AlertRules.Bytes(entry.BlockSize))],
                ["blocks", N(entry.Blocks)], ["state", E(entry.State)], ["owner", E(entry.Owner + ":" + entry.Group)],
                ["permission", $"<code>{E(entry.Permission)}</code>"], ["modified", E(entry.ModificationTime.ToString("u", CultureInfo.InvariantCulture))],
            ], "file"));
            return html.ToString();
        }
        html.Append("<h2>Contents</h2>");
        if (view.Children.Count == 0)
        {
            return html.Append("<p class=\"none\">Empty.</p>").ToString();
        }
        html.Append(Table(["Name", "Type", "Size", "Replication", "Owner", "Permission", "Modified"], view.Children.Select(c => (IEnumerable<string>)
        [
            $"<a href=\"/storage?path={Uri.EscapeDataString(c.Path)}\">{E(c.Path[(c.Path.LastIndexOf('/') + 1)..])}</a>",
            E(c.Type), c.Type == "file" ? E(AlertRules.Bytes(c.Length)) : "-", c.Type == "file" ? N(c.Replication) : "-",
            E(c.Owner), $"<code>{E(c.Permission)}</code>", E(c.ModificationTime.ToString("u", CultureInfo.InvariantCulture)),
        ]), "entries"));
        return html.ToString();
    }

    /// <summary>The cluster's block health: counts, the blocks that need attention, and the data nodes.</summary>
    private static void BlockHealth(StringBuilder html, StorageHealthView? health)
    {
        html.Append("<h2>Block health</h2>");
        if (health is null)
        {
            html.Append("<p class=\"none\" id=\"block-health\">Unknown: no leader answered, or the leader is still collecting block reports.</p>");
            return;
        }
        var f = health.Fsck;
        html.Append("<div class=\"cards\" id=\"block-health\">")
            .Append(Card("Healthy", $"<span data-blocks=\"healthy\">{N(f.Healthy)}</span>"))
            .Append(Card("Under-replicated", Count("under-replicated", f.UnderReplicated, "warning")))
            .Append(Card("Corrupt", Count("corrupt", f.Corrupt, "critical")))
            .Append(Card("Missing", Count("missing", f.Missing, "critical")))
            .Append(Card("Being written", N(f.OpenBlocks)))
            .Append("</div>");
        if (f.Problems.Count > 0)
        {
            html.Append("<h2>Blocks needing attention</h2>").Append(Table(["File", "Block", "Health", "Live / wanted", "Live replicas on", "Corrupt on"], f.Problems.Select(p => (IEnumerable<string>)
            [
                $"<a href=\"/storage?path={Uri.EscapeDataString(p.Path)}\">{E(p.Path)}</a>", $"<code>{E(p.Block)}</code>",
                Badge(p.Health, p.Health == "under-replicated" ? "warning" : "critical"), $"{N(p.Live.Count)} / {N(p.Expected)}",
                p.Live.Count == 0 ? "-" : E(string.Join(", ", p.Live)), p.CorruptOn.Count == 0 ? "-" : E(string.Join(", ", p.CorruptOn)),
            ]), "problem-blocks"));
        }
        html.Append("<h2>Data nodes</h2>").Append(Table(["Node", "Transfer address", "State", "Blocks", "Corrupt replicas", "Capacity", "Free", ""], health.DataNodes.Select(d => DataNodeRow(d)), "datanodes"));
    }

    private static IEnumerable<string> DataNodeRow(DataNodeHealthView d) =>
    [
        $"<a href=\"/nodes/{d.Id.ToString(CultureInfo.InvariantCulture)}\">node {d.Id.ToString(CultureInfo.InvariantCulture)}</a>", $"<code>{E(d.Address)}</code>",
        Badge(d.State, d.State switch { "alive" => "healthy", "dead" => "dead", _ => "warning" }),
        N(d.Blocks), N(d.CorruptReplicas), E(AlertRules.Bytes(d.CapacityBytes)), E(AlertRules.Bytes(d.FreeBytes)),
        d.State == "alive"
            ? AdminActions.Form($"/storage/datanodes/{d.Id.ToString(CultureInfo.InvariantCulture)}/decommission", "Decommission",
                "The node takes no new blocks; its replicas are copied elsewhere, then it is marked decommissioned. Needs an administrator's token (the cluster token or an --admin one).")
            : "",
    ];

    private static string Count(string kind, int count, string severity) =>
        $"<span data-blocks=\"{kind}\">{(count == 0 ? "0" : Badge(N(count), severity))}</span>";

    internal static string Card(string key, string value) => $"<div class=\"card\"><div class=\"k\">{E(key)}</div><div class=\"v\">{value}</div></div>";

    private static string Hex(long value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    internal static string Time(long unixMs) => unixMs == 0 ? "0" : E(DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture));
}
