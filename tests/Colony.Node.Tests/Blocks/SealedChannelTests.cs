using Colony.Client.Blocks;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Node.Tests.Blocks;

/// <summary>The record layer of block connections after their TLS handshake: sealing, opening, and forwarding unopened.</summary>
public sealed class SealedChannelTests
{
    [Fact]
    public void Control_and_data_frames_open_on_the_other_side_in_both_directions()
    {
        using var pair = ChannelPair.Fresh();
        byte[] ack = AckFrame(3);
        byte[] packet = DataFrame(1000, seed: 1);

        Assert.Equal(ack, Open(pair.Accepting, Seal(pair.Connecting, ack)));
        Assert.Equal(packet, Open(pair.Accepting, Seal(pair.Connecting, packet)));
        Assert.Equal(packet, Open(pair.Connecting, Seal(pair.Accepting, packet)));
        Assert.Equal(ack, Open(pair.Connecting, Seal(pair.Accepting, ack)));
    }

    [Fact]
    public void The_ciphertext_does_not_contain_the_frame()
    {
        using var pair = ChannelPair.Fresh();
        byte[] packet = DataFrame(4096, seed: 2);

        byte[] record = Seal(pair.Connecting, packet);

        Assert.Equal(SealedChannel.RecordLength(packet.Length), record.Length);
        Assert.False(record.AsSpan().IndexOf(packet.AsSpan(FrameHeader.Size, 64)) >= 0, "the packet's data crossed in the clear");
    }

    [Theory]
    [InlineData(0, 0x03)] // the kind in the header (data made control), which is authenticated with the rest
    [InlineData(SealedChannel.HeaderSize + 3, 0x10)] // the frame header inside
    [InlineData(SealedChannel.HeaderSize + 700, 0x01)] // the data
    [InlineData(-1, 0x80)] // the tag
    public void A_record_altered_anywhere_is_refused(int offset, int mask)
    {
        using var pair = ChannelPair.Fresh();
        byte[] record = Seal(pair.Connecting, DataFrame(1000, seed: 3));
        record[offset < 0 ? record.Length + offset : offset] ^= (byte)mask;

        Assert.Throws<BlockProtocolException>(() => Open(pair.Accepting, record));
    }

    [Fact]
    public void A_replayed_or_reordered_record_is_refused()
    {
        using var pair = ChannelPair.Fresh();
        byte[] first = Seal(pair.Connecting, DataFrame(100, seed: 4));
        byte[] second = Seal(pair.Connecting, DataFrame(100, seed: 5));

        Assert.Throws<BlockProtocolException>(() => Open(pair.Accepting, second));

        using var again = ChannelPair.Fresh();
        byte[] once = Seal(again.Connecting, AckFrame(1));
        Open(again.Accepting, once);
        Assert.Throws<BlockProtocolException>(() => Open(again.Accepting, once));
    }

    [Fact]
    public void A_record_from_another_connection_or_sent_back_to_its_sender_is_refused()
    {
        using var one = ChannelPair.Fresh();
        using var other = ChannelPair.Fresh();
        byte[] record = Seal(one.Connecting, AckFrame(1));

        Assert.Throws<BlockProtocolException>(() => Open(other.Accepting, record));
        // Same keys, wrong direction: the nonce says who sealed it.
        Assert.Throws<BlockProtocolException>(() => Open(one.Connecting, record));
    }

    [Fact]
    public void A_pipeline_node_forwards_data_records_unopened_and_the_next_node_opens_them()
    {
        using var upstream = ChannelPair.Fresh();
        using var downstream = ChannelPair.Inheriting(upstream.Accepting.DataKey);
        for (int i = 0; i < 3; i++)
        {
            byte[] packet = DataFrame(2000 + i, seed: 10 + i);
            byte[] record = Seal(upstream.Connecting, packet);

            SealedRecord received = Receive(upstream.Accepting, record, out byte[] opened);
            Assert.Equal(packet, opened);
            Assert.True(downstream.Connecting.TryForward(received));
            Assert.Equal(packet, Open(downstream.Accepting, received.Bytes.ToArray()));
        }
        // Control frames on the downstream hop are its own.
        Assert.Equal(AckFrame(9), Open(downstream.Accepting, Seal(downstream.Connecting, AckFrame(9))));
    }

    [Fact]
    public void A_node_that_inherited_the_data_key_never_seals_data_of_its_own_nor_forwards_out_of_step()
    {
        using var upstream = ChannelPair.Fresh();
        using var downstream = ChannelPair.Inheriting(upstream.Accepting.DataKey);
        using var unrelated = ChannelPair.Fresh();

        // Its own data record would reuse a nonce the client already used under that key.
        Assert.Throws<BlockProtocolException>(() => Seal(downstream.Connecting, DataFrame(10, seed: 20)));

        SealedRecord first = Receive(upstream.Accepting, Seal(upstream.Connecting, DataFrame(10, seed: 21)), out _);
        SealedRecord second = Receive(upstream.Accepting, Seal(upstream.Connecting, DataFrame(10, seed: 22)), out _);
        Assert.False(downstream.Connecting.TryForward(second), "forwarded the second packet before the first");
        Assert.False(unrelated.Connecting.TryForward(first), "forwarded under another data key");
        Assert.True(downstream.Connecting.TryForward(first));
        Assert.True(downstream.Connecting.TryForward(second));
    }

