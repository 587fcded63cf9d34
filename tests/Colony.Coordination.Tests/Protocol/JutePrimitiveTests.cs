using System.Buffers;
using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

public sealed class JutePrimitiveTests
{
    [Fact]
    public void Numbers_are_big_endian_and_bools_are_one_byte()
    {
        byte[] bytes = Write((ref JuteWriter w) =>
        {
            w.WriteInt32(0x01020304);
            w.WriteInt64(-2);
            w.WriteBool(true);
            w.WriteBool(false);
        });

        Assert.Equal(Hex.Parse("01020304 fffffffffffffffe 01 00"), bytes);
        var reader = new JuteReader(bytes);
        Assert.Equal(0x01020304, reader.ReadInt32());
        Assert.Equal(-2, reader.ReadInt64());
        Assert.True(reader.ReadBool());
        Assert.False(reader.ReadBool());
        Assert.True(reader.End);
    }

    [Fact]
    public void Any_non_zero_bool_byte_is_true_as_in_java()
    {
        var reader = new JuteReader([0x7f]);

        Assert.True(reader.ReadBool());
    }

    [Fact]
    public void Null_and_empty_buffers_and_strings_are_distinct()
    {
        byte[] bytes = Write((ref JuteWriter w) =>
        {
            w.WriteBuffer((byte[]?)null);
            w.WriteBuffer(Array.Empty<byte>());
            w.WriteString(null);
            w.WriteString("");
        });

        Assert.Equal(Hex.Parse("ffffffff 00000000 ffffffff 00000000"), bytes);
        var reader = new JuteReader(bytes);
        Assert.Null(reader.ReadBuffer());
        Assert.Equal([], reader.ReadBuffer()!);
        Assert.Null(reader.ReadString());
        Assert.Equal("", reader.ReadString());
    }

    [Fact]
    public void Buffer_span_reads_without_copying_and_reports_null()
    {
        byte[] bytes = Hex.Parse("00000002 abcd ffffffff");
        var reader = new JuteReader(bytes);

        ReadOnlySpan<byte> span = reader.ReadBufferSpan(out bool firstNull);
        Assert.False(firstNull);
        Assert.Equal(new byte[] { 0xab, 0xcd }, span.ToArray());
        Assert.True(reader.ReadBufferSpan(out bool secondNull).IsEmpty);
        Assert.True(secondNull);
    }

    [Fact]
    public void Strings_are_utf8()
    {
        byte[] bytes = Write((ref JuteWriter w) => w.WriteString("/é😀"));

        Assert.Equal(Hex.Parse("00000007 2f c3a9 f09f9880"), bytes);
        var reader = new JuteReader(bytes);
        Assert.Equal("/é😀", reader.ReadString());
    }

    [Theory]
    [InlineData("00000002 2f ff")]          // 0xFF never appears in UTF-8
    [InlineData("00000002 c328")]           // bad continuation byte
    [InlineData("00000002 2f c3")]         // a sequence cut short by the string's end
    [InlineData("00000003 eda080")]         // an encoded surrogate (CESU-8)
    [InlineData("00000002 c0af")]           // overlong '/'
    public void Invalid_utf8_is_detected(string hex)
    {
        byte[] bytes = Hex.Parse(hex);

        var error = Assert.Throws<ProtocolException>(() => new JuteReader(bytes).ReadString());

        Assert.Equal(ProtocolError.InvalidUtf8, error.Error);
    }

    [Fact]
    public void Invalid_utf8_in_a_request_path_is_detected()
    {
        // exists: path "/\xff", watch false.
        byte[] frame = Hex.Parse("00000007 00000003 | 00000002 2fff | 00");

        var error = Assert.Throws<ProtocolException>(() => RequestDecoder.Decode(frame, out _));

        Assert.Equal(ProtocolError.InvalidUtf8, error.Error);
    }

    [Theory]
    [InlineData("fffffffe")]               // -2
    [InlineData("80000000")]               // int.MinValue
    [InlineData("00000005 0102")]          // longer than what follows
    [InlineData("7fffffff")]               // hostile: 2 GiB
    public void Bad_lengths_throw_before_allocating(string hex)
    {
        byte[] bytes = Hex.Parse(hex);

        Assert.Equal(ProtocolError.InvalidLength, Assert.Throws<ProtocolException>(() => new JuteReader(bytes).ReadBuffer()).Error);
        Assert.Equal(ProtocolError.InvalidLength, Assert.Throws<ProtocolException>(() => new JuteReader(bytes).ReadString()).Error);
    }

