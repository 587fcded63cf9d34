using Colony.Consensus.StateMachine;
using Colony.Core;

namespace Colony.Consensus.Tests.StateMachine;

public class CommandBatchTests
{
    private static ModuleCommand Command(ModuleId module, params byte[] bytes) => new(module, bytes);

    private static void AssertSame(IReadOnlyList<ModuleCommand> expected, IReadOnlyList<ModuleCommand> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Module, actual[i].Module);
            Assert.Equal(expected[i].Command.ToArray(), actual[i].Command.ToArray());
        }
    }

    [Fact]
    public void A_batch_round_trips()
    {
        var commands = new[]
        {
            Command(ModuleId.Coordination, 1, 2, 3),
            Command(ModuleId.Jobs),
            Command(ModuleId.KeyValue, new byte[300]),
        };
        AssertSame(commands, CommandBatch.Decode(CommandBatch.Encode(commands)));
    }

    [Fact]
    public void A_single_command_encodes_like_a_batch_of_one()
    {
        byte[] command = [9, 8, 7];
        Assert.Equal(
            CommandBatch.Encode([Command(ModuleId.Namespace, command)]),
            CommandBatch.Encode(ModuleId.Namespace, command));
    }

    [Fact]
    public void The_layout_is_frozen()
    {
        // version 1, count 2, {module 2, length 1, 0xAA}, {module 100, length 0}
        byte[] expected = [1, 2, 2, 1, 0xAA, 100, 0];
        Assert.Equal(expected, CommandBatch.Encode([Command(ModuleId.Coordination, 0xAA), Command(ModuleId.KeyValue)]));
    }

    [Fact]
    public void The_reader_yields_commands_in_order_and_validates_the_whole_batch()
    {
        var payload = CommandBatch.Encode([Command(ModuleId.Jobs, 1), Command(ModuleId.Membership, 2, 2)]);
        Assert.Equal(2, CommandBatch.Validate(payload));
        var reader = new CommandBatchReader(payload);
        Assert.True(reader.TryReadNext(out var module, out var command));
        Assert.Equal(ModuleId.Jobs, module);
        Assert.Equal([1], command.ToArray());
        Assert.True(reader.TryReadNext(out module, out command));
        Assert.Equal(ModuleId.Membership, module);
        Assert.Equal([2, 2], command.ToArray());
        Assert.False(reader.TryReadNext(out _, out _));
    }

    [Fact]
    public void Decoded_commands_share_the_payload_instead_of_copying_it()
    {
        var payload = CommandBatch.Encode(ModuleId.Jobs, [5, 6]);
        var command = CommandBatch.Decode(payload)[0];
        payload[^1] = 60;
        Assert.Equal([5, 60], command.Command.ToArray());
    }

    [Fact]
    public void Every_truncation_is_a_format_error()
    {
        var payload = CommandBatch.Encode([Command(ModuleId.Jobs, new byte[200]), Command(ModuleId.KeyValue, 1, 2, 3)]);
        for (int length = 0; length < payload.Length; length++)
        {
            var prefix = payload.AsMemory(0, length);
            Assert.Throws<FormatException>(() => CommandBatch.Decode(prefix));
        }
    }

    [Fact]
    public void An_unknown_version_is_rejected()
    {
        var payload = CommandBatch.Encode(ModuleId.Jobs, [1]);
        payload[0] = 2;
        var e = Assert.Throws<FormatException>(() => CommandBatch.Validate(payload));
        Assert.Contains("version 2", e.Message);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        byte[] payload = [.. CommandBatch.Encode(ModuleId.Jobs, [1]), 0];
        var e = Assert.Throws<FormatException>(() => CommandBatch.Validate(payload));
        Assert.Contains("trailing", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0 })]                            // zero commands
    [InlineData(new byte[] { 1, 0x81, 0x40, 4, 0 })]             // 8193 commands, over the limit
    [InlineData(new byte[] { 1, 0x81, 0x00, 4, 0 })]             // count not minimally encoded
    [InlineData(new byte[] { 1, 1, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F })] // length over 32 bits
    [InlineData(new byte[] { 1, 1, 4, 0x85, 0x80, 0x80, 0x80, 0x80 })] // varint longer than 5 bytes
    [InlineData(new byte[] { 1, 1, 4, 5, 1, 2 })]                // length beyond the payload
    public void Malformed_headers_are_format_errors(byte[] payload)
    {
        Assert.Throws<FormatException>(() => CommandBatch.Validate(payload));
    }

    [Fact]
    public void Random_bytes_either_decode_or_fail_with_a_format_error()
    {
        var random = new SeededRandom(7);
        for (int i = 0; i < 20_000; i++)
        {
            var payload = new byte[random.Next(0, 24)];
            for (int j = 0; j < payload.Length; j++)
            {
                payload[j] = (byte)random.Next(256);
            }
            // Bias towards plausible headers so the search reaches the command loop.
            if (payload.Length > 1 && random.Next(2) == 0)
            {
                payload[0] = CommandBatch.Version;
                payload[1] = (byte)random.Next(1, 4);
            }
            try
            {
                CommandBatch.Decode(payload);
            }
            catch (FormatException)
            {
            }
        }
    }

    [Fact]
    public void Limits_are_enforced_on_encode_and_decode()
    {
        var tooMany = Enumerable.Repeat(Command(ModuleId.Jobs), CommandBatch.MaxCommands + 1).ToArray();
        Assert.Throws<ArgumentException>(() => CommandBatch.Encode(tooMany));
        Assert.Equal(CommandBatch.MaxCommands, CommandBatch.Decode(CommandBatch.Encode(tooMany[1..])).Length);

        Assert.Throws<ArgumentException>(() => CommandBatch.Encode(ModuleId.Jobs, new byte[CommandBatch.MaxPayloadBytes]));
        Assert.Throws<ArgumentException>(() => CommandBatch.Encode(Array.Empty<ModuleCommand>()));
        var largest = CommandBatch.Encode(ModuleId.Jobs, new byte[CommandBatch.MaxPayloadBytes - 7]);
        Assert.Equal(CommandBatch.MaxPayloadBytes, largest.Length);
        Assert.Equal(1, CommandBatch.Validate(largest));

        var oversized = new byte[CommandBatch.MaxPayloadBytes + 1];
        oversized[0] = CommandBatch.Version;
        var e = Assert.Throws<FormatException>(() => CommandBatch.Validate(oversized));
        Assert.Contains("limit", e.Message);
    }
}
