using System.Buffers;
using System.Collections.Immutable;
using Colony.Consensus.Wire;
using Colony.Core;

namespace Colony.Consensus.Tests.Wire;

/// <summary>Random messages, frame helpers and a field-by-field comparison for the codec tests.</summary>
internal static class WireTestData
{
    public static readonly MessageType[] AllTypes = Enum.GetValues<MessageType>();

    private static readonly EntryType[] EntryTypes = Enum.GetValues<EntryType>();

    /// <summary>A value of a random bit length, so every varint size gets exercised.</summary>
    public static ulong RandomValue(IRandomSource random)
    {
        int bits = random.Next(65);
        return bits == 0 ? 0 : random.NextUInt64() >> (64 - bits);
    }

    public static byte[] RandomBytes(IRandomSource random, int maxLength)
    {
        var bytes = new byte[random.Next(maxLength + 1)];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)random.Next(256);
        }
        return bytes;
    }

    /// <summary>A message of <paramref name="type"/> with every field random, used or not.</summary>
    public static Message RandomMessage(IRandomSource random, MessageType type)
    {
        var entries = new Entry[random.Next(4) == 0 ? 0 : random.Next(1, 6)];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = new Entry(
                RandomValue(random), RandomValue(random), EntryTypes[random.Next(EntryTypes.Length)], RandomBytes(random, 40));
        }
        return new Message
        {
            Type = type,
            From = RandomValue(random),
            To = RandomValue(random),
            Term = RandomValue(random),
            LogTerm = RandomValue(random),
            Index = RandomValue(random),
            Entries = entries,
            Commit = RandomValue(random),
            Reject = random.Next(2) == 1,
            RejectHint = RandomValue(random),
            LeaderTransfer = random.Next(2) == 1,
            Context = RandomValue(random),
            Snapshot = random.Next(2) == 1 ? RandomSnapshot(random) : null,
            SnapshotOffset = (long)(RandomValue(random) >> 1),
            SnapshotSize = (long)(RandomValue(random) >> 1),
            SnapshotData = random.Next(2) == 1 ? RandomBytes(random, 100) : ReadOnlyMemory<byte>.Empty,
        };
    }

    public static Message RandomMessage(IRandomSource random) => RandomMessage(random, AllTypes[random.Next(AllTypes.Length)]);

    private static SnapshotMetadata RandomSnapshot(IRandomSource random)
    {
        var voters = ImmutableSortedSet.CreateBuilder<NodeId>();
        var learners = ImmutableSortedSet.CreateBuilder<NodeId>();
        for (int i = random.Next(6); i > 0; i--)
        {
            voters.Add(RandomValue(random));
        }
        for (int i = random.Next(3); i > 0; i--)
        {
            var id = new NodeId(RandomValue(random));
            if (!voters.Contains(id))
            {
                learners.Add(id);
            }
        }
        return new SnapshotMetadata(RandomValue(random), RandomValue(random), new Membership(voters.ToImmutable(), learners.ToImmutable()));
    }

    public static byte[] Frame(Message message, MessageCodec? codec = null)
    {
        var writer = new ArrayBufferWriter<byte>();
        (codec ?? MessageCodec.Default).WriteFrame(message, writer);
        return writer.WrittenSpan.ToArray();
    }

    public static byte[] Frames(IEnumerable<Message> messages)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var message in messages)
        {
            MessageCodec.Default.WriteFrame(message, writer);
        }
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>A frame around an arbitrary payload, with a correct length and checksum.</summary>
    public static byte[] FrameAround(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[WireFormat.FrameHeaderBytes + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), Crc32C.Compute(payload));
        payload.CopyTo(frame.AsSpan(WireFormat.FrameHeaderBytes));
        return frame;
    }

    /// <summary>A sequence made of the given segments, in order.</summary>
    public static ReadOnlySequence<byte> Sequence(params ReadOnlyMemory<byte>[] segments)
    {
        if (segments.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = new Segment(segments[0], 0);
        var last = first;
        foreach (var memory in segments.Skip(1))
        {
            last = last.Append(memory);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Decodes every whole frame in <paramref name="buffer"/>; what remains is left in it.</summary>
    public static List<Message> ReadAll(ref ReadOnlySequence<byte> buffer, MessageCodec? codec = null)
    {
        var messages = new List<Message>();
        while ((codec ?? MessageCodec.Default).TryReadFrame(ref buffer, out var message))
        {
            messages.Add(message);
        }
        return messages;
    }

    public static void AssertEqual(Message expected, Message actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.From, actual.From);
        Assert.Equal(expected.To, actual.To);
        Assert.Equal(expected.Term, actual.Term);
        Assert.Equal(expected.LogTerm, actual.LogTerm);
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Commit, actual.Commit);
        Assert.Equal(expected.Reject, actual.Reject);
        Assert.Equal(expected.RejectHint, actual.RejectHint);
        Assert.Equal(expected.LeaderTransfer, actual.LeaderTransfer);
        Assert.Equal(expected.Context, actual.Context);
        Assert.Equal(expected.Snapshot, actual.Snapshot);
        Assert.Equal(expected.SnapshotOffset, actual.SnapshotOffset);
        Assert.Equal(expected.SnapshotSize, actual.SnapshotSize);
        Assert.True(expected.SnapshotData.Span.SequenceEqual(actual.SnapshotData.Span), "snapshot data differs");
        Assert.Equal(expected.Entries.Length, actual.Entries.Length);
        for (int i = 0; i < expected.Entries.Length; i++)
        {
            Assert.True(expected.Entries[i].ContentEquals(actual.Entries[i]), $"entry {i}: {expected.Entries[i]} != {actual.Entries[i]}");
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
