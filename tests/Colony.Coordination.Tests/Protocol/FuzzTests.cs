using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

/// <summary>
/// Garbage in, <see cref="ProtocolException"/> out: no decoder may fail any other way, whatever the
/// bytes. Seeds are fixed, so a failure replays.
/// </summary>
public sealed class FuzzTests
{
    private const int Iterations = 3000;

    public static TheoryData<string> Samples => MessageCatalog.Names;

    [Theory]
    [MemberData(nameof(Samples))]
    public void Mutated_messages_decode_or_throw_protocol_exception(string name)
    {
        Sample sample = MessageCatalog.Get(name);
        var random = new Random(HashCode(name));

        for (int i = 0; i < Iterations; i++)
        {
            byte[] input = Mutate(sample.Bytes, random);
            AssertOnlyProtocolErrors(() => sample.Decode(input), input);
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Random_bytes_decode_or_throw_protocol_exception(string name)
    {
        Sample sample = MessageCatalog.Get(name);
        var random = new Random(HashCode(name) ^ 0x5eed);

        for (int i = 0; i < Iterations; i++)
        {
            byte[] input = RandomBytes(random);
            AssertOnlyProtocolErrors(() => sample.Decode(input), input);
        }
    }

    [Fact]
    public void Request_frames_with_any_header_decode_or_throw_protocol_exception()
    {
        var random = new Random(20_26);
        OpCode[] types = Enum.GetValues<OpCode>();

        for (int i = 0; i < 20 * Iterations; i++)
        {
            byte[] body = RandomBytes(random);
            byte[] frame = [.. Wire.Encode(new RequestHeader(i, types[random.Next(types.Length)])), .. body];
            AssertOnlyProtocolErrors(() => RequestDecoder.Decode(frame, out _), frame);
        }
    }

    [Fact]
    public void Mutated_request_frames_decode_or_throw_protocol_exception()
    {
        var random = new Random(31_337);
        byte[][] frames =
        [
            .. MessageCatalog.All
                .Where(s => s.Message is ClientRequest)
                .Select(s => (byte[])[.. Wire.Encode(new RequestHeader(1, OpCodeFor((ClientRequest)s.Message))), .. s.Bytes]),
        ];

        for (int i = 0; i < 20 * Iterations; i++)
        {
            byte[] frame = Mutate(frames[random.Next(frames.Length)], random);
            AssertOnlyProtocolErrors(() => RequestDecoder.Decode(frame, out _), frame);
        }
    }

    private static OpCode OpCodeFor(ClientRequest request) => request switch
    {
        CreateRequest => OpCode.Create2,
        CreateTtlRequest => OpCode.CreateTtl,
        DeleteRequest => OpCode.Delete,
        CheckVersionRequest => OpCode.Check,
        ExistsRequest => OpCode.Exists,
        GetDataRequest => OpCode.GetData,
        SetDataRequest => OpCode.SetData,
        GetAclRequest => OpCode.GetAcl,
        SetAclRequest => OpCode.SetAcl,
        GetChildrenRequest => OpCode.GetChildren,
        GetChildren2Request => OpCode.GetChildren2,
        SyncRequest => OpCode.Sync,
        GetAllChildrenNumberRequest => OpCode.GetAllChildrenNumber,
        GetEphemeralsRequest => OpCode.GetEphemerals,
        ReconfigRequest => OpCode.Reconfig,
        SaslRequest => OpCode.Sasl,
        AuthPacket => OpCode.Auth,
        SetWatches => OpCode.SetWatches,
        SetWatches2 => OpCode.SetWatches2,
        AddWatchRequest => OpCode.AddWatch,
        CheckWatchesRequest => OpCode.CheckWatches,
        RemoveWatchesRequest => OpCode.RemoveWatches,
        MultiRequest => OpCode.Multi,
        _ => throw new ArgumentOutOfRangeException(nameof(request), request.GetType().Name),
    };

    private static void AssertOnlyProtocolErrors(Action decode, byte[] input)
    {
        try
        {
            decode();
        }
        catch (ProtocolException)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name} on input {Convert.ToHexString(input)}: {e.Message}");
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 96)];
        random.NextBytes(bytes);
        // Small lengths and counts reach deeper than uniform garbage, which is mostly huge numbers.
        for (int i = 0; i + 4 <= bytes.Length; i += 4)
        {
            if (random.Next(3) == 0)
            {
                bytes[i] = bytes[i + 1] = bytes[i + 2] = 0;
                bytes[i + 3] %= 8;
            }
        }
        return bytes;
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveRange(random.Next(bytes.Count), 1);
                    break;
                case 3:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 4 when bytes.Count > 0:
                    int keep = random.Next(bytes.Count);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
            }
        }
        return [.. bytes];
    }

    private static int HashCode(string text)
    {
        // string.GetHashCode is randomized per process; the seed must not be.
        int hash = 17;
        foreach (char c in text)
        {
            hash = (hash * 31) + c;
        }
        return hash;
    }
}
