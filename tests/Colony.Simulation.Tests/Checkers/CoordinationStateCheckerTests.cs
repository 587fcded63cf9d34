using Colony.Consensus;
using Colony.Consensus.StateMachine;
using Colony.Coordination;
using Colony.Coordination.Commands;
using Colony.Coordination.Tree;
using Colony.Simulation.Checkers;

namespace Colony.Simulation.Tests.Checkers;

public class CoordinationStateCheckerTests
{
    private static readonly CoordinationCommand Session = new(1, 7, 0, 1_000, [], new Op.CreateSession(7, 10_000, new byte[16]));

    private static Entry EntryOf(ulong index, CoordinationCommand command) =>
        new(1, index, EntryType.Normal, CommandBatch.Encode(ModuleId.Coordination, command.Encode()));

    [Fact]
    public void A_tree_whose_zxid_disagrees_with_the_log_is_a_violation()
    {
        var checker = new CoordinationStateChecker();
        var tree = new DataTree();
        tree.Apply(Session);
        Assert.Null(checker.OnApplied(1, EntryOf(1, Session), tree, now: 0));

        // A touch takes no zxid; a tree that counted one anyway is off.
        var touch = Session with { Operation = new Op.TouchSessions([7]) };
        tree.Apply(Session with { Operation = new Op.Create("/x", [], Acl.OpenUnsafe, CreateMode.Persistent) });
        Assert.Equal(ViolationKind.StateMachineSafety, checker.OnApplied(1, EntryOf(2, touch), tree, now: 1)?.Kind);
    }

    [Fact]
    public void Trees_that_differ_at_the_same_restored_index_are_a_violation()
    {
        var checker = new CoordinationStateChecker();
        var create = Session with { Operation = new Op.Create("/x", [1], Acl.OpenUnsafe, CreateMode.Persistent) };
        Assert.Null(checker.OnApplied(1, EntryOf(1, Session), Apply(Session), now: 0));
        Assert.Null(checker.OnApplied(1, EntryOf(2, create), Apply(Session, create), now: 0));

        Assert.Null(checker.OnRestored(2, 2, Apply(Session, create), now: 1));
        var later = create with { TimeMs = create.TimeMs + 1 };
        Assert.Equal(ViolationKind.StateMachineSafety, checker.OnRestored(3, 2, Apply(Session, later), now: 2)?.Kind);
    }

    [Fact]
    public void The_content_fingerprint_sees_data_stat_and_sessions()
    {
        var create = Session with { Operation = new Op.Create("/x", [1], Acl.OpenUnsafe, CreateMode.Persistent) };
        ulong reference = CoordinationStateChecker.ContentFingerprint(Apply(Session, create));
        Assert.Equal(reference, CoordinationStateChecker.ContentFingerprint(Apply(Session, create)));
        Assert.NotEqual(reference, CoordinationStateChecker.ContentFingerprint(Apply(Session, create with { Operation = new Op.Create("/x", [2], Acl.OpenUnsafe, CreateMode.Persistent) })));
        Assert.NotEqual(reference, CoordinationStateChecker.ContentFingerprint(Apply(Session, create with { TimeMs = 5 })));
        Assert.NotEqual(reference, CoordinationStateChecker.ContentFingerprint(Apply(Session with { Operation = new Op.CreateSession(7, 10_000, [1, .. new byte[15]]) }, create)));
    }

    [Fact]
    public void The_content_fingerprint_sees_session_owners()
    {
        var move = Session with { OriginNode = 2, Operation = new Op.MoveSession(7, new byte[16]) };
        ulong reference = CoordinationStateChecker.ContentFingerprint(Apply(Session));
        Assert.NotEqual(reference, CoordinationStateChecker.ContentFingerprint(Apply(Session, move)));
        Assert.Equal(reference, CoordinationStateChecker.ContentFingerprint(Apply(Session, move, move with { OriginNode = 1 })));
    }

    [Fact]
    public void A_session_move_takes_no_zxid()
    {
        var checker = new CoordinationStateChecker();
        var move = Session with { OriginNode = 2, Operation = new Op.MoveSession(7, new byte[16]) };
        var tree = Apply(Session);
        Assert.Null(checker.OnApplied(1, EntryOf(1, Session), tree, now: 0));
        tree.Apply(move);
        Assert.Null(checker.OnApplied(1, EntryOf(2, move), tree, now: 1));
    }

    [Fact]
    public void A_healthy_tree_passes_the_end_of_run_invariants()
    {
        var ephemeral = Session with { Operation = new Op.Create("/e", null, Acl.OpenUnsafe, CreateMode.Ephemeral) };
        Assert.Null(CoordinationStateChecker.CheckTree(1, Apply(Session, ephemeral), now: 0));
    }

    [Fact]
    public void Nodes_at_the_same_applied_index_with_different_trees_are_a_violation()
    {
        var states = new[] { new NodeState(1, 7, [], Tree: 1), new NodeState(2, 7, [], Tree: 1), new NodeState(3, 6, [], Tree: 2) };
        Assert.Null(StateMachineSafetyChecker.CompareStates(states, now: 0));
        var diverged = states.Append(new NodeState(4, 7, [], Tree: 2)).ToList();
        Assert.Contains("coordination trees", StateMachineSafetyChecker.CompareStates(diverged, now: 0)?.Detail);
    }

    private static DataTree Apply(params CoordinationCommand[] commands)
    {
        var tree = new DataTree();
        foreach (var command in commands)
        {
            Assert.True(tree.Apply(command).IsOk);
        }
        return tree;
    }
}
