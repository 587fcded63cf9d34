namespace Colony.Compat.Tests;

/// <summary>
/// The compatibility suite plus what only a group of servers can show: a client whose server dies
/// keeps its session on another one.
/// </summary>
public abstract class ZooKeeperEnsembleCompatibilityTests(ICompatibilityTarget target) : ZooKeeperCompatibilityTests(target)
{
    [Fact]
    public async Task Session_survives_the_death_of_its_server_and_works_on_another()
    {
        Assert.True(Target.HasFailover, "the reconnect scenario needs a target with several servers");
        var killed = new List<string>();
        try
        {
            var result = await Runner.RunKazooAsync(ScenarioRunner.ReconnectScenario, async (request, cancellationToken) =>
            {
                const string prefix = "CONNECTED-TO ";
                Assert.StartsWith(prefix, request, StringComparison.Ordinal);
                var address = request[prefix.Length..];
                await Target.KillServerAtAsync(address, cancellationToken);
                killed.Add(address);
                return "killed the server";
            });
            Golden.AssertMatches(result);
            Assert.Single(killed);
        }
        finally
        {
            // Later tests of the class share the target: give them every server back.
            await Target.RecoverAsync(CancellationToken.None);
        }
    }
}
