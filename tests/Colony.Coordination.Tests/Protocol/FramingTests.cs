using System.Buffers;
using System.Text;
using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

public sealed class FramingTests
{
    private static readonly byte[][] Bodies =
    [
        Wire.Encode(new RequestHeader(SpecialXid.Ping, OpCode.Ping)),
        [],
        Wire.Encode(new CreateRequest("/a/b/c", new byte[300], Acl.OpenUnsafe, CreateMode.Persistent)),
        [0x42],
    ];

    private static byte[] Stream() => [.. Bodies.SelectMany(Framed)];

    private static byte[] Framed(byte[] body) => [.. Hex.Parse(body.Length.ToString("x8")), .. body];

    [Fact]
    public void Reads_back_to_back_frames_from_one_segment()
    {
        var buffer = new ReadOnlySequence<byte>(Stream());

        List<byte[]> frames = ReadAll(ref buffer);

        Assert.Equal(Bodies, frames);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Resumes_at_the_next_frame_whatever_the_split()
    {
        byte[] stream = Stream();
        for (int split = 0; split <= stream.Length; split++)
        {
            // First read: only the bytes before the split have arrived.
            var first = Segment.Sequence(stream[..split]);
            List<byte[]> frames = ReadAll(ref first);
            byte[] leftover = first.ToArray();

            // Second read: the unconsumed bytes, then the rest, in separate segments.
            var second = Segment.Sequence(leftover, stream[split..]);
            frames.AddRange(ReadAll(ref second));

            Assert.True(Bodies.SequenceEqual(frames, ByteArrayComparer.Instance), $"split at {split}");
            Assert.True(second.IsEmpty, $"split at {split}");
        }
    }

    [Fact]
    public void Reads_frames_spread_over_one_byte_segments()
    {
        byte[] stream = Stream();
        var buffer = Segment.Sequence([.. stream.Select(b => new[] { b })]);

        Assert.Equal(Bodies, ReadAll(ref buffer));
    }

    [Fact]
    public void Needs_more_bytes_leaves_the_buffer_untouched()
    {
        byte[] frame = Framed([1, 2, 3]);
        var buffer = Segment.Sequence(frame[..2], frame[2..5]);

        Assert.False(FrameReader.TryReadFrame(ref buffer, 100, out _));
        Assert.Equal(5, buffer.Length);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(101)]
    [InlineData(int.MaxValue)]
    public void Rejects_negative_and_oversized_lengths_from_the_prefix_alone(int length)
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Parse(length.ToString("x8")));

        var error = Assert.Throws<ProtocolException>(() => FrameReader.TryReadFrame(ref buffer, 100, out _));

        Assert.Equal(ProtocolError.FrameTooLarge, error.Error);
    }

    [Fact]
    public void Accepts_a_frame_of_exactly_the_limit()
    {
        var buffer = new ReadOnlySequence<byte>(Framed(new byte[100]));

        Assert.True(FrameReader.TryReadFrame(ref buffer, 100, out ReadOnlySequence<byte> frame));
        Assert.Equal(100, frame.Length);
    }

    [Fact]
    public void The_default_limit_fits_a_full_znode_with_its_headers()
    {
        var request = new SetDataRequest("/" + new string('p', 1000), new byte[FrameReader.MaxPayloadBytes], -1);
        int length = FrameWriter.Measure(new RequestHeader(1, OpCode.SetData), request);

        Assert.InRange(length, FrameReader.MaxPayloadBytes, FrameReader.DefaultMaxFrameBytes);
        Assert.Equal(1024 * 1024 + 64 * 1024, FrameReader.DefaultMaxFrameBytes);
    }

    [Fact]
    public void Frame_writer_returns_the_bytes_it_wrote_and_prefixes_the_body_length()
    {
        var output = new ArrayBufferWriter<byte>();
        var header = new ReplyHeader(3, 9, ErrorCode.Ok);
        var body = new GetDataResponse(new byte[5000], MessageCatalog.SampleStat);

        int written = FrameWriter.Write(output, header, body);

        Assert.Equal(output.WrittenCount, written);
        Assert.Equal(FrameWriter.Measure(header, body) + 4, written);
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(FrameReader.TryReadFrame(ref buffer, FrameReader.DefaultMaxFrameBytes, out ReadOnlySequence<byte> frame));
        var reader = new JuteReader(frame.ToArray());
        Assert.Equal(header, ReplyHeader.Read(ref reader));
        Assert.Equal(5000, GetDataResponse.Read(ref reader).Data!.Length);
        Assert.True(reader.End);
    }

    [Fact]
    public void Frame_writer_works_through_tiny_spans()
    {
        var output = new TinySpanWriter(spanBytes: 3);
        var header = new ReplyHeader(3, 9, ErrorCode.Ok);
        var body = new GetChildrenResponse(["alpha", "βeta", "😀"]);

        FrameWriter.Write(output, header, body);

        Assert.Equal(Wire.Frame(header, body), output.Written);
    }

    [Theory]
    [InlineData("ruok")]
    [InlineData("srvr")]
    [InlineData("stat")]
    [InlineData("mntr")]
    [InlineData("conf")]
    [InlineData("cons")]
    [InlineData("envi")]
    [InlineData("wchs")]
    [InlineData("wchc")]
    [InlineData("wchp")]
    [InlineData("dump")]
    [InlineData("isro")]
    [InlineData("crst")]
    [InlineData("srst")]
    [InlineData("dirs")]
    [InlineData("gtmk")]
    [InlineData("stmk")]
    [InlineData("hash")]
    public void Recognises_four_letter_words(string word)
    {
        Assert.True(FourLetterWord.TryParse(Encoding.ASCII.GetBytes(word), out string parsed));
        Assert.Equal(word, parsed);
        Assert.Contains(word, FourLetterWord.All);
    }

    [Fact]
    public void Every_four_letter_word_is_over_any_frame_limit_when_read_as_a_length()
    {
        foreach (string word in FourLetterWord.All)
        {
            var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(word));
            Assert.Throws<ProtocolException>(() => FrameReader.TryReadFrame(ref buffer, FrameReader.DefaultMaxFrameBytes, out _));
        }
        Assert.Equal(18, FourLetterWord.All.Count);
    }

    [Theory]
    [InlineData("RUOK")]
    [InlineData("ruo")]
    [InlineData("xyzw")]
    [InlineData("\0\0\0\u0010")]
    public void Rejects_anything_else(string text)
    {
        Assert.False(FourLetterWord.TryParse(Encoding.ASCII.GetBytes(text), out _));
    }

    private static List<byte[]> ReadAll(ref ReadOnlySequence<byte> buffer)
    {
        var frames = new List<byte[]>();
        while (FrameReader.TryReadFrame(ref buffer, 1000, out ReadOnlySequence<byte> frame))
        {
            frames.Add(frame.ToArray());
        }
        return frames;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
