using System.Text.RegularExpressions;
using Colony.FaultTests.Nemeses;

namespace Colony.FaultTests;

/// <summary>
/// The commands behind the lossy and slow links, without a bed: each step's heal removes exactly what
/// it added, on its targets only, and its probes see exactly that.
/// </summary>
public sealed partial class LinkShapingTests
{
    private static readonly ScheduleOptions FiveNodes = new() { NodeCount = 5, Length = TimeSpan.FromMinutes(2), Kinds = [NemesisKind.Lossy, NemesisKind.SlowNetwork] };

    private static HostLink Link(int node) => new(node, $"cx-9a-{node}", "eth0", $"cx9a{node}");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_scheduled_link_fault_is_undone_exactly_by_its_heal(bool netem)
    {
        var steps = Enumerable.Range(0, 10).SelectMany(seed => NemesisSchedule.Generate(seed, FiveNodes)).ToList();
        Assert.Contains(steps, s => s.Kind == NemesisKind.Lossy);
        Assert.Contains(steps, s => s.Kind == NemesisKind.SlowNetwork);
        foreach (var step in steps)
        {
            var plan = LinkShaping.Plan(step.Link!, [.. step.Targets.Select(Link)], netem);
            var links = new Links();
            links.RunAll(plan.Apply);

            // Both ends of each target's veth, and nothing of any other node.
            var ends = step.Targets.SelectMany(n => new[] { $"{Link(n).Namespace}/eth0", $"root/{Link(n).BridgeEnd}" }).Order().ToList();
            Assert.Equal(ends, links.InForce.Select(o => o.Where).Order().ToList());
            var others = Enumerable.Range(1, 5).Except(step.Targets).ToList();
            Assert.DoesNotContain(plan.Apply.Concat(plan.Heal).Select(c => c.ToString()),
                c => others.Any(n => c.Contains(Link(n).Namespace, StringComparison.Ordinal) || c.Contains(Link(n).BridgeEnd, StringComparison.Ordinal)));
            Assert.All(plan.Probes, p => Assert.True(p.Shows(links.Probe(p.Command)), $"{p.Command} does not show {p.Marker} after the fault"));

            links.RunAll(plan.Heal);
            Assert.Empty(links.InForce);
            Assert.All(plan.Probes, p => Assert.False(p.Shows(links.Probe(p.Command)), $"{p.Command} still shows {p.Marker} after the heal"));
        }
    }

    [Theory]
    [InlineData(false, 12, 0, LinkMechanism.RandomDrop)]
    [InlineData(false, 0, 512, LinkMechanism.TokenBucket)]
    [InlineData(true, 12, 0, LinkMechanism.Netem)]
    [InlineData(true, 0, 512, LinkMechanism.Netem)]
    public void Netem_is_used_when_there_and_otherwise_nftables_drops_or_a_tbf_cap(bool netem, int loss, int rate, LinkMechanism expected)
    {
        var plan = LinkShaping.Plan(new LinkFault(loss, rate, TimeSpan.FromMilliseconds(300)), [Link(2)], netem);
        Assert.Equal(expected, plan.Mechanism);
        Assert.Equal(plan.Apply.Count, plan.Heal.Count);
        Assert.Equal(plan.Apply.Count, plan.Probes.Count);
    }

    [Fact]
    public void A_lossy_link_without_netem_drops_at_both_ends_ingress()
    {
        var plan = LinkShaping.Plan(LinkFault.Loss(12), [Link(3)], netem: false);
        Assert.Equal(
            [
                "[cx-9a-3] nft 'add table netdev colonyloss; add chain netdev colonyloss lossy { type filter hook ingress device \"eth0\" priority 0; policy accept; }; add rule netdev colonyloss lossy numgen random mod 100 < 12 drop'",
                "nft 'add table netdev colonyloss_cx9a3; add chain netdev colonyloss_cx9a3 lossy { type filter hook ingress device \"cx9a3\" priority 0; policy accept; }; add rule netdev colonyloss_cx9a3 lossy numgen random mod 100 < 12 drop'",
            ],
            plan.Apply.Select(c => c.ToString()).ToList());
        Assert.Equal(["[cx-9a-3] nft 'delete table netdev colonyloss'", "nft 'delete table netdev colonyloss_cx9a3'"], plan.Heal.Select(c => c.ToString()).ToList());
    }

    [Fact]
    public void A_slow_link_without_netem_is_a_tbf_cap_on_both_ends_egress()
    {
        var plan = LinkShaping.Plan(LinkFault.Slow(512, TimeSpan.FromMilliseconds(250)), [Link(1)], netem: false);
        Assert.Equal(
            [
                "[cx-9a-1] tc qdisc add dev eth0 root tbf rate 512kbit burst 32kbit latency 250ms",
                "tc qdisc add dev cx9a1 root tbf rate 512kbit burst 32kbit latency 250ms",
            ],
            plan.Apply.Select(c => c.ToString()).ToList());
        Assert.Equal(["[cx-9a-1] tc qdisc del dev eth0 root", "tc qdisc del dev cx9a1 root"], plan.Heal.Select(c => c.ToString()).ToList());
    }

