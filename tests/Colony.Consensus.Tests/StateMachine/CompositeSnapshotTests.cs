using System.Text;
using Colony.Consensus.StateMachine;

namespace Colony.Consensus.Tests.StateMachine;

public class CompositeSnapshotTests
{
    private static (CompositeStateMachine Machine, RecordingModule Kv, RecordingModule Jobs) Build()
    {
        var kv = new RecordingModule(ModuleId.KeyValue);
        var jobs = new RecordingModule(ModuleId.Jobs);
        return (new CompositeStateMachine(kv, jobs), kv, jobs);
    }

    private static Entry Normal(ulong term, ulong index, ModuleId module, string command) =>
        new(term, index, EntryType.Normal, CommandBatch.Encode(module, Encoding.UTF8.GetBytes(command)));

    private static byte[] Populated()
    {
        var (machine, _, _) = Build();
        machine.Apply(Normal(1, 1, ModuleId.KeyValue, "first"));
        machine.Apply(Normal(1, 2, ModuleId.Jobs, "job"));
        machine.Apply(new Entry(2, 3, EntryType.Noop, ReadOnlyMemory<byte>.Empty));
        machine.Apply(Normal(2, 4, ModuleId.KeyValue, "second"));
        return Snapshot(machine);
    }

    private static byte[] Snapshot(CompositeStateMachine machine)
    {
        using var stream = new MemoryStream();
        machine.WriteSnapshot(stream);
        return stream.ToArray();
    }

    private static void Restore(CompositeStateMachine machine, byte[] snapshot) =>
        machine.Restore(new MemoryStream(snapshot, writable: false));

    [Fact]
    public void A_snapshot_restores_every_module_and_the_applied_position()
    {
        var (machine, kv, jobs) = Build();
        Restore(machine, Populated());

        Assert.Equal(4UL, machine.AppliedIndex);
        Assert.Equal(2UL, machine.AppliedTerm);
        Assert.Equal(["first", "second"], kv.Applied.Select(a => a.Command));
        Assert.Equal([(new CommandContext(2, 1, 0), "job")], jobs.Applied);

        // Apply resumes after the restored index, and only after it.
        Assert.Throws<Colony.Core.InvariantViolationException>(() => machine.Apply(Normal(2, 4, ModuleId.KeyValue, "again")));
        machine.Apply(Normal(2, 5, ModuleId.KeyValue, "third"));
        Assert.Equal(3, kv.Applied.Count);
    }

    [Fact]
    public void A_snapshot_is_deterministic_and_survives_a_second_round_trip()
    {
        var first = Populated();
        Assert.Equal(first, Populated());
        var (machine, _, _) = Build();
        Restore(machine, first);
        Assert.Equal(first, Snapshot(machine));
    }

    [Fact]
    public void An_empty_machine_round_trips()
    {
        var (machine, _, _) = Build();
        var snapshot = Snapshot(machine);
        var (other, kv, _) = Build();
        Restore(other, snapshot);
        Assert.Equal(0UL, other.AppliedIndex);
        Assert.Empty(kv.Applied);
    }

    [Fact]
    public void Every_flipped_bit_is_detected_and_leaves_the_state_unchanged()
    {
        var snapshot = Populated();
        for (int i = 0; i < snapshot.Length; i++)
        {
            for (int bit = 0; bit < 8; bit += 3)
            {
                var corrupt = (byte[])snapshot.Clone();
                corrupt[i] ^= (byte)(1 << bit);
                var (machine, kv, _) = Build();
                machine.Apply(Normal(9, 1, ModuleId.KeyValue, "mine"));
                Assert.Throws<InvalidDataException>(() => Restore(machine, corrupt));
                Assert.Equal(1UL, machine.AppliedIndex);
                Assert.Equal(["mine"], kv.Applied.Select(a => a.Command));
            }
        }
    }

    [Fact]
    public void Every_truncation_is_detected()
    {
        var snapshot = Populated();
        for (int length = 0; length < snapshot.Length; length++)
        {
            var (machine, _, _) = Build();
            var e = Assert.Throws<InvalidDataException>(() => Restore(machine, snapshot[..length]));
            Assert.Contains("truncated", e.Message);
        }
    }

    [Fact]
    public void Truncation_is_detected_on_a_stream_that_cannot_seek()
    {
        var snapshot = Populated();
        var (machine, _, _) = Build();
        var e = Assert.Throws<InvalidDataException>(() => machine.Restore(new ForwardOnlyStream(snapshot[..^10])));
        Assert.Contains("truncated", e.Message);
        machine.Restore(new ForwardOnlyStream(snapshot));
        Assert.Equal(4UL, machine.AppliedIndex);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var (machine, _, _) = Build();
        var e = Assert.Throws<InvalidDataException>(() => Restore(machine, [.. Populated(), 0]));
        Assert.Contains("trailing", e.Message);
    }

    [Fact]
    public void A_module_the_snapshot_predates_starts_empty()
    {
        var (source, _, _) = Build();
        var snapshot = Snapshot(source);
        var added = new RecordingModule(ModuleId.Namespace);
        var larger = new CompositeStateMachine(new RecordingModule(ModuleId.KeyValue), new RecordingModule(ModuleId.Jobs), added);
        larger.Apply(new Entry(1, 1, EntryType.Normal, CommandBatch.Encode(ModuleId.Namespace, [9])));
        Assert.NotEmpty(added.Applied);

        Restore(larger, snapshot);
        Assert.Empty(added.Applied); // back to the state it had before any command
        Assert.Equal(source.AppliedIndex, larger.AppliedIndex);
    }

    [Fact]
    public void A_snapshot_with_a_module_this_node_lacks_is_rejected()
    {
        var snapshot = Populated();
        var smaller = new CompositeStateMachine(new RecordingModule(ModuleId.KeyValue));
        var e = Assert.Throws<InvalidDataException>(() => Restore(smaller, snapshot));
        Assert.Contains("Jobs", e.Message);
    }

    [Fact]
    public void A_module_that_leaves_its_section_unread_is_caught()
    {
        var snapshot = Populated();
        var machine = new CompositeStateMachine(new RecordingModule(ModuleId.KeyValue), new LazyModule(ModuleId.Jobs));
        var e = Assert.Throws<InvalidDataException>(() => Restore(machine, snapshot));
        Assert.Contains("unread", e.Message);
    }

    [Fact]
    public void Another_format_version_is_rejected_by_name()
    {
        var snapshot = Populated();
        snapshot[4] = 2;
        // Re-seal the header so that the version check, not the checksum, is what fails.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(
            snapshot.AsSpan(22), Colony.Core.Crc32C.Compute(snapshot.AsSpan(0, 22)));
        var (machine, _, _) = Build();
        var e = Assert.Throws<InvalidDataException>(() => Restore(machine, snapshot));
        Assert.Contains("version 2", e.Message);
    }

    /// <summary>A module whose Restore reads nothing.</summary>
    private sealed class LazyModule(ModuleId id) : IStateMachineModule
    {
        public ModuleId Id { get; } = id;

        public void Apply(in CommandContext context, ReadOnlySpan<byte> command)
        {
        }

        public void WriteSnapshot(Stream destination)
        {
        }

        public void Restore(Stream source)
        {
        }
    }

    /// <summary>A stream that only reads forward, as a network stream would.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data, writable: false);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 3));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
