using Colony.Consensus.KeyValue;
using Colony.Node.Hosting;

namespace Colony.Node.Tests.Hosting;

public class ProposeStreamTests
{
    [Fact]
    public void Wire_values_are_frozen()
    {
        Assert.Equal([1, 2, 3, 4, 5], Enum.GetValues<ProposeReply>().Select(r => (int)r));
        Assert.Equal("/kv-stream", ProposeStream.Path);
        Assert.Equal("colony-propose", ProposeStream.UpgradeToken);
        Assert.Equal(1 + 2 + 1024 + 4 + 65536, ProposeStream.MaxCommandBytes);
    }

    [Fact]
    public void A_request_frame_is_a_length_then_a_key_value_command()
    {
        byte[] frame = [0, 0, 0, 12, 1, 0, 2, (byte)'k', (byte)'1', 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c'];

        Assert.True(ProposeStream.TryReadRequest(frame, out var command, out var encoded, out int frameBytes));

        Assert.Equal(KeyValueCommand.Put("k1", "abc"), command);
        Assert.Equal(KeyValueCommand.EncodePut("k1", "abc"), encoded.ToArray());
        Assert.Equal(16, frameBytes);
    }

    [Fact]
    public void A_partial_frame_asks_for_more_and_says_how_much_once_its_length_is_in()
    {
        byte[] frame = [0, 0, 0, 12, 1, 0, 2, (byte)'k', (byte)'1', 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c', 0xFF];

        Assert.False(ProposeStream.TryReadRequest(frame.AsSpan(0, 3), out _, out _, out int unknown));
        Assert.Equal(0, unknown);
        Assert.False(ProposeStream.TryReadRequest(frame.AsSpan(0, 15), out _, out _, out int needed));
        Assert.Equal(16, needed);
        Assert.True(ProposeStream.TryReadRequest(frame, out _, out _, out int taken)); // a following byte belongs to the next frame
        Assert.Equal(16, taken);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0 })] // empty command
    [InlineData(new byte[] { 0, 1, 4, 8 })] // longer than any command
    [InlineData(new byte[] { 0, 0, 0, 3, 9, 0, 0 })] // unknown command kind
    [InlineData(new byte[] { 0, 0, 0, 4, 1, 0, 1, (byte)'k' })] // a put without its value
    public void A_malformed_frame_is_a_format_error(byte[] frame)
    {
        Assert.Throws<FormatException>(() => ProposeStream.TryReadRequest(frame, out _, out _, out _));
    }

    [Fact]
    public void A_reply_is_an_outcome_then_a_length_prefixed_detail()
    {
        var buffer = new byte[ProposeStream.MaxReplyBytes];

        Assert.Equal(3, ProposeStream.WriteReply(buffer, ProposeReply.Committed, null));
        Assert.Equal(new byte[] { 1, 0, 0 }, buffer[..3]);
        int length = ProposeStream.WriteReply(buffer, ProposeReply.NotLeader, "http://h:1");
        Assert.Equal([2, 0, 10, .. "http://h:1"u8.ToArray()], buffer[..length]);
        Assert.Equal(ProposeStream.MaxReplyBytes, ProposeStream.WriteReply(buffer, ProposeReply.Unknown, new string('x', 5000)));
    }

    [Fact]
    public void Garbage_never_fails_with_anything_but_a_format_error()
    {
        var random = new Random(20261126);
        var buffer = new byte[96];
        for (int i = 0; i < 20_000; i++)
        {
            var input = buffer.AsSpan(0, random.Next(buffer.Length + 1));
            random.NextBytes(input);
            if (input.Length >= 4 && random.Next(2) == 0)
            {
                // A plausible length, so that the command decoder sees garbage too.
                input[0] = input[1] = input[2] = 0;
                input[3] = (byte)random.Next(1, input.Length - 3 + 1);
            }
            try
            {
                if (ProposeStream.TryReadRequest(input, out _, out var encoded, out int frameBytes))
                {
                    Assert.Equal(frameBytes - 4, encoded.Length);
                }
            }
            catch (FormatException)
            {
            }
        }
    }
}
