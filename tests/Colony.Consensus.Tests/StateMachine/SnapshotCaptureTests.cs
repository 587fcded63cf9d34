using System.Text;
using Colony.Consensus.KeyValue;
using Colony.Consensus.StateMachine;

namespace Colony.Consensus.Tests.StateMachine;

/// <summary>A capture writes the state as it was when captured, whatever is applied afterwards.</summary>
public class SnapshotCaptureTests
{
    private static Entry Put(ulong index, string key, string value) =>
        new(1, index, EntryType.Normal, CommandBatch.Encode(ModuleId.KeyValue, KeyValueCommand.EncodePut(key, value)));

    private static byte[] Write(SnapshotWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    private static byte[] WriteNow(IStateMachine machine)
    {
        using var stream = new MemoryStream();
        machine.WriteSnapshot(stream);
        return stream.ToArray();
    }

    [Fact]
    public void A_key_value_capture_writes_the_state_of_its_moment_after_later_writes()
    {
        var keyValue = new KeyValueModule();
        var machine = new CompositeStateMachine(keyValue);
        for (ulong i = 1; i <= 200; i++)
        {
            machine.Apply(Put(i, $"key-{(i * 7919) % 1000:D4}", $"value-{i}"));
        }
        byte[] expected = WriteNow(machine);

        var capture = machine.CaptureSnapshot();
        machine.Apply(Put(201, "key-0001", "overwritten"));
        machine.Apply(Put(202, "a-new-key", "new"));

        Assert.Equal(expected, Write(capture));
        Assert.NotEqual(expected, WriteNow(machine));
    }

    [Fact]
    public void A_capture_restores_to_the_captured_position_and_contents()
    {
        var keyValue = new KeyValueModule();
        var machine = new CompositeStateMachine(keyValue);
        machine.Apply(Put(1, "b", "2"));
        machine.Apply(Put(2, "a", "1"));
        var capture = machine.CaptureSnapshot();
        machine.Apply(Put(3, "c", "3"));

        var restoredKeyValue = new KeyValueModule();
        var restored = new CompositeStateMachine(restoredKeyValue);
        restored.Restore(new MemoryStream(Write(capture)));

        Assert.Equal(2ul, restored.AppliedIndex);
        Assert.Equal([new("a", "1"), new KeyValuePair<string, string>("b", "2")], restoredKeyValue.Entries);
    }

    [Fact]
    public void A_module_without_a_cheap_capture_is_serialized_at_once()
    {
        var module = new RecordingModule(ModuleId.Jobs);
        var machine = new CompositeStateMachine(module);
        machine.Apply(new Entry(1, 1, EntryType.Normal, CommandBatch.Encode(ModuleId.Jobs, Encoding.UTF8.GetBytes("first"))));
        byte[] expected = WriteNow(machine);

        var capture = machine.CaptureSnapshot();
        machine.Apply(new Entry(1, 2, EntryType.Normal, CommandBatch.Encode(ModuleId.Jobs, Encoding.UTF8.GetBytes("second"))));

        Assert.Equal(expected, Write(capture));
    }

    [Fact]
    public void A_capture_is_written_once()
    {
        var capture = new CompositeStateMachine(new KeyValueModule()).CaptureSnapshot();
        Write(capture);
        Assert.Throws<InvalidOperationException>(() => Write(capture));
    }
}
