using System.Text;
using Colony.Consensus.StateMachine;
using Colony.Core;

namespace Colony.Consensus.Tests.StateMachine;

public class CompositeStateMachineTests
{
    private static readonly ModuleId Other = new(200);

    private static Entry Normal(ulong term, ulong index, params (ModuleId Module, string Command)[] commands) =>
        new(term, index, EntryType.Normal, CommandBatch.Encode(
            commands.Select(c => new ModuleCommand(c.Module, Encoding.UTF8.GetBytes(c.Command))).ToArray()));

    private static Entry Noop(ulong term, ulong index) => new(term, index, EntryType.Noop, ReadOnlyMemory<byte>.Empty);

    [Fact]
    public void Each_command_goes_to_its_module_with_its_position()
    {
        var kv = new RecordingModule(ModuleId.KeyValue);
        var jobs = new RecordingModule(ModuleId.Jobs);
        var machine = new CompositeStateMachine(kv, jobs);

        machine.Apply(Normal(2, 5, (ModuleId.KeyValue, "a"), (ModuleId.Jobs, "b"), (ModuleId.KeyValue, "c")));

        Assert.Equal([(new CommandContext(5, 2, 0), "a"), (new CommandContext(5, 2, 2), "c")], kv.Applied);
        Assert.Equal([(new CommandContext(5, 2, 1), "b")], jobs.Applied);
        Assert.Equal(5UL, machine.AppliedIndex);
        Assert.Equal(2UL, machine.AppliedTerm);
    }

    [Fact]
    public void Noop_and_membership_entries_advance_the_applied_index()
    {
        var kv = new RecordingModule(ModuleId.KeyValue);
        var machine = new CompositeStateMachine(kv);
        machine.Apply(Noop(1, 1));
        Assert.Equal(1UL, machine.AppliedIndex);
        machine.Apply(new Entry(3, 2, EntryType.Membership, Membership.OfVoters(1, 2, 3).Encode()));
        Assert.Equal(2UL, machine.AppliedIndex);
        Assert.Equal(3UL, machine.AppliedTerm);
        Assert.Empty(kv.Applied);
    }

    [Fact]
    public void Modules_are_listed_in_id_order_and_found_by_id()
    {
        var kv = new RecordingModule(ModuleId.KeyValue);
        var jobs = new RecordingModule(ModuleId.Jobs);
        var machine = new CompositeStateMachine(kv, jobs);
        Assert.Equal([jobs, kv], machine.Modules);
        Assert.Same(kv, machine.Find(ModuleId.KeyValue));
        Assert.Null(machine.Find(ModuleId.Namespace));
    }

    [Fact]
    public void Two_modules_with_one_id_are_refused()
    {
        Assert.Throws<ArgumentException>(() =>
            new CompositeStateMachine(new RecordingModule(ModuleId.Jobs), new RecordingModule(ModuleId.Jobs)));
        Assert.Throws<ArgumentException>(() => new CompositeStateMachine(new RecordingModule(new ModuleId(0))));
    }

    [Fact]
    public void A_command_for_a_missing_module_is_fatal_and_applies_nothing()
    {
        var kv = new RecordingModule(ModuleId.KeyValue);
        var machine = new CompositeStateMachine(kv);
        var e = Assert.Throws<InvalidOperationException>(() =>
            machine.Apply(Normal(1, 1, (ModuleId.KeyValue, "a"), (Other, "b"))));
        Assert.Contains("module 200", e.Message);
        Assert.Empty(kv.Applied);
        Assert.Equal(0UL, machine.AppliedIndex);
    }

    [Fact]
    public void A_malformed_batch_is_a_format_error_naming_the_entry_and_applies_nothing()
    {
        var kv = new RecordingModule(ModuleId.KeyValue);
        var machine = new CompositeStateMachine(kv);
        var payload = Normal(1, 1, (ModuleId.KeyValue, "a"), (ModuleId.KeyValue, "b")).Data.ToArray();
        var e = Assert.Throws<FormatException>(() =>
            machine.Apply(new Entry(4, 9, EntryType.Normal, payload.AsMemory(0, payload.Length - 1))));
        Assert.Contains("4/9", e.Message);
        Assert.Empty(kv.Applied);
    }

    [Fact]
    public void Entries_must_be_applied_in_strictly_increasing_index_order()
    {
        var machine = new CompositeStateMachine(new RecordingModule(ModuleId.KeyValue));
        machine.Apply(Noop(1, 1));
        machine.Apply(Normal(1, 3, (ModuleId.KeyValue, "a")));
        Assert.Throws<InvariantViolationException>(() => machine.Apply(Noop(1, 3)));
        Assert.Throws<InvariantViolationException>(() => machine.Apply(Noop(1, 2)));
        Assert.Throws<InvariantViolationException>(() => machine.Apply(Noop(1, 0)));
        machine.Apply(Noop(1, 4));
        Assert.Equal(4UL, machine.AppliedIndex);
    }

    [Fact]
    public void A_term_may_not_decrease_along_the_log()
    {
        var machine = new CompositeStateMachine(new RecordingModule(ModuleId.KeyValue));
        machine.Apply(Noop(3, 1));
        Assert.Throws<InvariantViolationException>(() => machine.Apply(Noop(2, 2)));
    }

    [Fact]
    public void An_unknown_entry_type_is_refused()
    {
        var machine = new CompositeStateMachine(new RecordingModule(ModuleId.KeyValue));
        Assert.Throws<InvalidOperationException>(() => machine.Apply(new Entry(1, 1, (EntryType)77, ReadOnlyMemory<byte>.Empty)));
    }
}
