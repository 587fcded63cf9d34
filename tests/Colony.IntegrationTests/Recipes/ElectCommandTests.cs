namespace Colony.IntegrationTests.Recipes;

/// <summary>`colony elect` as a real process: the token, the name observers see, and lost leadership.</summary>
[Collection(RecipeCollection.Name)]
public class ElectCommandTests(RecipeCluster fixture)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_leader_frozen_past_its_session_timeout_is_replaced_and_exits_76_after_SIGTERM_to_its_command()
    {
        using var work = new Workspace();
        await using var first = Elect(work, "first", "--session-timeout", "2", "--", "sh", "-c",
            "echo \"$COLONY_FENCING_TOKEN\" > first.token; trap 'echo term > first.got; exit 0' TERM; while :; do sleep 0.05; done");
        await Workspace.WaitUntilAsync(() => work.Read("first.token").EndsWith('\n'), Generous, "the first contender to lead");
        await using var second = Elect(work, "second", "--", "sh", "-c", "echo \"$COLONY_FENCING_TOKEN\" > second.token");

        await using (var client = await fixture.ConnectAsync())
        {
            var leader = await new Colony.Client.Recipes.LeaderElection(client, "/cli/elect").GetLeaderAsync();
            Assert.Equal("first", leader?.Identifier);
        }

        first.Signal(ChildProcess.SigStop);
        try
        {
            Assert.Equal(0, await second.ExitCodeAsync(Generous));
        }
        finally
        {
            first.Signal(ChildProcess.SigCont);
        }

        Assert.Equal(76, await first.ExitCodeAsync(Generous));
        Assert.Contains("colony: leadership lost:", first.Error, StringComparison.Ordinal);
        Assert.Equal("term", work.Read("first.got").Trim());
        Assert.True(long.Parse(work.Read("second.token"), System.Globalization.CultureInfo.InvariantCulture) > long.Parse(work.Read("first.token"), System.Globalization.CultureInfo.InvariantCulture));
    }

    private ChildProcess Elect(Workspace work, string name, params string[] args) =>
        ChildProcess.Colony(fixture.ConnectString, work.Directory, ["elect", "/cli/elect", "--name", name, .. args]);
}
