using Colony.Consensus.StateMachine;

namespace Colony.Consensus.Tests.StateMachine;

public class ModuleIdTests
{
    // Module ids are written into every log entry and snapshot: changing one breaks every existing cluster.
    [Fact]
    public void Module_ids_are_frozen()
    {
        Assert.Equal(1, ModuleId.Membership.Value);
        Assert.Equal(2, ModuleId.Coordination.Value);
        Assert.Equal(3, ModuleId.Namespace.Value);
        Assert.Equal(4, ModuleId.Jobs.Value);
        Assert.Equal(5, ModuleId.Access.Value);
        Assert.Equal(100, ModuleId.KeyValue.Value);
    }

    [Fact]
    public void Module_ids_name_themselves()
    {
        Assert.Equal("Coordination", ModuleId.Coordination.ToString());
        Assert.Equal("module 42", new ModuleId(42).ToString());
    }
}
