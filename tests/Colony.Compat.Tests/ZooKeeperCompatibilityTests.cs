namespace Colony.Compat.Tests;

/// <summary>
/// The compatibility suite: every scenario in tests/compat, run against a target's servers, must
/// reproduce the golden transcript recorded from Apache ZooKeeper. A target is one subclass that
/// names its fixture; Colony's twin of <see cref="ReferenceZooKeeperEnsembleTests"/> is a
/// subclass with a Colony cluster as its target, and nothing else.
/// </summary>
public abstract class ZooKeeperCompatibilityTests(ICompatibilityTarget target)
{
    public static TheoryData<string> KazooScenarios => new(ScenarioRunner.KazooScenarios);

    protected ICompatibilityTarget Target { get; } = target;

    protected ScenarioRunner Runner => new(Target.ConnectString);

    [Theory]
    [MemberData(nameof(KazooScenarios))]
    public async Task Kazoo_scenario_reproduces_its_golden_transcript(string scenario) =>
        Golden.AssertMatches(await Runner.RunKazooAsync(scenario));

    [Fact]
    public async Task Java_cli_session_reproduces_its_golden_transcript() =>
        Golden.AssertMatches(await Runner.RunZkCliAsync());

    [Fact]
    public async Task C_cli_session_reproduces_its_golden_transcript() =>
        Golden.AssertMatches(await Runner.RunCClientAsync());
}
