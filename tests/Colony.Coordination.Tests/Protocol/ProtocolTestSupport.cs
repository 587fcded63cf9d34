using System.Buffers;
using System.Collections;
using System.Reflection;
using Colony.Coordination.Protocol;

namespace Colony.Coordination.Tests.Protocol;

internal static class Hex
{
    /// <summary>Parses hex with any whitespace and '|' separators, so golden bytes can be laid out field by field.</summary>
    public static byte[] Parse(string hex)
    {
        var digits = new string(hex.Where(Uri.IsHexDigit).ToArray());
        return Convert.FromHexString(digits);
    }
}

internal static class Wire
{
    public static byte[] Encode<T>(in T message)
        where T : IJuteWritable => Jute.Encode(message);

    public static byte[] Frame<THeader, TBody>(in THeader header, in TBody body)
        where THeader : IJuteWritable
        where TBody : IJuteWritable
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, header, body);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Frame<TBody>(in TBody body)
        where TBody : IJuteWritable
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, body);
        return output.WrittenSpan.ToArray();
    }
}

/// <summary>An <see cref="IBufferWriter{T}"/> that hands out tiny spans, to force every write across span boundaries.</summary>
internal sealed class TinySpanWriter(int spanBytes) : IBufferWriter<byte>
{
    private readonly List<byte> _written = [];
    private byte[] _current = [];

    public byte[] Written => [.. _written];

    public int SpansHandedOut { get; private set; }

    public void Advance(int count)
    {
        Assert.InRange(count, 0, _current.Length);
        _written.AddRange(_current.AsSpan(0, count).ToArray());
        _current = [];
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        SpansHandedOut++;
        // Fill with junk so a byte we forget to write shows up.
        _current = Enumerable.Repeat((byte)0xEE, Math.Max(Math.Max(sizeHint, 1), spanBytes)).ToArray();
        return _current;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}

/// <summary>Builds multi-segment sequences, the shape pipes hand to parsers.</summary>
internal sealed class Segment : ReadOnlySequenceSegment<byte>
{
    private Segment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Sequence(params byte[][] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = new Segment(parts[0], 0);
        Segment last = first;
        foreach (byte[] part in parts.Skip(1))
        {
            var next = new Segment(part, last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}

/// <summary>Field-by-field comparison that looks inside lists and arrays (records compare those by reference).</summary>
internal static class Equivalent
{
    public static void AssertEqual(object? expected, object? actual, string path = "value")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        Type type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string)
        {
            Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual}");
            return;
        }
        if (expected is IEnumerable expectedItems)
        {
            Assert.True(actual is IEnumerable, $"{path}: expected a sequence, got {actual.GetType()}");
            object?[] left = expectedItems.Cast<object?>().ToArray();
            object?[] right = ((IEnumerable)actual).Cast<object?>().ToArray();
            Assert.True(left.Length == right.Length, $"{path}: expected {left.Length} items, got {right.Length}");
            for (int i = 0; i < left.Length; i++)
            {
                AssertEqual(left[i], right[i], $"{path}[{i}]");
            }
            return;
        }
        Assert.Equal(type, actual.GetType());
        PropertyInfo[] properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        if (properties.Length == 0)
        {
            return;
        }
        foreach (PropertyInfo property in properties.Where(p => p.GetIndexParameters().Length == 0))
        {
            AssertEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }
}
