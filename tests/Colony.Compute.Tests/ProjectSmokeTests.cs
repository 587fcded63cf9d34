using Colony.Consensus.StateMachine;

namespace Colony.Compute.Tests;

public sealed class ProjectSmokeTests
{
    [Fact]
    public void JobsModuleIdIsPinned() => Assert.Equal(4, ModuleId.Jobs.Value);
}
