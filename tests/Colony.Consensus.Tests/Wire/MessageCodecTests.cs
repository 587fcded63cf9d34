using System.Buffers;
using System.Buffers.Binary;
using Colony.Consensus.Wire;
using Colony.Core;
using static Colony.Consensus.Tests.Wire.WireTestData;

namespace Colony.Consensus.Tests.Wire;

public class MessageCodecTests
{
    private static readonly Message Heartbeat = new()
    {
        Type = MessageType.Heartbeat, From = 1, To = 2, Term = 3, Commit = 10, Context = 7,
    };

    [Fact]
    public void Every_message_type_round_trips_with_random_fields()
    {
        var random = new SeededRandom(20250101);
        foreach (var type in AllTypes)
        {
            for (int i = 0; i < 400; i++)
            {
                var message = RandomMessage(random, type);
                ReadOnlySpan<byte> span = Frame(message);
                Assert.True(MessageCodec.Default.TryReadFrame(ref span, out var decoded));
                Assert.True(span.IsEmpty);
                AssertEqual(message, decoded);
            }
        }
    }

    [Fact]
    public void The_measured_size_is_the_written_size()
    {
        var random = new SeededRandom(7);
        for (int i = 0; i < 1000; i++)
        {
            var message = RandomMessage(random);
            Assert.True(MessageCodec.Default.TryMeasureFrame(message, out int measured));
            Assert.Equal(Frame(message).Length, measured);
        }
    }

    [Fact]
    public void Extreme_values_round_trip()
    {
        var message = new Message
        {
            Type = MessageType.SnapshotChunk, From = ulong.MaxValue, To = ulong.MaxValue, Term = ulong.MaxValue,
            LogTerm = ulong.MaxValue, Index = ulong.MaxValue, Commit = ulong.MaxValue, RejectHint = ulong.MaxValue,
            Context = ulong.MaxValue, Reject = true, LeaderTransfer = true, SnapshotOffset = long.MaxValue, SnapshotSize = long.MaxValue,
            Snapshot = new SnapshotMetadata(ulong.MaxValue, ulong.MaxValue, new Membership([ulong.MaxValue], [1])),
            Entries = [new Entry(ulong.MaxValue, ulong.MaxValue, EntryType.Noop, ReadOnlyMemory<byte>.Empty)],
        };
        ReadOnlySpan<byte> span = Frame(message);
        Assert.True(MessageCodec.Default.TryReadFrame(ref span, out var decoded));
        AssertEqual(message, decoded);
    }

    [Fact]
    public void Decoded_data_does_not_alias_the_input_buffer()
    {
        var message = new Message { Type = MessageType.Append, Entries = [new Entry(1, 1, EntryType.Normal, new byte[] { 1, 2, 3 })] };
        byte[] frame = Frame(message);
        var sequence = new ReadOnlySequence<byte>(frame);
        Assert.True(MessageCodec.Default.TryReadFrame(ref sequence, out var decoded));
        Array.Clear(frame);
        Assert.Equal([1, 2, 3], decoded.Entries[0].Data.ToArray());
    }

    [Fact]
    public void Every_split_point_of_a_multi_frame_buffer_gives_the_same_messages()
    {
        var random = new SeededRandom(11);
        var messages = Enumerable.Range(0, 6).Select(_ => RandomMessage(random)).ToList();
        byte[] bytes = Frames(messages);
        for (int split = 0; split <= bytes.Length; split++)
        {
            // All bytes present, in two segments.
            var whole = Sequence(bytes.AsMemory(0, split), bytes.AsMemory(split));
            var decoded = ReadAll(ref whole);
            Assert.True(whole.IsEmpty);
            Assert.Equal(messages.Count, decoded.Count);

            // Streamed: only the first part has arrived, then the rest.
            var first = new ReadOnlySequence<byte>(bytes.AsMemory(0, split));
            var streamed = ReadAll(ref first);
            long consumed = split - first.Length;
            var rest = Sequence(bytes.AsMemory((int)consumed, split - (int)consumed), bytes.AsMemory(split));
            streamed.AddRange(ReadAll(ref rest));
            Assert.True(rest.IsEmpty);
            Assert.Equal(messages.Count, streamed.Count);
            for (int i = 0; i < messages.Count; i++)
            {
                AssertEqual(messages[i], decoded[i]);
                AssertEqual(messages[i], streamed[i]);
            }
        }
    }