    [Theory]
    [InlineData(new byte[] { 3, 0, 0, 0, 16, 0, 0, 0 })] // unknown kind
    [InlineData(new byte[] { 1, 0, 1, 0, 16, 0, 0, 0 })] // reserved bits
    [InlineData(new byte[] { 1, 0, 0, 0, 4, 0, 0, 0 })] // shorter than a frame header
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 1, 0 })] // a control record of 64 KiB
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 1 })] // a data record of 16 MiB
    public void A_malformed_record_header_is_refused_before_anything_is_read(byte[] header)
    {
        Assert.Throws<BlockProtocolException>(() => SealedChannel.ReadHeader(header, out _));
    }

    [Fact]
    public void A_key_message_of_another_version_is_refused()
    {
        byte[] message = new byte[SealedChannel.KeyMessageSize];
        using (SealedChannel.Connecting(null, message))
        {
        }
        message[0] = 1; // AES-128-GCM records, before AEGIS-128L
        Assert.Throws<BlockProtocolException>(() => SealedChannel.Accepting(message));
        message[0] = 3;
        Assert.Throws<BlockProtocolException>(() => SealedChannel.Accepting(message));
        Assert.Throws<BlockProtocolException>(() => SealedChannel.Accepting(message.AsSpan(1).ToArray()));
    }

    [Fact]
    public void The_cipher_is_AEGIS_128L_as_RFC_10032_gives_it()
    {
        // The RFC's first AEGIS-128L test vector: one block of zeros, no associated data, a 256-bit tag.
        byte[] key = Convert.FromHexString("10010000000000000000000000000000");
        byte[] nonce = Convert.FromHexString("10000200000000000000000000000000");
        byte[] expected = Convert.FromHexString(
            "c1c0e58bd913006feba00f4b3cc3594e" + "25835bfbb21632176cf03840687cb968cace4617af1bd0f7d064c639a5c79ee4");
        using var imported = NSec.Cryptography.Key.Import(SealedChannel.Cipher, key, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);

        byte[] sealedBlock = new byte[16 + SealedChannel.TagSize];
        SealedChannel.Cipher.Encrypt(imported, nonce, [], new byte[16], sealedBlock);

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(sealedBlock));
    }

    private static byte[] Seal(SealedChannel channel, byte[] frame)
    {
        byte[] record = new byte[SealedChannel.RecordLength(frame.Length)];
        Assert.Equal(record.Length, channel.Seal(frame, record));
        return record;
    }

    private static byte[] Open(SealedChannel channel, byte[] record)
    {
        Receive(channel, record, out byte[] frame);
        return frame;
    }

    private static SealedRecord Receive(SealedChannel channel, byte[] record, out byte[] frame)
    {
        int length = SealedChannel.ReadHeader(record, out bool data);
        frame = new byte[length];
        FrameHeader header = channel.Open(record.AsSpan(0, SealedChannel.HeaderSize), record.AsSpan(SealedChannel.HeaderSize), frame, out long counter);
        Assert.Equal(length, FrameHeader.Size + header.BodyLength);
        Assert.Equal(data, counter >= 0);
        return new SealedRecord(record, record.Length, channel.DataKey, counter);
    }

    private static byte[] AckFrame(long seqno)
    {
        var ack = new PipelineAck(seqno, [TransferStatus.Ok], "");
        byte[] frame = new byte[ack.FrameLength];
        return frame[..ack.WriteFrame(frame)];
    }

    private static byte[] DataFrame(int bodyLength, int seed)
    {
        byte[] frame = new byte[FrameHeader.Size + bodyLength];
        new Random(seed).NextBytes(frame.AsSpan(FrameHeader.Size));
        new FrameHeader(FrameType.DataPacket, bodyLength).Write(frame);
        return frame;
    }

    /// <summary>Both ends of one connection, as the key exchange inside TLS leaves them.</summary>
    private sealed class ChannelPair(SealedChannel connecting, SealedChannel accepting) : IDisposable
    {
        public SealedChannel Connecting { get; } = connecting;

        public SealedChannel Accepting { get; } = accepting;

        public static ChannelPair Fresh() => Inheriting(null);

        public static ChannelPair Inheriting(DataKey? dataKey)
        {
            byte[] message = new byte[SealedChannel.KeyMessageSize];
            SealedChannel connecting = SealedChannel.Connecting(dataKey, message);
            return new ChannelPair(connecting, SealedChannel.Accepting(message));
        }

        public void Dispose()
        {
            Connecting.Dispose();
            Accepting.Dispose();
        }
    }
}
