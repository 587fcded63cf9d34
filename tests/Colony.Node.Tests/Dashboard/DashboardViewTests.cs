using System.Text;
using Colony.Coordination;
using Colony.Node.Dashboard;
using Colony.Node.Hosting;

namespace Colony.Node.Tests.Dashboard;

public sealed class DashboardViewTests
{
    [Fact]
    public void The_configuration_view_masks_secrets_but_names_the_secret_file()
    {
        var options = new NodeOptions
        {
            NodeId = 2,
            Secret = "c2VjcmV0LXZhbHVl",
            SecretFile = "/var/lib/colony/secret",
            Members = [new MemberOptions { Id = 1, Peer = "127.0.0.1:1", Http = "http://127.0.0.1:2" }],
        };
        var settings = ConfigurationView.Settings("Colony", options).ToDictionary(s => s.Name, s => s.Value);

        Assert.Equal(ConfigurationView.Masked, settings["Colony:Secret"]);
        Assert.Equal("/var/lib/colony/secret", settings["Colony:SecretFile"]);
        Assert.Equal("2", settings["Colony:NodeId"]);
        Assert.Equal("127.0.0.1:1", settings["Colony:Members:0:Peer"]);
        Assert.DoesNotContain(settings.Values, v => v.Contains("c2VjcmV0", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_data_previews_as_text_and_binary_as_hex()
    {
        var text = DataPreview.Of("hello\nworld"u8, 1024);
        Assert.Equal(("utf-8", "hello\nworld", false), (text.Encoding, text.Text, text.Truncated));

        var binary = DataPreview.Of([0x00, 0xff, 0x10], 1024);
        Assert.Equal(("hex", "00ff10"), (binary.Encoding, binary.Text));

        var cut = DataPreview.Of(Encoding.UTF8.GetBytes(new string('x', 2000)), 1024);
        Assert.True(cut.Truncated);
        Assert.Equal(1024, cut.Text.Length);
    }

    [Fact]
    public void The_log_ring_keeps_the_latest_lines_in_order()
    {
        var ring = new LogRing(capacity: 3);
        for (int i = 1; i <= 5; i++)
        {
            ring.Add(new LogLine(DateTimeOffset.UnixEpoch, "Information", "Test", $"line {i}"));
        }
        Assert.Equal(["line 3", "line 4", "line 5"], ring.Recent(10).Select(l => l.Message));
        Assert.Equal(["line 4", "line 5"], ring.Recent(2).Select(l => l.Message));
    }

    [Fact]
    public void Znode_names_and_data_are_escaped_in_the_browser()
    {
        var stat = new Stat(1, 1, 0, 0, 0, 0, 0, 0, 5, 1, 1);
        var node = new ZNodeBrowse("/x", stat, [new AclView("world", "anyone", "cdrwa")], ["<script>alert(1)</script>"], 1, true,
            new DataPreview("utf-8", "<img src=x onerror=alert(2)>", false));
        string html = DashboardPages.Tree("/x", node);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_protected_znode_says_why_its_data_is_hidden()
    {
        var stat = new Stat(1, 1, 0, 0, 0, 0, 0, 0, 5, 0, 1);
        var node = new ZNodeBrowse("/secret", stat, [new AclView("digest", "alice:xyz", "cdrwa")], [], 0, false, null);
        Assert.Contains("ACL does not let anyone read", DashboardPages.Tree("/secret", node), StringComparison.Ordinal);
    }
}
