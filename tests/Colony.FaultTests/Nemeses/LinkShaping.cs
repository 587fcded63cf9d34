namespace Colony.FaultTests.Nemeses;

/// <summary>A command for the bed to run: inside a network namespace, or in the root namespace when <paramref name="Namespace"/> is null.</summary>
public sealed record BedCommand(string? Namespace, string File, IReadOnlyList<string> Arguments)
{
    public override string ToString() =>
        $"{(Namespace is null ? "" : $"[{Namespace}] ")}{File} {string.Join(' ', Arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a))}";
}

/// <summary>
/// A host's link to the bridge: a veth pair, one end (<paramref name="NodeEnd"/>) inside the host's
/// namespace, the other (<paramref name="BridgeEnd"/>) on the bridge in the root namespace.
/// </summary>
public sealed record HostLink(int Node, string Namespace, string NodeEnd, string BridgeEnd);

/// <summary>A command that lists what is in force, and the line that shows the fault among its output.</summary>
public sealed record LinkProbe(BedCommand Command, string Marker)
{
    /// <summary>Whether a line of <paramref name="output"/> starts with the marker, followed by a space or the line's end.</summary>
    public bool Shows(string output) => output.Split('\n').Select(l => l.Trim())
        .Any(l => l == Marker || l.StartsWith(Marker + " ", StringComparison.Ordinal));
}

/// <summary>How a link fault is made.</summary>
public enum LinkMechanism
{
    /// <summary>`tc qdisc … netem` on the egress of both veth ends: loss, delay, jitter, reordering, rate.</summary>
    Netem,

    /// <summary>nftables `numgen random` drops in netdev ingress chains of both veth ends: loss only.</summary>
    RandomDrop,

    /// <summary>`tc qdisc … tbf` on the egress of both veth ends: a bandwidth cap whose queue delays; no reordering.</summary>
    TokenBucket,
}

/// <summary>
/// The commands that put a link fault in force on some hosts, the commands that remove it, and the
/// probes that show whether it is there: after <see cref="Apply"/> every probe shows its marker, after
/// <see cref="Heal"/> none does.
/// </summary>
public sealed record LinkPlan(LinkMechanism Mechanism, IReadOnlyList<BedCommand> Apply, IReadOnlyList<BedCommand> Heal, IReadOnlyList<LinkProbe> Probes)
{
    public string Description => Mechanism switch
    {
        LinkMechanism.Netem => "tc netem on the egress of both veth ends",
        LinkMechanism.RandomDrop => "nftables random drop in the ingress of both veth ends (no netem here)",
        _ => "tc tbf bandwidth cap on the egress of both veth ends (no netem here: no added delay beyond the queue, no reordering)",
    };
}

/// <summary>
/// Turns a <see cref="LinkFault"/> on some hosts into commands. Pure. Both directions are degraded:
/// traffic from a host at one end of its veth pair, traffic to it at the other. netem is used when the
/// kernel has it; without it loss is made with nftables random drops (at ingress, so that a dropped
/// packet looks lost on the wire to its sender rather than refused by its own stack) and slowness
/// with a tbf bandwidth cap, whose queue delays packets only once the cap is reached. Nothing can
/// reorder packets without netem.
/// </summary>
public static class LinkShaping
{
    /// <summary>The nftables table of random drops inside a host's namespace.</summary>
    public const string LossTable = "colonyloss";

    /// <summary>The burst of the tbf cap: a few full-size packets, more than the rate's share of a kernel tick.</summary>
    public const string TbfBurst = "32kbit";

    /// <summary>The part of packets netem sends at once, ahead of delayed ones: reordering.</summary>
    public const int NetemReorderPercent = 10;

    /// <summary>The nftables table of random drops in the root namespace for the bridge end <paramref name="bridgeEnd"/>.</summary>
    public static string BridgeLossTable(string bridgeEnd) => $"{LossTable}_{bridgeEnd}";

