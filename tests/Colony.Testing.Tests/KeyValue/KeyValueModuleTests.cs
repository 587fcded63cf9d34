using Colony.Consensus;
using Colony.Consensus.StateMachine;
using Colony.Consensus.KeyValue;

namespace Colony.Testing.Tests.KeyValue;

public class KeyValueModuleTests
{
    private static Entry Batch(ulong index, params byte[][] commands) =>
        new(1, index, EntryType.Normal, CommandBatch.Encode(commands.Select(c => new ModuleCommand(ModuleId.KeyValue, c)).ToArray()));

    private static byte[] Snapshot(IStateMachine machine)
    {
        using var stream = new MemoryStream();
        machine.WriteSnapshot(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Puts_and_deletes_apply_through_the_composite()
    {
        var kv = new KeyValueModule();
        var machine = new CompositeStateMachine(kv);
        machine.Apply(Batch(1, KeyValueCommand.EncodePut("a", "1"), KeyValueCommand.EncodePut("b", "2")));
        machine.Apply(Batch(2, KeyValueCommand.EncodeDelete("a"), KeyValueCommand.EncodePut("b", "3")));
        Assert.Null(kv.Get("a"));
        Assert.Equal("3", kv.Get("b"));
        Assert.Equal(1, kv.Count);
    }

    [Fact]
    public void Each_applied_command_is_reported_with_its_place_in_the_log()
    {
        var kv = new KeyValueModule();
        var seen = new List<(CommandContext, KeyValueCommand)>();
        kv.Applied += (context, command) => seen.Add((context, command));
        new CompositeStateMachine(kv).Apply(Batch(7, KeyValueCommand.EncodePut("a", "1"), KeyValueCommand.EncodeDelete("a")));
        Assert.Equal(
            [(new CommandContext(7, 1, 0), KeyValueCommand.Put("a", "1")), (new CommandContext(7, 1, 1), KeyValueCommand.Delete("a"))],
            seen);
    }

    [Fact]
    public void The_snapshot_is_deterministic_whatever_the_insertion_order()
    {
        var first = new KeyValueModule();
        var second = new KeyValueModule();
        var one = new CompositeStateMachine(first);
        var two = new CompositeStateMachine(second);
        one.Apply(Batch(1, KeyValueCommand.EncodePut("x", "1"), KeyValueCommand.EncodePut("a", "2"), KeyValueCommand.EncodePut("m", "3")));
        two.Apply(Batch(1, KeyValueCommand.EncodePut("m", "3"), KeyValueCommand.EncodePut("x", "1"), KeyValueCommand.EncodePut("a", "2")));
        Assert.Equal(Snapshot(one), Snapshot(two));
        Assert.Equal(["a", "m", "x"], first.Entries.Select(e => e.Key));
    }

    [Fact]
    public void A_snapshot_restores_the_map()
    {
        var source = new CompositeStateMachine(new KeyValueModule());
        source.Apply(Batch(1, KeyValueCommand.EncodePut("x", "1"), KeyValueCommand.EncodePut("y", "2")));
        var kv = new KeyValueModule();
        var target = new CompositeStateMachine(kv);
        target.Apply(Batch(1, KeyValueCommand.EncodePut("stale", "0")));
        target.Restore(new MemoryStream(Snapshot(source)));
        Assert.Equal([new("x", "1"), new KeyValuePair<string, string>("y", "2")], kv.Entries);
        Assert.Equal(1UL, target.AppliedIndex);
    }

    [Fact]
    public void A_malformed_command_fails_without_changing_the_map()
    {
        var kv = new KeyValueModule();
        var machine = new CompositeStateMachine(kv);
        Assert.Throws<FormatException>(() => machine.Apply(Batch(1, [1, 0])));
        Assert.Equal(0, kv.Count);
    }
}
