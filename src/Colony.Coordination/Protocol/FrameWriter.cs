using System.Buffers;

namespace Colony.Coordination.Protocol;

/// <summary>
/// Writes length-prefixed frames straight into an <see cref="IBufferWriter{T}"/>.
/// The length is learned by a counting pass over the same Write methods rather than by reserving
/// four bytes and patching them afterwards: a reserved span is not guaranteed to survive the
/// output growing (ArrayBufferWriter reallocates), and counting costs no allocation.
/// </summary>
public static class FrameWriter
{
    /// <summary>The body length a frame of <paramref name="body"/> would carry.</summary>
    public static int Measure<TBody>(in TBody body)
        where TBody : IJuteWritable
    {
        var measure = JuteWriter.Measuring();
        body.Write(ref measure);
        return ToLength(measure.BytesWritten);
    }

    /// <summary>The body length a frame of <paramref name="header"/> then <paramref name="body"/> would carry.</summary>
    public static int Measure<THeader, TBody>(in THeader header, in TBody body)
        where THeader : IJuteWritable
        where TBody : IJuteWritable
    {
        var measure = JuteWriter.Measuring();
        header.Write(ref measure);
        body.Write(ref measure);
        return ToLength(measure.BytesWritten);
    }

    /// <summary>Writes one frame holding <paramref name="body"/> (e.g. a connect request, or a reply header alone) and returns its total size.</summary>
    public static int Write<TBody>(IBufferWriter<byte> output, in TBody body)
        where TBody : IJuteWritable
    {
        int length = Measure(body);
        var writer = new JuteWriter(output);
        writer.WriteInt32(length);
        body.Write(ref writer);
        return Finish(ref writer, length);
    }

    /// <summary>Writes one frame holding <paramref name="header"/> then <paramref name="body"/> and returns its total size.</summary>
    public static int Write<THeader, TBody>(IBufferWriter<byte> output, in THeader header, in TBody body)
        where THeader : IJuteWritable
        where TBody : IJuteWritable
    {
        int length = Measure(header, body);
        var writer = new JuteWriter(output);
        writer.WriteInt32(length);
        header.Write(ref writer);
        body.Write(ref writer);
        return Finish(ref writer, length);
    }

    private static int Finish(ref JuteWriter writer, int length)
    {
        writer.Flush();
        // Both passes run the same code; a difference means a message changed while being written.
        if (writer.BytesWritten != (long)length + FrameReader.LengthPrefixBytes)
        {
            throw new InvalidOperationException("A message wrote a different number of bytes than it measured.");
        }
        return length + FrameReader.LengthPrefixBytes;
    }

    private static int ToLength(long bytes) =>
        bytes <= int.MaxValue - FrameReader.LengthPrefixBytes
            ? (int)bytes
            : throw new InvalidOperationException($"A {bytes}-byte message does not fit in a frame.");
}