    public static LinkPlan Plan(LinkFault fault, IReadOnlyList<HostLink> links, bool netem)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(links);
        if (fault.LossPercent is < 0 or > 100 || fault.RateKbit < 0 || (fault.LossPercent == 0 && fault.RateKbit == 0))
        {
            throw new ArgumentException($"not a link fault: {fault}", nameof(fault));
        }
        if (netem)
        {
            return Qdisc(LinkMechanism.Netem, links, ["netem", .. NetemArguments(fault)]);
        }
        if (fault.LossPercent > 0 && fault.RateKbit > 0)
        {
            throw new ArgumentException("without netem a link fault is either loss or a cap, not both", nameof(fault));
        }
        return fault.LossPercent > 0
            ? RandomDrop(fault.LossPercent, links)
            : Qdisc(LinkMechanism.TokenBucket, links,
                ["tbf", "rate", $"{fault.RateKbit}kbit", "burst", TbfBurst, "latency", $"{(long)fault.Latency.TotalMilliseconds}ms"]);
    }

    private static IEnumerable<string> NetemArguments(LinkFault fault)
    {
        if (fault.RateKbit > 0)
        {
            long delay = (long)fault.Latency.TotalMilliseconds / 2;
            yield return "delay";
            yield return $"{delay}ms";
            yield return $"{delay / 2}ms";
            yield return "reorder";
            yield return $"{NetemReorderPercent}%";
            yield return "rate";
            yield return $"{fault.RateKbit}kbit";
        }
        if (fault.LossPercent > 0)
        {
            yield return "loss";
            yield return $"{fault.LossPercent}%";
        }
    }

    /// <summary>A root qdisc on both ends' egress; deleting the root qdisc gives the veth its default back.</summary>
    private static LinkPlan Qdisc(LinkMechanism mechanism, IReadOnlyList<HostLink> links, IReadOnlyList<string> qdisc)
    {
        var apply = new List<BedCommand>();
        var heal = new List<BedCommand>();
        var probes = new List<LinkProbe>();
        foreach (var (ns, device) in Ends(links))
        {
            apply.Add(new BedCommand(ns, "tc", ["qdisc", "add", "dev", device, "root", .. qdisc]));
            heal.Add(new BedCommand(ns, "tc", ["qdisc", "del", "dev", device, "root"]));
            probes.Add(new LinkProbe(new BedCommand(ns, "tc", ["qdisc", "show", "dev", device]), $"qdisc {qdisc[0]}"));
        }
        return new LinkPlan(mechanism, apply, heal, probes);
    }

    /// <summary>One netdev table per end, its chain hooked to that end's ingress; deleting the table removes all.</summary>
    private static LinkPlan RandomDrop(int percent, IReadOnlyList<HostLink> links)
    {
        var apply = new List<BedCommand>();
        var heal = new List<BedCommand>();
        var probes = new List<LinkProbe>();
        foreach (var link in links)
        {
            // Into the host: its own end's ingress. Out of it: the bridge end's ingress, past the host's stack.
            var ends = new (string? Namespace, string Device, string Table)[]
            {
                (link.Namespace, link.NodeEnd, LossTable),
                (null, link.BridgeEnd, BridgeLossTable(link.BridgeEnd)),
            };
            foreach (var (ns, device, table) in ends)
            {
                apply.Add(new BedCommand(ns, "nft", [
                    $"add table netdev {table}; " +
                    $"add chain netdev {table} lossy {{ type filter hook ingress device \"{device}\" priority 0; policy accept; }}; " +
                    $"add rule netdev {table} lossy numgen random mod 100 < {percent} drop"]));
                heal.Add(new BedCommand(ns, "nft", [$"delete table netdev {table}"]));
                probes.Add(new LinkProbe(new BedCommand(ns, "nft", ["list", "tables"]), $"table netdev {table}"));
            }
        }
        return new LinkPlan(LinkMechanism.RandomDrop, apply, heal, probes);
    }

    private static IEnumerable<(string? Namespace, string Device)> Ends(IReadOnlyList<HostLink> links) =>
        links.SelectMany(l => new (string?, string)[] { (l.Namespace, l.NodeEnd), (null, l.BridgeEnd) });
}
