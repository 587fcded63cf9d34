namespace Colony.Compat.Tests;

/// <summary>The harness's own pieces, without any server.</summary>
public class HarnessTests
{
    [Fact]
    public void Transcripts_with_the_same_lines_match_whatever_the_line_endings()
    {
        Assert.Null(Golden.Compare("a\nb\n", "a\r\nb"));
        Assert.Null(Golden.Compare("", "\n"));
    }

    [Fact]
    public void A_difference_is_reported_at_its_first_line_with_both_sides()
    {
        var difference = Golden.Compare("one\ntwo\nthree\n", "one\nTWO\nthree\n");
        Assert.NotNull(difference);
        Assert.Contains("first difference at line 2", difference, StringComparison.Ordinal);
        Assert.Contains("  - two", difference, StringComparison.Ordinal);
        Assert.Contains("  + TWO", difference, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_extra_line_is_a_difference()
    {
        Assert.Contains("  + <end>", Golden.Compare("a\nb\n", "a\n"), StringComparison.Ordinal);
        Assert.Contains("  - <end>", Golden.Compare("a\n", "a\nb\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_kazoo_script_is_a_listed_scenario_and_every_scenario_has_a_golden()
    {
        var scripts = Directory.GetFiles(CompatPaths.Kazoo, "*.py")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => name != "scenario")
            .Order(StringComparer.Ordinal);
        Assert.Equal(ScenarioRunner.KazooScenarios.Append(ScenarioRunner.ReconnectScenario).Order(StringComparer.Ordinal), scripts);

        var goldens = ScenarioRunner.KazooScenarios.Append(ScenarioRunner.ReconnectScenario)
            .Select(s => $"kazoo-{s.Replace('_', '-')}")
            .Append("zkcli")
            .Append("cclient");
        Assert.All(goldens, name => Assert.True(File.Exists(Golden.PathOf(name)), $"missing golden {name}"));
    }

    [Fact]
    public async Task An_unknown_scenario_is_refused_before_anything_runs()
    {
        var runner = new ScenarioRunner("127.0.0.1:1");
        await Assert.ThrowsAsync<ArgumentException>(() => runner.RunKazooAsync("no_such_scenario"));
    }
}