    [Fact]
    public void With_netem_a_slow_link_is_also_delayed_jittered_and_reordered()
    {
        var slow = LinkShaping.Plan(LinkFault.Slow(512, TimeSpan.FromMilliseconds(300)), [Link(1)], netem: true);
        Assert.Equal("[cx-9a-1] tc qdisc add dev eth0 root netem delay 150ms 75ms reorder 10% rate 512kbit", slow.Apply[0].ToString());
        var lossy = LinkShaping.Plan(LinkFault.Loss(7), [Link(1)], netem: true);
        Assert.Equal("tc qdisc add dev cx9a1 root netem loss 7%", lossy.Apply[1].ToString());
    }

    [Fact]
    public void A_fault_must_degrade_something_and_without_netem_only_one_thing()
    {
        Assert.Throws<ArgumentException>(() => LinkShaping.Plan(new LinkFault(0, 0, TimeSpan.Zero), [Link(1)], netem: false));
        Assert.Throws<ArgumentException>(() => LinkShaping.Plan(new LinkFault(10, 512, TimeSpan.FromMilliseconds(100)), [Link(1)], netem: false));
        Assert.Equal(LinkMechanism.Netem, LinkShaping.Plan(new LinkFault(10, 512, TimeSpan.FromMilliseconds(100)), [Link(1)], netem: true).Mechanism);
    }

    [Fact]
    public void A_probe_matches_whole_names_at_the_start_of_a_line()
    {
        var tbf = new LinkProbe(new BedCommand(null, "tc", ["qdisc", "show", "dev", "cx9a1"]), "qdisc tbf");
        Assert.True(tbf.Shows("qdisc tbf 8002: root refcnt 3 rate 1Mbit burst 4Kb lat 400ms \n"));
        Assert.False(tbf.Shows("qdisc noqueue 0: root refcnt 2 \n"));
        var table = new LinkProbe(new BedCommand(null, "nft", ["list", "tables"]), "table netdev colonyloss_cx9a1");
        Assert.True(table.Shows("table inet colonyfaults\ntable netdev colonyloss_cx9a1\n"));
        Assert.False(table.Shows("table netdev colonyloss_cx9a10\n"));
        Assert.False(table.Shows(""));
    }

    /// <summary>
    /// What the commands would leave in force: root qdiscs and netdev tables, by namespace and device.
    /// Adding what exists or deleting what does not fails, as tc and nft do.
    /// </summary>
    private sealed partial class Links
    {
        private readonly Dictionary<(string Namespace, string Name), (string Where, string Line)> _objects = [];

        public IEnumerable<(string Where, string Line)> InForce => _objects.Values;

        public void RunAll(IEnumerable<BedCommand> commands)
        {
            foreach (var command in commands)
            {
                Run(command);
            }
        }

        public string Probe(BedCommand command)
        {
            string ns = command.Namespace ?? "root";
            return command.File switch
            {
                "tc" => string.Join('\n', _objects.Where(o => o.Key == (ns, $"qdisc {command.Arguments[3]}")).Select(o => o.Value.Line)),
                "nft" => string.Join('\n', _objects.Where(o => o.Key.Namespace == ns && o.Key.Name.StartsWith("table ", StringComparison.Ordinal)).Select(o => o.Value.Line)),
                _ => throw new InvalidOperationException($"no probe {command}"),
            };
        }

        private void Run(BedCommand command)
        {
            string ns = command.Namespace ?? "root";
            var args = command.Arguments;
            if (command.File == "tc" && args is ["qdisc", "add", "dev", var device, "root", var kind, ..])
            {
                Assert.True(_objects.TryAdd((ns, $"qdisc {device}"), ($"{ns}/{device}", $"qdisc {kind} 8001: root refcnt 2")), $"{command}: a root qdisc is already there");
            }
            else if (command.File == "tc" && args is ["qdisc", "del", "dev", var gone, "root"])
            {
                Assert.True(_objects.Remove((ns, $"qdisc {gone}")), $"{command}: no root qdisc to delete");
            }
            else if (command.File == "nft" && args is [var script] && AddTable().Match(script) is { Success: true } add)
            {
                string table = add.Groups[1].Value;
                // Every part of the script is about that one table, hooked to one device.
                Assert.All(script.Split("; add ").Skip(1), part => Assert.StartsWith($"{(part.StartsWith("chain", StringComparison.Ordinal) ? "chain" : "rule")} netdev {table} ", part));
                string hooked = Device().Match(script).Groups[1].Value;
                Assert.True(_objects.TryAdd((ns, $"table {table}"), ($"{ns}/{hooked}", $"table netdev {table}")), $"{command}: table {table} is already there");
            }
            else if (command.File == "nft" && args is [var delete] && DeleteTable().Match(delete) is { Success: true } del)
            {
                Assert.True(_objects.Remove((ns, $"table {del.Groups[1].Value}")), $"{command}: no table to delete");
            }
            else
            {
                throw new InvalidOperationException($"the model does not know {command}");
            }
        }

        [GeneratedRegex(@"^add table netdev (\w+); ")]
        private static partial Regex AddTable();

        [GeneratedRegex(@"^delete table netdev (\w+)$")]
        private static partial Regex DeleteTable();

        [GeneratedRegex(@"device ""(\w+)""")]
        private static partial Regex Device();
    }
}
