using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

/// <summary>Every message survives a round trip, and every strict prefix of it is rejected cleanly.</summary>
public sealed class MessageCodecTests
{
    public static TheoryData<string> Samples => MessageCatalog.Names;

    [Theory]
    [MemberData(nameof(Samples))]
    public void Round_trips(string name)
    {
        Sample sample = MessageCatalog.Get(name);

        object decoded = sample.Decode(sample.Bytes);

        Equivalent.AssertEqual(sample.Message, decoded);
        Assert.Equal(sample.Bytes, Wire.Encode((IJuteWritable)decoded));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Measuring_counts_exactly_the_bytes_written(string name)
    {
        Sample sample = MessageCatalog.Get(name);
        var measure = JuteWriter.Measuring();

        ((IJuteWritable)sample.Message).Write(ref measure);

        Assert.Equal(sample.Bytes.Length, measure.BytesWritten);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Writes_the_same_bytes_through_one_byte_spans(string name)
    {
        Sample sample = MessageCatalog.Get(name);
        var output = new TinySpanWriter(spanBytes: 1);
        var writer = new JuteWriter(output);

        ((IJuteWritable)sample.Message).Write(ref writer);
        writer.Flush();

        Assert.Equal(sample.Bytes, output.Written);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_truncation_throws_a_protocol_exception(string name)
    {
        Sample sample = MessageCatalog.Get(name);
        int lastRequired = sample.Bytes.Length - sample.OptionalTailBytes;

        for (int cut = 0; cut < lastRequired; cut++)
        {
            byte[] prefix = sample.Bytes[..cut];
            var error = Assert.Throws<ProtocolException>(() => sample.Decode(prefix));
            Assert.True(
                error.Error is ProtocolError.Truncated or ProtocolError.InvalidLength,
                $"cut at {cut}: {error.Error} {error.Message}");
        }
    }

    [Fact]
    public void A_connect_request_from_a_client_that_omits_read_only_decodes_as_read_write()
    {
        Sample sample = MessageCatalog.Get(nameof(ConnectRequest));

        var decoded = Jute.Decode<ConnectRequest>(sample.Bytes[..^1]);

        Assert.False(decoded.ReadOnly);
        Assert.Equal(30_000, decoded.TimeOut);
        Assert.Equal(16, decoded.Password.Length);
    }

    [Fact]
    public void A_connect_response_without_read_only_decodes_as_read_write()
    {
        Sample sample = MessageCatalog.Get(nameof(ConnectResponse));

        var decoded = Jute.Decode<ConnectResponse>(sample.Bytes[..^1]);

        Assert.False(decoded.ReadOnly);
        Assert.Equal(0x0102030405060708, decoded.SessionId);
    }

    [Fact]
    public void Bodiless_messages_encode_to_nothing()
    {
        Assert.Empty(Wire.Encode(EmptyRequest.Instance));
        Assert.Empty(Wire.Encode(new EmptyResponse()));
        Assert.Same(EmptyRequest.Instance, Jute.Decode<EmptyRequest>([]));
    }

    [Fact]
    public void Null_vectors_read_as_empty_lists()
    {
        byte[] bytes = Hex.Parse("ffffffff");

        Assert.Empty(Jute.Decode<GetChildrenResponse>(bytes).Children);
    }

    [Fact]
    public void A_null_path_is_rejected_as_missing()
    {
        byte[] bytes = Hex.Parse("ffffffff | 00");

        var error = Assert.Throws<ProtocolException>(() => Jute.Decode<GetDataRequest>(bytes));

        Assert.Equal(ProtocolError.MissingValue, error.Error);
    }

    [Fact]
    public void A_multi_that_mixes_reads_and_writes_is_rejected()
    {
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Delete, new DeleteRequest("/a", -1)),
            new MultiOp(OpCode.GetData, new GetDataRequest("/a", false)),
        ]);
        byte[] bytes = Wire.Encode(multi);

        var error = Assert.Throws<ProtocolException>(() => Jute.Decode<MultiRequest>(bytes));

        Assert.Equal(ProtocolError.InvalidMessage, error.Error);
    }

    [Fact]
    public void A_multi_op_of_a_type_multi_does_not_allow_is_rejected()
    {
        byte[] bytes = Hex.Parse("00000003 00 ffffffff | 00000002 2f61 00 | ffffffff 01 ffffffff");

        var error = Assert.Throws<ProtocolException>(() => Jute.Decode<MultiRequest>(bytes));

        Assert.Equal(ProtocolError.UnsupportedOperation, error.Error);
    }

    [Fact]
    public void Multi_reports_whether_it_reads()
    {
        Assert.True(((MultiRequest)MessageCatalog.Get("MultiRequest/reads").Message).IsRead);
        Assert.False(((MultiRequest)MessageCatalog.Get(nameof(MultiRequest)).Message).IsRead);
        Assert.Null(new MultiRequest([]).IsRead);
    }
}
