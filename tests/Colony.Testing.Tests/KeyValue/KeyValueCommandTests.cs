using Colony.Consensus.KeyValue;

namespace Colony.Testing.Tests.KeyValue;

public class KeyValueCommandTests
{
    [Fact]
    public void Commands_round_trip()
    {
        Assert.Equal(
            KeyValueCommand.Put("ключ", "значение"),
            KeyValueCommand.Decode(KeyValueCommand.EncodePut("ключ", "значение")));
        Assert.Equal(KeyValueCommand.Put("", ""), KeyValueCommand.Decode(KeyValueCommand.EncodePut("", "")));
        Assert.Equal(KeyValueCommand.Delete("k"), KeyValueCommand.Decode(KeyValueCommand.EncodeDelete("k")));
    }

    [Fact]
    public void The_layout_is_frozen()
    {
        Assert.Equal([1, 0, 1, (byte)'k', 0, 0, 0, 2, (byte)'v', (byte)'w'], KeyValueCommand.EncodePut("k", "vw"));
        Assert.Equal([2, 0, 1, (byte)'k'], KeyValueCommand.EncodeDelete("k"));
    }

    [Fact]
    public void Every_truncation_and_trailing_byte_is_a_format_error()
    {
        var encoded = KeyValueCommand.EncodePut("key", "value");
        for (int length = 0; length < encoded.Length; length++)
        {
            Assert.Throws<FormatException>(() => KeyValueCommand.Decode(encoded.AsSpan(0, length)));
        }
        Assert.Throws<FormatException>(() => KeyValueCommand.Decode([.. encoded, 0]));
    }

    [Fact]
    public void Unknown_kinds_invalid_utf8_and_oversized_fields_are_format_errors()
    {
        Assert.Throws<FormatException>(() => KeyValueCommand.Decode([9, 0, 0]));
        Assert.Throws<FormatException>(() => KeyValueCommand.Decode([2, 0, 1, 0xFF]));
        Assert.Throws<FormatException>(() => KeyValueCommand.Decode([2, 0xFF, 0xFF]));
    }

    [Fact]
    public void Limits_are_enforced_on_encode()
    {
        Assert.Throws<ArgumentException>(() => KeyValueCommand.EncodePut(new string('k', KeyValueCommand.MaxKeyBytes + 1), "v"));
        Assert.Throws<ArgumentException>(() => KeyValueCommand.EncodePut("k", new string('v', KeyValueCommand.MaxValueBytes + 1)));
    }
}