    [Fact]
    public void A_buffer_of_one_byte_segments_decodes()
    {
        var random = new SeededRandom(12);
        var messages = Enumerable.Range(0, 4).Select(_ => RandomMessage(random)).ToList();
        byte[] bytes = Frames(messages);
        var sequence = Sequence([.. Enumerable.Range(0, bytes.Length).Select(i => bytes.AsMemory(i, 1))]);
        var decoded = ReadAll(ref sequence);
        Assert.Equal(messages.Count, decoded.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            AssertEqual(messages[i], decoded[i]);
        }
    }

    [Fact]
    public void Every_truncation_asks_for_more_bytes()
    {
        var random = new SeededRandom(13);
        foreach (var type in AllTypes)
        {
            byte[] frame = Frame(RandomMessage(random, type));
            for (int length = 0; length < frame.Length; length++)
            {
                ReadOnlySpan<byte> span = frame.AsSpan(0, length);
                Assert.False(MessageCodec.Default.TryReadFrame(ref span, out _));
                Assert.Equal(length, span.Length);
                var sequence = new ReadOnlySequence<byte>(frame.AsMemory(0, length));
                Assert.False(MessageCodec.Default.TryReadFrame(ref sequence, out _));
                Assert.Equal(length, sequence.Length);
            }
        }
    }

    [Fact]
    public void Every_single_byte_corruption_is_rejected()
    {
        var random = new SeededRandom(14);
        foreach (var type in AllTypes)
        {
            byte[] frame = Frame(RandomMessage(random, type));
            for (int at = 0; at < frame.Length; at++)
            {
                byte original = frame[at];
                for (int value = 0; value < 256; value++)
                {
                    if (value == original)
                    {
                        continue;
                    }
                    frame[at] = (byte)value;
                    ReadOnlySpan<byte> span = frame;
                    bool read;
                    try
                    {
                        read = MessageCodec.Default.TryReadFrame(ref span, out _);
                    }
                    catch (WireFormatException)
                    {
                        continue;
                    }
                    // Only a length that grew can go unnoticed, and then the frame never completes.
                    Assert.False(read, $"corrupting byte {at} of a {type} frame to {value:x2} went unnoticed");
                    Assert.True(at < 4, $"corrupting byte {at} to {value:x2} was not rejected");
                }
                frame[at] = original;
            }
        }
    }

    [Fact]
    public void Random_garbage_only_ever_throws_a_wire_format_exception()
    {
        var random = new SeededRandom(15);
        var codec = new MessageCodec(new WireLimits { MaxFrameBytes = 4096 });
        int decoded = 0;
        for (int i = 0; i < 20_000; i++)
        {
            // Raw garbage, garbage payloads in valid frames, and valid payloads with bytes flipped.
            byte[] bytes = (i % 3) switch
            {
                0 => RandomBytes(random, 300),
                1 => FrameAround(RandomBytes(random, 300)),
                _ => FrameAround(Mutate(random, Frame(RandomMessage(random)).AsSpan(WireFormat.FrameHeaderBytes).ToArray())),
            };
            try
            {
                var sequence = new ReadOnlySequence<byte>(bytes);
                while (codec.TryReadFrame(ref sequence, out var message))
                {
                    decoded++;
                    // Anything accepted is canonical: it encodes back to exactly the bytes it came from.
                    byte[] frame = Frame(message, codec);
                    Assert.Equal(bytes.AsSpan(0, frame.Length).ToArray(), frame);
                }
            }
            catch (WireFormatException)
            {
            }
        }
        Assert.True(decoded > 0, "no mutated payload decoded: the canonical check never ran");
    }

    [Fact]
    public void An_oversize_frame_is_rejected_from_its_header_alone_before_allocating()
    {
        var codec = new MessageCodec(new WireLimits { MaxFrameBytes = 1 << 20 });
        var header = new byte[WireFormat.FrameHeaderBytes];
        BinaryPrimitives.WriteUInt32BigEndian(header, 1u << 30);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sequence = new ReadOnlySequence<byte>(header);
        var e = Assert.Throws<WireFormatException>(() => codec.TryReadFrame(ref sequence, out _));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 10);
        Assert.Contains("exceeds the limit", e.Message);

