using Colony.Consensus;
using Colony.Consensus.StateMachine;
using Colony.Coordination.Commands;
using Colony.Coordination.Tree;

namespace Colony.Coordination.Tests.Tree;

public sealed class CoordinationModuleTests
{
    private static Entry Batch(ulong index, params CoordinationCommand[] commands) =>
        new(1, index, EntryType.Normal, CommandBatch.Encode(
            commands.Select(c => new ModuleCommand(ModuleId.Coordination, c.Encode())).ToArray()));

    private static CoordinationCommand Client(Op op, int cxid) => new(1, TreeDriver.DefaultSession, cxid, 1000, [], op);

    [Fact]
    public void Applies_committed_commands_and_reports_each_with_its_log_position()
    {
        var module = new CoordinationModule();
        Assert.Equal(ModuleId.Coordination, module.Id);
        var machine = new CompositeStateMachine(module);
        var seen = new List<(CommandContext Context, CoordinationCommand Command, CoordinationResult Result)>();
        module.Applied += (context, command, result) => seen.Add((context, command, result));

        machine.Apply(Batch(1, CoordinationCommand.FromCluster(1, 1000, new Op.CreateSession(TreeDriver.DefaultSession, 5000, [1]))));
        machine.Apply(Batch(2,
            Client(new Op.Create("/a", [1], Acl.OpenUnsafe, CreateMode.Persistent), cxid: 1),
            Client(new Op.Create("/a", [1], Acl.OpenUnsafe, CreateMode.Persistent), cxid: 2)));

        Assert.Equal(3, seen.Count);
        Assert.Equal(new CommandContext(2, 1, 0), seen[1].Context);
        Assert.Equal(1, seen[1].Command.Cxid);
        Assert.Equal(ErrorCode.Ok, seen[1].Result.Error);
        Assert.Equal(new CommandContext(2, 1, 1), seen[2].Context);
        Assert.Equal(ErrorCode.NodeExists, seen[2].Result.Error);
        Assert.Equal(3, seen[2].Result.Zxid);
        Assert.True(module.Tree.Exists("/a"));
    }

    [Fact]
    public void A_malformed_command_is_fatal()
    {
        var machine = new CompositeStateMachine(new CoordinationModule());
        var entry = new Entry(1, 1, EntryType.Normal, CommandBatch.Encode(ModuleId.Coordination, [9, 9, 9]));
        Assert.Throws<FormatException>(() => machine.Apply(entry));
    }

    [Fact]
    public void Snapshots_round_trip_through_the_composite()
    {
        var source = new CoordinationModule();
        var machine = new CompositeStateMachine(source);
        machine.Apply(Batch(1, CoordinationCommand.FromCluster(1, 1000, new Op.CreateSession(TreeDriver.DefaultSession, 5000, [1]))));
        machine.Apply(Batch(2, Client(new Op.Create("/e", [], Acl.OpenUnsafe, CreateMode.Ephemeral), 1)));
        var snapshot = new MemoryStream();
        machine.WriteSnapshot(snapshot);

        var target = new CoordinationModule();
        var restored = new CompositeStateMachine(target);
        snapshot.Position = 0;
        restored.Restore(snapshot);

        Assert.Equal(2UL, restored.AppliedIndex);
        Assert.Equal(source.Tree.LastZxid, target.Tree.LastZxid);
        Assert.Equal(["/e"], target.Tree.GetEphemerals(TreeDriver.DefaultSession));
        var again = new MemoryStream();
        restored.WriteSnapshot(again);
        Assert.Equal(snapshot.ToArray(), again.ToArray());
    }
}
