using Colony.Core;
using Colony.Storage.Blocks;
using Colony.Storage.Blocks.Transfer;

namespace Colony.Storage.Tests.Blocks;

/// <summary>Random and mutated input into every decoder: the only failure allowed is the decoder's own exception.</summary>
public sealed class DecoderRobustnessTests
{
    private static readonly BlockVersion Version = new(new BlockId(77), new GenerationStamp(5));

    public static TheoryData<int> Seeds => [1, 2, 3, 4];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Decoders_reject_garbage_with_protocol_errors_only(int seed)
    {
        var random = new Random(seed);
        byte[][] valid = ValidBodies();
        for (int i = 0; i < 5000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 80)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])valid[random.Next(valid.Length)].Clone();
                for (int flips = random.Next(1, 4); flips > 0 && input.Length > 0; flips--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
                if (random.Next(4) == 0)
                {
                    input = input[..random.Next(input.Length + 1)];
                }
            }
            Decode(input);
        }
    }

    private static void Decode(byte[] input)
    {
        Survive(() => FrameHeader.Read(input));
        Survive(() => WriteBlockRequest.Decode(input));
        Survive(() => PipelineAck.Decode(input));
        Survive(() => ReadBlockRequest.Decode(input));
        Survive(() => ReadBlockReply.Decode(input));
        Survive(() => DataPacketHeader.Decode(input, 512));
        try
        {
            BlockMetaHeader.Read(input);
        }
        catch (InvalidDataException)
        {
            // Expected for most inputs.
        }
    }

    private static void Survive<T>(Func<T> decode)
    {
        try
        {
            decode();
        }
        catch (BlockProtocolException)
        {
            // Expected for most inputs.
        }
    }

    private static byte[][] ValidBodies()
    {
        var write = new WriteBlockRequest(Version, 512, 4096, 512, "client", ["a:1", "b:2"], "token");
        var ack = new PipelineAck(3, [TransferStatus.Ok, TransferStatus.Ok], "");
        var read = new ReadBlockRequest(Version, 10, 20, "token");
        var reply = new ReadBlockReply(TransferStatus.Ok, 512, 1000, 0, 1000);
        var packet = new DataPacketHeader(1, 512, true, 20);
        byte[] packetFrame = new byte[packet.FrameLength(512)];
        packet.WriteHeaders(packetFrame, 512);
        byte[] meta = new byte[BlockMetaHeader.Size];
        new BlockMetaHeader(Version, 512).Write(meta);
        return [Body(write.FrameLength, write.WriteFrame), Body(ack.FrameLength, ack.WriteFrame), Body(read.FrameLength, read.WriteFrame),
            Body(reply.FrameLength, reply.WriteFrame), packetFrame[FrameHeader.Size..], meta];
    }

    private static byte[] Body(int length, SpanWriter write)
    {
        byte[] frame = new byte[length];
        write(frame);
        return frame[FrameHeader.Size..];
    }

    private delegate int SpanWriter(Span<byte> destination);
}