        BinaryPrimitives.WriteUInt32BigEndian(header, uint.MaxValue);
        Assert.Throws<WireFormatException>(() => ReadSpan(codec, header));
    }

    [Fact]
    public void The_frame_limit_counts_the_header()
    {
        var codec = new MessageCodec(new WireLimits { MaxFrameBytes = 1024 });
        var message = new Message { Type = MessageType.SnapshotChunk };
        Assert.True(codec.TryMeasureFrame(message, out int empty));
        var fits = message with { SnapshotData = new byte[1024 - empty - 1] };
        Assert.True(codec.TryMeasureFrame(fits, out int size));
        Assert.Equal(1024, size);
        ReadOnlySpan<byte> span = Frame(fits, codec);
        Assert.True(codec.TryReadFrame(ref span, out _));

        var tooBig = message with { SnapshotData = new byte[1024 - empty] };
        Assert.False(codec.TryMeasureFrame(tooBig, out _));
        Assert.Throws<ArgumentException>(() => codec.WriteFrame(tooBig, new ArrayBufferWriter<byte>()));
        Assert.Throws<WireFormatException>(() => ReadSpan(codec, Frame(tooBig)));
    }

    [Fact]
    public void Too_many_entries_are_refused_on_both_sides()
    {
        var codec = new MessageCodec(new WireLimits { MaxEntriesPerMessage = 3 });
        var entries = Enumerable.Range(1, 4).Select(i => new Entry(1, (ulong)i, EntryType.Noop, ReadOnlyMemory<byte>.Empty)).ToArray();
        var message = new Message { Type = MessageType.Append, Entries = entries };
        Assert.False(codec.TryMeasureFrame(message, out _));
        Assert.Throws<ArgumentException>(() => codec.WriteFrame(message, new ArrayBufferWriter<byte>()));
        var e = Assert.Throws<WireFormatException>(() => ReadSpan(codec, Frame(message)));
        Assert.Contains("entries exceed the limit", e.Message);
    }

    [Fact]
    public void An_entry_count_larger_than_the_bytes_can_hold_is_rejected_before_allocating()
    {
        // A Heartbeat's payload with its entry count (the last byte, 0) replaced by 100,000.
        byte[] payload = [.. Payload(Heartbeat).AsSpan(0, Payload(Heartbeat).Length - 1), 0xA0, 0x8D, 0x06];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<WireFormatException>(() => Decode(payload));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 10);
        Assert.Contains("entries: truncated", e.Message);
    }

    [Theory]
    [InlineData(0, 0, "unsupported format version 0")]
    [InlineData(0, 2, "unsupported format version 2")]
    [InlineData(1, 0, "unknown message type 0")]
    [InlineData(1, 17, "unknown message type 17")]
    [InlineData(2, 8, "unknown flags 08")]
    [InlineData(2, 0x80, "unknown flags 80")]
    public void Malformed_prefixes_are_rejected(int at, byte value, string error)
    {
        byte[] payload = Payload(Heartbeat);
        payload[at] = value;
        Assert.Contains(error, Assert.Throws<WireFormatException>(() => Decode(payload)).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(255)]
    public void An_unknown_entry_type_is_rejected(byte type)
    {
        var message = new Message { Type = MessageType.Append, Entries = [new Entry(1, 1, EntryType.Normal, new byte[] { 9 })] };
        byte[] payload = Payload(message);
        // The entry's type sits before its data: length 1, then the data byte.
        Assert.Equal((byte)EntryType.Normal, payload[^3]);
        payload[^3] = type;
        Assert.Contains($"unknown type {type}", Assert.Throws<WireFormatException>(() => Decode(payload)).Message);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        Assert.Contains("1 trailing bytes", Assert.Throws<WireFormatException>(() => Decode([.. Payload(Heartbeat), 0])).Message);
    }

    [Fact]
    public void Every_truncated_payload_in_a_valid_frame_is_rejected()
    {
        var random = new SeededRandom(16);
        foreach (var type in AllTypes)
        {
            byte[] payload = Payload(RandomMessage(random, type));
            for (int length = 0; length < payload.Length; length++)
            {
                Assert.Throws<WireFormatException>(() => ReadSpan(MessageCodec.Default, FrameAround(payload.AsSpan(0, length))));
            }
        }
    }

    [Fact]
    public void Non_minimal_and_overlong_varints_are_rejected()
    {
        byte[] payload = Payload(Heartbeat);
        // From (at offset 3) is 1: encode it as 0x81 0x00 instead.
        byte[] nonMinimal = [.. payload.AsSpan(0, 3), 0x81, 0x00, .. payload.AsSpan(4)];
        Assert.Contains("not minimally encoded", Assert.Throws<WireFormatException>(() => Decode(nonMinimal)).Message);
        byte[] overlong = [.. payload.AsSpan(0, 3), .. Enumerable.Repeat((byte)0xFF, 9), 0x02, .. payload.AsSpan(4)];
        Assert.Contains("exceeds 64 bits", Assert.Throws<WireFormatException>(() => Decode(overlong)).Message);
    }

    [Fact]
    public void A_snapshot_offset_above_the_signed_range_is_rejected()
    {
        var message = new Message { Type = MessageType.SnapshotChunk, SnapshotOffset = long.MaxValue };
        byte[] payload = Payload(message);
        // long.MaxValue is nine bytes ending 0x7F after From..Context (eight one-byte zeros): bump it to 2^63.
        int at = 3 + 8;
        Assert.Equal(0x7F, payload[at + 8]);
        payload[at + 8] = 0x80;
        byte[] bumped = [.. payload.AsSpan(0, at + 9), 0x01, .. payload.AsSpan(at + 9)];
        Assert.Contains("snapshot offset", Assert.Throws<WireFormatException>(() => Decode(bumped)).Message);
    }

    [Fact]
    public void A_membership_that_is_not_canonical_is_rejected()
    {
        var message = new Message { Type = MessageType.SnapshotChunk, Snapshot = new SnapshotMetadata(5, 2, new Membership([1, 2], [])) };
        byte[] payload = Payload(message);
        byte[] canonical = new Membership([1, 2], []).Encode();
        int at = payload.AsSpan().IndexOf(canonical);
        // Swap the voters: 2 then 1.
        payload[at + 4 + 7] = 2;
        payload[at + 12 + 7] = 1;
        Assert.Contains("canonical", Assert.Throws<WireFormatException>(() => Decode(payload)).Message);
        // A node both voter and learner.
        var both = new Message { Type = MessageType.SnapshotChunk, Snapshot = new SnapshotMetadata(5, 2, new Membership([1], [1])) };
        Assert.Contains("canonical", Assert.Throws<WireFormatException>(() => Decode(Payload(both))).Message);
        // Truncated membership bytes inside a well-sized field.
        byte[] truncated = Payload(message);
        truncated[at + 3] = 3;
        Assert.Throws<WireFormatException>(() => Decode(truncated));
    }

    [Fact]
    public void Encoding_refuses_messages_no_peer_could_decode()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => MessageCodec.Default.WriteFrame(new Message { Type = (MessageType)99 }, writer));
        Assert.Throws<ArgumentException>(() => MessageCodec.Default.WriteFrame(
            new Message { Type = MessageType.Append, Entries = [new Entry(1, 1, (EntryType)0, default)] }, writer));
        Assert.Throws<ArgumentException>(() => MessageCodec.Default.WriteFrame(
            new Message { Type = MessageType.SnapshotChunk, SnapshotOffset = -1 }, writer));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Limits_are_validated_and_have_documented_defaults()
    {
        Assert.Equal(64 << 20, WireLimits.Default.MaxFrameBytes);
        Assert.Equal(131_072, WireLimits.Default.MaxEntriesPerMessage);
        Assert.Throws<ArgumentException>(() => new MessageCodec(new WireLimits { MaxFrameBytes = 1023 }));
        Assert.Throws<ArgumentException>(() => new MessageCodec(new WireLimits { MaxFrameBytes = (1 << 30) + 1 }));
        Assert.Throws<ArgumentException>(() => new MessageCodec(new WireLimits { MaxEntriesPerMessage = 0 }));
        Assert.Throws<ArgumentException>(() => new MessageCodec(new WireLimits { MaxEntriesPerMessage = (1 << 24) + 1 }));
    }

    /// <summary>Reads one frame through the span API; false if it is incomplete.</summary>
    private static bool ReadSpan(MessageCodec codec, byte[] bytes)
    {
        ReadOnlySpan<byte> span = bytes;
        return codec.TryReadFrame(ref span, out _);
    }

    private static byte[] Payload(Message message) => Frame(message).AsSpan(WireFormat.FrameHeaderBytes).ToArray();

    private static Message Decode(byte[] payload)
    {
        ReadOnlySpan<byte> span = FrameAround(payload);
        Assert.True(MessageCodec.Default.TryReadFrame(ref span, out var message));
        return message;
    }

    private static byte[] Mutate(IRandomSource random, byte[] payload)
    {
        for (int n = random.Next(1, 3); n > 0 && payload.Length > 0; n--)
        {
            payload[random.Next(payload.Length)] = (byte)random.Next(256);
        }
        return payload;
    }
}