    [Theory]
    [InlineData("7fffffff 00000000")]      // two billion strings promised, four bytes given
    [InlineData("00000002 00000000")]      // two strings need at least eight bytes
    [InlineData("fffffffe")]               // -2
    public void Vector_counts_the_remaining_bytes_cannot_hold_throw_before_allocating(string hex)
    {
        byte[] bytes = Hex.Parse(hex);

        var error = Assert.Throws<ProtocolException>(() => new JuteReader(bytes).ReadStringList());

        Assert.Equal(ProtocolError.InvalidLength, error.Error);
    }

    [Theory]
    [InlineData(0L, 0L)]                                            // persistent
    [InlineData(0x0100_0000_0000_0007L, 0x0100_0000_0000_0007L)]   // an ephemeral: its session
    [InlineData(long.MinValue, 0L)]                                 // a container
    [InlineData(unchecked((long)0xFF00_0000_0000_1388UL), 0L)]      // a TTL node (5 s)
    public void A_stat_shows_clients_the_owning_session_only(long owner, long shown)
    {
        var stat = new Colony.Coordination.Stat(1, 2, 3, 4, 5, 6, 7, owner, 8, 9, 10);

        var read = new JuteReader(Write((ref JuteWriter w) => w.WriteStat(stat))).ReadStat();

        Assert.Equal(stat with { EphemeralOwner = shown }, read);
    }

    [Fact]
    public void A_null_vector_count_is_minus_one()
    {
        var reader = new JuteReader(Hex.Parse("ffffffff"));

        Assert.Equal(-1, reader.ReadVectorCount(4));
    }

    [Fact]
    public void Reading_past_the_end_throws_truncated()
    {
        Assert.Equal(ProtocolError.Truncated, Assert.Throws<ProtocolException>(() => new JuteReader([1, 2, 3]).ReadInt32()).Error);
        Assert.Equal(ProtocolError.Truncated, Assert.Throws<ProtocolException>(() => new JuteReader(new byte[7]).ReadInt64()).Error);
        Assert.Equal(ProtocolError.Truncated, Assert.Throws<ProtocolException>(() => new JuteReader([]).ReadBool()).Error);
        Assert.Equal(ProtocolError.Truncated, Assert.Throws<ProtocolException>(() => new JuteReader(new byte[JuteReader.StatBytes - 1]).ReadStat()).Error);
    }

    [Fact]
    public void Protocol_exception_is_a_format_exception()
    {
        Assert.IsAssignableFrom<FormatException>(new ProtocolException(ProtocolError.Truncated, "x"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Long_strings_and_buffers_cross_span_boundaries_intact(int spanBytes)
    {
        string text = string.Concat(Enumerable.Repeat("/ab€😀ç", 50));
        byte[] data = [.. Enumerable.Range(0, 1000).Select(i => (byte)i)];
        var output = new TinySpanWriter(spanBytes);
        var writer = new JuteWriter(output);

        writer.WriteString(text);
        writer.WriteBuffer(data);
        writer.WriteInt64(long.MinValue);
        writer.Flush();

        Assert.Equal(Write((ref JuteWriter w) =>
        {
            w.WriteString(text);
            w.WriteBuffer(data);
            w.WriteInt64(long.MinValue);
        }), output.Written);
        Assert.Equal(output.Written.Length, writer.BytesWritten);
    }

    [Fact]
    public void Lone_surrogates_become_the_replacement_character_consistently_across_spans()
    {
        string text = "/a\uD800b" + new string('x', 20) + "\uDC00";
        byte[] whole = Write((ref JuteWriter w) => w.WriteString(text));
        var output = new TinySpanWriter(2);
        var writer = new JuteWriter(output);

        writer.WriteString(text);
        writer.Flush();

        Assert.Equal(whole, output.Written);
        Assert.Equal("/a\uFFFDb" + new string('x', 20) + "\uFFFD", new JuteReader(whole).ReadString());
        var measure = JuteWriter.Measuring();
        measure.WriteString(text);
        Assert.Equal(whole.Length, measure.BytesWritten);
    }

    [Fact]
    public void Nothing_reaches_the_output_before_flush()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);

        writer.WriteInt32(1);
        Assert.Equal(0, output.WrittenCount);
        writer.Flush();
        Assert.Equal(4, output.WrittenCount);
    }

    private delegate void WriteAction(ref JuteWriter writer);

    private static byte[] Write(WriteAction write)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        write(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }
}
