using System.Diagnostics;
using System.Xml.Linq;
using Colony.FaultTests.Campaigns;

namespace Colony.FaultTests;

public sealed class TimelineTests
{
    [Fact]
    public void The_timeline_is_one_well_formed_svg_showing_the_faults_and_the_unknown_outcomes()
    {
        long second = Stopwatch.Frequency;
        var operations = new List<TimedOperation>();
        for (int i = 0; i < 20; i++)
        {
            operations.Add(new TimedOperation(i * second / 2, i * second / 2 + second / 100));
        }
        operations.Add(new TimedOperation(5 * second, null));
        string svg = Timeline.Svg("seed 1 <test>", operations, [new TimedFault(2, 4, "Kill kill -9 node(s) 1")]);

        var root = XElement.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", root.Name);
        Assert.Contains(root.Descendants(ns + "title"), t => t.Value == "Kill kill -9 node(s) 1");
        Assert.Contains(root.Descendants(ns + "text"), t => t.Value == "seed 1 <test>");
        Assert.Equal(2, root.Descendants(ns + "polyline").Count());
        // One red tick for the operation whose outcome stayed unknown.
        Assert.Single(root.Descendants(ns + "line"), l => (string?)l.Attribute("stroke") == "#d93025");
    }
}
